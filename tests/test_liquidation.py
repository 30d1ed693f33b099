"""The liquidation lifecycle (states/liquidation.py) through the engine, on SQLite and PostgreSQL.

1. Who may take each transition: the authority (port, center, filer, SYSTEM) and the jurisdiction
   (the case's port or center); a refusal writes nothing. SYSTEM transitions (operation of law,
   the 314-day cycle, the bulletin) happen only when engine.sweep() reaches their timer.
2. The date rules at their edges: 3 extensions (19 CFR 159.12), the Friday bulletin (159.9), the
   1-year deemed liquidation (19 U.S.C. 1504), 6 months after a lifted suspension (1504(d)), the
   90-day voluntary reliquidation (1501), finality after the rolled-forward 180-day protest period
   (1514; T.D. 53961), blocked while a protest is open.
3. Authority regimes: Delegation Order 14-004 (shared, to 2017-01-18), then CBP Dec. 16-26.
4. Timers armed on entering a state and cancelled on leaving it.

Sources: domain/REFERENCE.md §0, §1, §5, §6. The clock is a SettableClock; legal dates are
America/New_York dates, so "23:00 on day N" is already day N+1 in UTC.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from cee_workflow import NotFound, NotPermitted, RuleViolation
from cee_workflow.states.calendar import LEGAL_TZ
from cee_workflow.workflow.identifiers import entry_check_digit

INSTANT = timedelta(microseconds=1)
C007 = "c007"  # the center 007 officer who holds CENTER authority over the cast's 007 cases
FILER = "filer"  # stands for filer:<cast.ACME>
HUMANS = ("c007", "c007-sup", "c005", "p2704", "p2704-dir", "p2704-fpf", "p3901", FILER)


def et(day: str, hour: int = 0) -> datetime:
    """`hour`:00 America/New_York on `day`, as a UTC instant."""
    return datetime.combine(date.fromisoformat(day), time(hour), tzinfo=LEGAL_TZ).astimezone(UTC)


def who(cast, name: str):
    return cast.actor(f"filer:{cast.ACME}" if name == FILER else name)


def snapshot(engine, case_id: str):
    """What a refused action must leave untouched."""
    case = engine.get(case_id)
    return (case.state, case.version, case.data, [e.seq for e in engine.history(case_id)],
            [(d.timer, d.state, d.status) for d in engine.deadlines(case_id)])


def refuse(cast, case_id: str, trigger: str, actor: str, error, match: str, **inputs) -> None:
    before = snapshot(cast.engine, case_id)
    with pytest.raises(error, match=match):
        cast.engine.advance(case_id, trigger, actor=who(cast, actor), inputs=inputs)
    assert snapshot(cast.engine, case_id) == before, f"refused {trigger} by {actor} wrote"


def pending(engine, case_id: str) -> dict:
    return {d.timer: d for d in engine.deadlines(case_id) if d.status == "pending"}


def timer_rows(engine, case_id: str) -> list[tuple[str, str, str, str]]:
    return sorted((d.state, d.timer, d.last_day.isoformat(), d.status)
                  for d in engine.deadlines(case_id))


def sweep_at(cast, instant: datetime):
    cast.clock.move_to(instant)
    return cast.engine.sweep()


# --- case set-ups: a case in the source state, the clock where the move is lawful -------------
# The default entry: ACME (center 007), port 2704, entered and recorded Monday 2025-01-06.


def fresh(cast) -> str:  # unliquidated; deadline 2026-01-06; day 314 = Sunday 2025-11-16
    return cast.entry().id


def extended(cast) -> str:  # extended once: deadline 2027-01-06
    case_id = cast.entry().id
    cast.engine.advance(case_id, "extend", actor=cast.actor(C007), inputs={"reason": "01"})
    return case_id


def suspended(cast) -> str:
    case_id = cast.entry().id
    cast.engine.advance(case_id, "suspend", actor=cast.actor(C007), inputs={"reason": "06"})
    cast.at("2025-03-03")
    return case_id


def scheduled(cast) -> str:  # for the bulletin of Friday 2025-02-07; clock still 2025-01-06
    case_id = cast.entry().id
    cast.engine.advance(case_id, "schedule", actor=cast.actor(C007),
                        inputs={"date": "2025-02-07"})
    return case_id


def bulletin_day(cast) -> str:
    case_id = scheduled(cast)
    cast.at("2025-02-07")
    return case_id


def liquidated(cast) -> str:  # liquidated on the bulletin of 2025-02-07; clock on that day
    return cast.liquidated().id


# --- 1. authority and jurisdiction -------------------------------------------------------------

CASE = r"LQ-\d{11}"
CENTER_REFUSALS = (
    ("p2704", r"needs CENTER authority .*; officer p2704 .* holds port authority — center 007"),
    # 2025: the center alone (CBP Dec. 16-26); the regime is named in the refusal
    ("p2704-dir", r"needs CENTER authority \(.*CBP Dec\. 16-26.*\); officer p2704-dir .* holds "
                  r"port authority"),
    ("p3901", r"needs CENTER authority .*; officer p3901 .* holds port authority"),
    (FILER, r"needs CENTER authority .*; a filer cannot take it"),
    ("c005", rf"officer c005 .* has CENTER authority but no jurisdiction over {CASE}, a case of "
             r"center 007"),
)


@pytest.mark.parametrize("trigger, setup, inputs, dest", [
    ("extend", fresh, {"reason": "01"}, "extended"),
    ("suspend", fresh, {"reason": "06"}, "suspended"),
    ("lift_suspension", suspended, {}, "unliquidated"),
    ("schedule", fresh, {"date": "2025-02-07"}, "scheduled"),
    ("liquidate", bulletin_day, {"type": "2"}, "liquidated"),
    ("reliquidate", liquidated, {"type": "5"}, "reliquidated"),
])
def test_center_transition_needs_the_case_center(cast, engine, trigger, setup, inputs, dest):
    case_id = setup(cast)
    for actor, match in CENTER_REFUSALS:
        refuse(cast, case_id, trigger, actor, NotPermitted, match, **inputs)
    version = engine.get(case_id).version
    after = engine.advance(case_id, trigger, actor=cast.actor(C007), inputs=inputs)
    assert (after.state, after.version) == (dest, version + 1)
    event = engine.history(case_id)[-1]
    assert (event.trigger, event.actor, event.authority, event.regime) == (
        trigger, C007, "CENTER", "center")


def test_record_entry_is_joint_for_the_entry_port_or_the_importer_center(cast, engine):
    def number(serial: int) -> str:
        body = f"112{serial:07d}"
        return f"112-{serial:07d}-{entry_check_digit(body)}"

    def record(serial: int, actor: str):
        return engine.add_entry(number(serial), importer=cast.ACME, port="2704",
                                entry_date=date(2025, 1, 6), actor=who(cast, actor))

    new_case = rf"a new liquidation on entry {number(900)}"
    for actor, match in (
        (FILER, r"record_entry .* needs JOINT authority .*; a filer cannot take it"),
        ("p3901", rf"officer p3901 .* has JOINT authority but no jurisdiction over {new_case}, "
                  r"a case of port 2704"),
        ("c005", rf"officer c005 .* has JOINT authority but no jurisdiction over {new_case}, "
                 r"a case of center 007"),
    ):
        with pytest.raises(NotPermitted, match=match):
            record(900, actor)
    with pytest.raises(NotFound):  # nothing was written: no case, and no entry (see below)
        engine.get(f"LQ-{number(900).replace('-', '')}")
    assert engine.list_cases(kind="liquidation") == []

    by_port, by_center = record(900, "p2704"), record(901, C007)
    assert by_port.state == by_center.state == "unliquidated"
    assert by_port.data["liquidation_deadline"] == "2026-01-06"
    assert [engine.history(c.id)[-1].authority for c in (by_port, by_center)] == [
        "JOINT (port)", "JOINT (center)"]


@pytest.mark.parametrize("trigger, setup, timer, dest, expected", [
    ("auto_schedule", fresh, "auto_liquidation_schedule", "scheduled",
     {"scheduled_for": "2025-11-21"}),  # first Friday on/after day 314 (Sunday 2025-11-16)
    ("auto_liquidate", scheduled, "bulletin_posting", "liquidated",
     {"liquidated_on": "2025-02-07", "liquidation_type": "6"}),
    ("deem_liquidated", extended, "deemed_liquidation", "liquidated",
     {"liquidated_on": "2027-01-06", "liquidation_type": "7"}),
    ("finalize", liquidated, "finalization", "final", {"liquidated_on": "2025-02-07"}),
])
def test_system_transition_only_by_the_sweep(cast, engine, trigger, setup, timer, dest,
                                              expected):
    case_id = setup(cast)
    for actor in HUMANS:
        refuse(cast, case_id, trigger, actor, NotPermitted,
               rf"{trigger} on {CASE} happens by operation of law \(SYSTEM")
    with pytest.raises(NotPermitted, match="nobody may act as the system"):
        cast.actor("system")

    due = pending(engine, case_id)[timer]
    assert due.action == trigger
    result = sweep_at(cast, due.due_at)
    assert result.fired == [f"{case_id} {trigger}"], result.to_dict()
    after = engine.get(case_id)
    assert after.state == dest
    assert {k: after.data.get(k) for k in expected} == expected
    event = engine.history(case_id)[-1]
    assert (event.trigger, event.actor, event.authority) == (trigger, "system", "SYSTEM")


# --- 2. date rules at their edges --------------------------------------------------------------


def test_three_extensions_of_a_year_then_the_fourth_is_refused(cast, engine):
    case_id = fresh(cast)
    for count, deadline in ((1, "2027-01-06"), (2, "2028-01-06"), (3, "2029-01-06")):
        after = engine.advance(case_id, "extend", actor=cast.actor(C007), inputs={"reason": "02"})
        assert (after.data["extensions"], after.data["liquidation_deadline"]) == (count, deadline)
        assert pending(engine, case_id)["deemed_liquidation"].last_day.isoformat() == deadline
    refuse(cast, case_id, "extend", C007, RuleViolation,
           r"extended 3 times, the most allowed.*\(19 CFR 159\.12", reason="02")


def test_schedule_needs_a_future_friday_within_the_liquidation_period(cast, engine):
    case_id = fresh(cast)  # today Monday 2025-01-06; deadline Tuesday 2026-01-06
    for day, why in (("2025-02-06", "2025-02-06 is a Thursday; liquidations post on the Friday"),
                     ("2025-01-03", "the bulletin of 2025-01-03 has closed"),
                     # Monday 2025-01-06 is before Wednesday's cut-off: the 10th is still open.
                     ("2026-01-09", "2026-01-09 is after the liquidation deadline 2026-01-06")):
        refuse(cast, case_id, "schedule", C007, RuleViolation, rf"{why}.*\(19 CFR 159\.9\)",
               date=day)
    after = engine.advance(case_id, "schedule", actor=cast.actor(C007),
                           inputs={"date": "2026-01-02"})  # the last Friday of the period
    assert (after.state, after.data["scheduled_for"]) == ("scheduled", "2026-01-02")


def test_liquidate_waits_for_the_bulletin_date(cast, engine):
    case_id = scheduled(cast)
    cast.at("2025-02-06", hour=23)  # Thursday night in New York, Friday in UTC
    refuse(cast, case_id, "liquidate", C007, RuleViolation,
           r"scheduled for the bulletin of 2025-02-07.*\(19 CFR 159\.9\(c\)\(1\)\)")
    cast.at("2025-02-07", hour=0)
    after = engine.advance(case_id, "liquidate", actor=cast.actor(C007))
    assert {k: after.data[k] for k in ("liquidated_on", "liquidation_type", "protest_deadline")
            } == {"liquidated_on": "2025-02-07", "liquidation_type": "1",
                  "protest_deadline": "2025-08-06"}


def test_deemed_liquidation_at_the_end_of_the_extended_period_and_not_an_instant_before(
        cast, engine):
    case_id = extended(cast)  # deadline Wednesday 2027-01-06; liquidation allowed through it
    due = pending(engine, case_id)["deemed_liquidation"]
    assert (due.last_day, due.due_at) == (date(2027, 1, 6), et("2027-01-07"))

    assert sweep_at(cast, due.due_at - INSTANT).fired == []
    assert engine.get(case_id).state == "extended"
    assert sweep_at(cast, due.due_at).fired == [f"{case_id} deem_liquidated"]
    after = engine.get(case_id)
    assert after.state == "liquidated"
    assert {k: after.data[k] for k in ("liquidation_type", "liquidated_on", "deemed")} == {
        "liquidation_type": "7", "liquidated_on": "2027-01-06", "deemed": True}
    assert after.data["protest_deadline"] == "2027-07-06"  # 180 days from the deemed date


def test_lifting_a_suspension_sets_the_deadline_6_months_after_the_lift(cast, engine):
    case_id = fresh(cast)
    engine.advance(case_id, "suspend", actor=cast.actor(C007), inputs={"reason": "04"})
    assert pending(engine, case_id) == {}  # no clock runs while suspended (1504(b))
    cast.at("2025-08-29")
    after = engine.advance(case_id, "lift_suspension", actor=cast.actor(C007))
    # Aug 29 + 6 months: no Feb 29 in 2026, so Feb 28 — a Saturday, and operation of law never
    # rolls forward (REFERENCE §6).
    assert (after.state, after.data["liquidation_deadline"]) == ("unliquidated", "2026-02-28")
    assert pending(engine, case_id)["deemed_liquidation"].last_day == date(2026, 2, 28)


def test_voluntary_reliquidation_through_day_90_after_liquidation_not_day_91(cast, engine):
    in_time, too_late = cast.liquidated(), cast.liquidated()  # both liquidated 2025-02-07
    cast.at("2025-05-08", hour=23)  # day 90, late evening in New York
    after = engine.advance(in_time.id, "reliquidate", actor=cast.actor(C007))
    assert (after.state, after.data["reliquidated_on"], after.data["protest_deadline"]) == (
        "reliquidated", "2025-05-08", "2025-11-04")  # a new 180 days to protest
    cast.at("2025-05-09", hour=0)  # day 91
    refuse(cast, too_late.id, "reliquidate", C007, RuleViolation,
           r"only within 90 days of the liquidation of 2025-02-07, i\.e\. until 2025-05-08"
           r".*\(19 U\.S\.C\. 1501\)")


def test_finality_after_the_protest_period_rolled_past_weekend_and_holiday(cast, engine):
    case_id = liquidated(cast)
    cast.at("2025-03-03")  # reliquidated on a Monday: day 180 is Saturday 2025-08-30,
    engine.advance(case_id, "reliquidate", actor=cast.actor(C007))  # Sep 1 is Labor Day
    data = engine.get(case_id).data
    assert data["protest_deadline"] == data["finality_date"] == "2025-09-02"
    due = pending(engine, case_id)["finalization"]
    assert (due.last_day, due.due_at) == (date(2025, 9, 2), et("2025-09-03"))

    for early in (et("2025-08-31"), due.due_at - INSTANT):
        assert sweep_at(cast, early).fired == []
        assert engine.get(case_id).state == "reliquidated"
    assert sweep_at(cast, due.due_at).fired == [f"{case_id} finalize"]
    assert engine.get(case_id).state == "final"


def test_an_open_protest_blocks_finalization(cast, engine):
    case = cast.liquidated()
    cast.at("2025-03-03")
    protest = engine.open_case("protest", actor=who(cast, FILER), entries=[case.entries[0]],
                               reason="classification")
    due = pending(engine, case.id)["finalization"]
    result = sweep_at(cast, due.due_at)
    assert result.fired == []
    assert len(result.blocked) == 1
    assert result.blocked[0].startswith(f"{case.id} finalize")
    assert f"protest {protest.id} is still open" in result.blocked[0]
    assert engine.get(case.id).state == "liquidated"
    assert [d.status for d in engine.deadlines(case.id) if d.timer == "finalization"] == [
        "blocked"]


def test_finalization_follows_once_the_blocking_protest_is_withdrawn(cast, engine):
    case = cast.liquidated()
    cast.at("2025-03-03")
    filer = who(cast, FILER)
    protest = engine.open_case("protest", actor=filer, entries=[case.entries[0]], reason="value")
    assert sweep_at(cast, pending(engine, case.id)["finalization"].due_at).blocked
    cast.at("2025-09-15")
    engine.advance(protest.id, "withdraw", actor=filer)
    # Windows closed, no open protest: 19 U.S.C. 1514(a) makes the liquidation final.
    sweep_at(cast, et("2025-09-16"))
    assert engine.get(case.id).state == "final"


def test_auto_schedule_after_the_wednesday_cutoff_posts_the_next_week(cast, engine):
    # REFERENCE §1: "items processed by 11:59:59 pm ET Wednesday post that Friday".
    cast.at("2025-01-10")
    on_wednesday = cast.entry(entry_date="2025-01-09").id  # day 314: Wednesday 2025-11-19
    on_thursday = cast.entry(entry_date="2025-01-10").id  # day 314: Thursday 2025-11-20
    for case_id, friday in ((on_wednesday, "2025-11-21"), (on_thursday, "2025-11-28")):
        sweep_at(cast, pending(engine, case_id)["auto_liquidation_schedule"].due_at)
        after = engine.get(case_id)
        assert (after.state, after.data["scheduled_for"]) == ("scheduled", friday)


# --- 3. authority regimes -----------------------------------------------------------------------


def test_port_director_shares_center_authority_under_delegation_order_14_004(cast, engine):
    cast.at("2016-06-01")
    case_id = cast.entry(entry_date="2016-06-01").id
    refuse(cast, case_id, "extend", "p2704", NotPermitted,
           r"needs CENTER authority \(.*Delegation Order 14-004\); officer p2704 ", reason="01")
    engine.add_officer("p3901-dir", name="Port 3901 director", office="3901", role="director")
    refuse(cast, case_id, "extend", "p3901-dir", NotPermitted,
           rf"p3901-dir .* has CENTER authority but no jurisdiction over {CASE}, a case of port "
           r"2704", reason="01")
    engine.advance(case_id, "extend", actor=cast.actor("p2704-dir"), inputs={"reason": "01"})
    event = engine.history(case_id)[-1]
    assert (event.actor, event.regime) == ("p2704-dir", "shared")
    assert event.authority == "CENTER (shared by port director, Delegation Order 14-004)"


def test_shared_authority_ends_when_cbp_dec_16_26_takes_effect(cast, engine):
    cast.at("2016-06-01")
    case_id = cast.entry(entry_date="2016-06-01").id
    cast.at("2017-01-18", hour=23)  # still the 18th in New York (the 19th in UTC)
    engine.advance(case_id, "extend", actor=cast.actor("p2704-dir"), inputs={"reason": "01"})
    assert engine.history(case_id)[-1].regime == "shared"
    cast.at("2017-01-19", hour=0)
    refuse(cast, case_id, "extend", "p2704-dir", NotPermitted,
           r"needs CENTER authority \(.*CBP Dec\. 16-26.*\); officer p2704-dir .* holds port "
           r"authority — center 007 decides", reason="01")
    engine.advance(case_id, "extend", actor=cast.actor(C007), inputs={"reason": "01"})
    event = engine.history(case_id)[-1]
    assert (event.actor, event.authority, event.regime) == (C007, "CENTER", "center")


# --- 4. timers: armed on entering a state, cancelled on leaving it -----------------------------


def test_timers_follow_the_state(cast, engine):
    case_id = fresh(cast)
    unliquidated = [("unliquidated", "auto_liquidation_schedule", "2025-11-16"),
                    ("unliquidated", "deemed_liquidation", "2026-01-06")]
    assert timer_rows(engine, case_id) == [(*row, "pending") for row in unliquidated]
    due = pending(engine, case_id)
    assert due["auto_liquidation_schedule"].due_at == et("2025-11-16")  # on day 314
    assert due["deemed_liquidation"].due_at == et("2026-01-07")  # after the last day

    def step(trigger: str, inputs: dict) -> None:
        engine.advance(case_id, trigger, actor=cast.actor(C007), inputs=inputs)

    step("extend", {"reason": "01"})
    extended_rows = [("extended", "deemed_liquidation", "2027-01-06")]
    assert timer_rows(engine, case_id) == sorted(
        [(*row, "cancelled") for row in unliquidated] + [(*row, "pending") for row in
                                                         extended_rows])
    step("schedule", {"date": "2025-02-07"})
    scheduled_rows = [("scheduled", "bulletin_posting", "2025-02-07"),
                      ("scheduled", "deemed_liquidation", "2027-01-06")]
    assert timer_rows(engine, case_id) == sorted(
        [(*row, "cancelled") for row in unliquidated + extended_rows]
        + [(*row, "pending") for row in scheduled_rows])
    step("suspend", {"reason": "06"})
    assert {status for *_, status in timer_rows(engine, case_id)} == {"cancelled"}
