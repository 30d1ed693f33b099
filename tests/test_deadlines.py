"""Deadlines: every timer acts at its instant and not a microsecond before, due dates at their
edges and escalation stages (both databases); the forecast: tests/test_reads_forecast.py."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from disclosures import disclose, disclosure_in

from cee_workflow.states import LIFECYCLES
from cee_workflow.states.calendar import start_of_legal_day

INSTANT = timedelta(microseconds=1)
ACME = "12-3456789AB"


def midnight(day: str) -> datetime:
    return start_of_legal_day(date.fromisoformat(day)).astimezone(UTC)


def level(engine, case_id: str, timer: str) -> int:
    return max(d.level for d in engine.deadlines(case_id) if d.timer == timer)


def pending(engine, case_id: str) -> dict:
    return {d.timer: d for d in engine.deadlines(case_id) if d.status == "pending"}


def protest(cast, engine, **inputs):
    entry = cast.liquidated()  # liquidated on Friday 2025-02-07
    cast.at("2025-03-03")
    return engine.open_case("protest", actor=cast.actor(f"filer:{ACME}"),
                            entries=[entry.entries[0]], **inputs)


# --- each timer: (set-up → case id, timer, last day, what the sweep does at the due instant) ---


def _unliquidated(cast, engine):
    return cast.entry().id


def _extended(cast, engine):
    case = cast.entry()
    return engine.advance(case.id, "extend", actor=cast.actor("c007"), inputs={"reason": "01"}).id


def _scheduled(cast, engine):
    case = cast.entry()
    return engine.advance(case.id, "schedule", actor=cast.actor("c007"),
                          inputs={"date": "2025-02-07"}).id


def _liquidated(cast, engine):
    return cast.liquidated().id


def _presented(cast, engine):
    """Merchandise presented for examination on 2025-01-08 (1499(c)(5)(A))."""
    case = cast.entry(entry_date="2025-01-06")
    cast.at("2025-01-10")
    return engine.advance(case.id, "present_for_examination", actor=cast.actor("p2704"),
                          inputs={"presented_on": "2025-01-08"}).id


def _accepted(cast, engine, **inputs):
    case = protest(cast, engine, **inputs)
    return engine.advance(case.id, "accept", actor=cast.actor("p2704")).id


def _accelerated(cast, engine):
    case_id = _accepted(cast, engine)
    cast.at("2025-06-02")  # 91 days after filing
    return engine.advance(case_id, "request_accelerated_disposition",
                          actor=cast.actor(f"filer:{ACME}")).id


def _set_aside_requested(cast, engine):
    case_id = _accepted(cast, engine, further_review=True)
    cast.at("2025-03-10")
    engine.advance(case_id, "deny_further_review", actor=cast.actor("c007"))
    cast.at("2025-03-20")
    return engine.advance(case_id, "request_set_aside", actor=cast.actor(f"filer:{ACME}")).id


def _decided(trigger):
    def setup(cast, engine):
        case_id = _accepted(cast, engine)
        cast.at("2025-04-01")
        return engine.advance(case_id, trigger, actor=cast.actor("c007")).id
    return setup


def _disclosure(state: str, importer: str | None = None, **disclosed):
    def setup(cast, engine):
        return disclosure_in(cast, state, importer=importer, **disclosed).id
    return setup


ZETA = "98-7654321CD"  # not a trusted trader: Validation & Compliance

def _psc(state):
    def setup(cast, engine):
        entry = cast.entry()  # entered 2025-01-06: set to liquidate on Friday 2025-11-21
        cast.at("2025-03-03")
        case = engine.open_case("psc", actor=cast.actor(f"filer:{ACME}"),
                                entries=[entry.entries[0]])
        if state != "filed":
            engine.sweep()  # validated at once
        if state == "team_review":
            engine.advance(case.id, "take_into_review", actor=cast.actor("c007"))
        return case.id
    return setup


TIMERS = [
    # set-up, timer, last day, outcome at the due instant
    (_unliquidated, "deemed_liquidation", "2026-01-06", ("state", "liquidated")),
    (_unliquidated, "auto_liquidation_schedule", "2025-11-16", ("state", "scheduled")),
    (_extended, "deemed_liquidation", "2027-01-06", ("state", "liquidated")),
    (_scheduled, "bulletin_posting", "2025-02-07", ("state", "liquidated")),
    (_presented, "deemed_exclusion", "2025-02-07", ("data", ("deemed_excluded_on",
                                                             "2025-02-07"))),
    (_liquidated, "finalization", "2025-08-06", ("state", "final")),
    (_accepted, "decision_limit", "2027-03-03", ("escalation", 2)),
    (lambda c, e: _accepted(c, e, exclusion=True), "exclusion_deemed_denial", "2025-04-02",
     ("state", "denied")),
    (_accelerated, "accelerated_deemed_denial", "2025-07-02", ("state", "denied")),
    # An application for further review is decided within 30 days of its filing (1515(a)).
    (lambda c, e: _accepted(c, e, further_review=True), "further_review_decision", "2025-04-02",
     ("escalation", 2)),
    (_decided("deny"), "summons_window", "2025-09-29", ("state", "closed")),
    # A request to set aside a denied AFR not acted on in 60 days is considered denied (1515(c)).
    (_set_aside_requested, "set_aside_deemed_refusal", "2025-05-19",
     ("data", ("set_aside_refused_on", "2025-05-19"))),
    (_decided("allow"), "closing", "2025-04-01", ("state", "closed")),
    # Prior disclosure (tests/disclosures.py: disclosed Mon 2025-03-03, perfected 03-24, notice
    # 04-07, tendered 04-21, referred 04-28): every trade period only escalates ...
    (lambda c, e: disclose(c, form="oral").id, "oral_confirmation", "2025-03-13",
     ("escalation", 2)),
    (lambda c, e: disclose(c).id, "perfection", "2025-04-02", ("escalation", 2)),
    (_disclosure("loss_calculated"), "tender", "2025-05-07", ("escalation", 2)),
    # ... but the loss tendered with the disclosure is applied on the day it is calculated.
    (_disclosure("loss_calculated", tender="12500.00"), "disclosure_tender", "2025-04-07",
     ("state", "tendered")),
    (_disclosure("perfected"), "loss_calculation_partnership", "2025-04-23", ("escalation", 2)),
    (_disclosure("perfected", ZETA), "loss_calculation_validation", "2025-05-23",
     ("escalation", 2)),
    (_disclosure("tendered"), "referral_partnership", "2025-05-01", ("escalation", 2)),
    (_disclosure("tendered", ZETA), "referral_validation", "2025-05-21", ("escalation", 2)),
    (_disclosure("referred"), "fpf_finding_partnership", "2025-05-28", ("escalation", 2)),
    (_disclosure("referred", ZETA), "fpf_finding_validation", "2025-06-27", ("escalation", 2)),
    (_psc("filed"), "validation", "2025-03-03", ("state", "validated")),
    # ACME is a trusted trader: Partnership's service levels (45 days' lead, 30 days' review)
    (_psc("team_review"), "liquidation_lead", "2025-10-07", ("escalation", 2)),
    # A PSC in review: a supervisor 45 days before the deemed-liquidation date (2026-01-06).
    (_psc("team_review"), "deemed_liquidation_lead", "2025-11-22", ("escalation", 2)),
    (_psc("team_review"), "team_review", "2025-04-02", ("escalation", 2)),
]


def test_the_table_covers_every_timer_of_every_lifecycle():
    declared = {t.name for lc in LIFECYCLES.values() for s in lc.states for t in s.timers}
    assert {timer for _, timer, _, _ in TIMERS} == declared


@pytest.mark.parametrize("setup, timer, last_day, outcome", TIMERS,
                         ids=[f"{t}-{s.__name__}" for s, t, _, _ in TIMERS])
def test_each_timer_acts_at_its_instant_and_not_before(cast, engine, setup, timer, last_day,
                                                       outcome):
    case_id = setup(cast, engine)
    row = pending(engine, case_id)[timer]
    assert row.last_day.isoformat() == last_day
    spec = LIFECYCLES[engine.get(case_id).kind].timer(timer)
    expected_due = date.fromisoformat(last_day) + timedelta(days=spec.fires == "after")
    assert row.due_at == midnight(expected_due.isoformat())
    before = engine.get(case_id)
    engine.sweep(row.due_at - INSTANT)
    early = engine.get(case_id)
    # The timer's own level (another timer of the case may have escalated it meanwhile).
    assert early.state == before.state and level(engine, case_id, timer) < 2
    engine.sweep(row.due_at)
    field, value = outcome
    if field == "escalation":
        assert level(engine, case_id, timer) == value
    elif field == "data":
        key, recorded = value
        assert (early.data.get(key), engine.get(case_id).data.get(key)) == (None, recorded)
    else:
        assert getattr(engine.get(case_id), field) == value
    assert engine.verify_audit(case_id).ok


# --- due dates at their edges ------------------------------------------------------------------


def test_leap_day_entry_is_deemed_liquidated_on_february_28(cast, engine):
    cast.at("2024-02-29")
    case = cast.entry(entry_date="2024-02-29")
    row = pending(engine, case.id)["deemed_liquidation"]
    assert row.last_day == date(2025, 2, 28)
    assert row.due_at == midnight("2025-03-01")


def test_operation_of_law_never_rolls_past_a_weekend(cast, engine):
    cast.at("2025-01-04")
    case = cast.entry(entry_date="2025-01-04")  # a Saturday: one year on is Sunday 2026-01-04
    row = pending(engine, case.id)["deemed_liquidation"]
    assert (row.last_day, row.due_at) == (date(2026, 1, 4), midnight("2026-01-05"))
    engine.sweep(midnight("2026-01-05"))
    after = engine.get(case.id)
    assert (after.state, after.data["liquidated_on"]) == ("liquidated", "2026-01-04")


def test_six_months_after_a_lift_on_august_31_is_february_28(cast, engine):
    case = cast.entry()
    engine.advance(case.id, "suspend", actor=cast.actor("c007"), inputs={"reason": "04"})
    assert pending(engine, case.id) == {}  # no clock runs while suspended (1504(b))
    cast.at("2025-08-31")
    engine.advance(case.id, "lift_suspension", actor=cast.actor("c007"),
                   inputs={"notice_received_on": "2025-08-31"})
    assert pending(engine, case.id)["deemed_liquidation"].last_day == date(2026, 2, 28)


def test_due_instants_are_eastern_midnight_in_winter_and_summer(cast, engine):
    case = cast.entry()  # deemed: due 2026-01-07 (EST); auto-schedule: 2025-11-16 (EST)
    assert pending(engine, case.id)["deemed_liquidation"].due_at.hour == 5
    extended = _accepted(cast, engine)  # decision limit due 2027-03-04 (EST)
    assert pending(engine, extended)["decision_limit"].due_at.hour == 5
    summer = _decided("deny")(cast, engine)  # summons window: due 2025-09-30 (EDT)
    assert pending(engine, summer)["summons_window"].due_at == datetime(2025, 9, 30, 4,
                                                                        tzinfo=UTC)


# --- escalation ------------------------------------------------------------------------------


def test_a_directory_limit_warns_then_goes_overdue_then_to_the_director(cast, engine):
    case_id = _accepted(cast, engine)
    row = pending(engine, case_id)["decision_limit"]  # due 2027-03-04, warned 90 days before
    steps = [(row.warn_at - INSTANT, 0), (row.warn_at, 1), (row.due_at - INSTANT, 1),
             (row.due_at, 2), (row.due_at + timedelta(days=30) - INSTANT, 2),
             (row.due_at + timedelta(days=30), 3)]
    for instant, level in steps:
        engine.sweep(instant)
        engine.sweep(instant)  # a second pass at the same instant does nothing more
        assert engine.get(case_id).escalation == level, instant
    escalations = [e for e in engine.history(case_id) if e.trigger == "escalate"]
    assert [(e.data["stage"], e.data["to"]) for e in escalations] == [
        ("warning", "the queue of center 007"), ("overdue", "a supervisor of center 007"),
        ("director", "the director of center 007")]
    assert all(e.actor == "system" and e.from_state == e.to_state == "accepted"
               for e in escalations)
    assert engine.get(case_id).state == "accepted"  # escalates; never decides (Hitachi)
    assert pending(engine, case_id)["decision_limit"].level == 3


def test_overdue_and_escalated_lists_follow_the_case(cast, engine, clock):
    case_id = _accepted(cast, engine)
    due = pending(engine, case_id)["decision_limit"].due_at
    clock.move_to(due - INSTANT)
    assert case_id not in [c.id for c in engine.list_cases(overdue=True)]
    clock.move_to(due)
    assert case_id in [c.id for c in engine.list_cases(overdue=True, kind="protest")]
    assert case_id not in [c.id for c in engine.list_cases(escalated=True)]  # not swept yet
    engine.sweep()
    assert case_id in [c.id for c in engine.list_cases(escalated=True)]
    engine.advance(case_id, "deny", actor=cast.actor("c007"))  # deciding ends the escalation
    assert engine.get(case_id).escalation == 0
    assert case_id not in [c.id for c in engine.list_cases(escalated=True)]
    assert case_id not in [c.id for c in engine.list_cases(overdue=True)]


def test_one_deadline_running_into_a_new_state_is_not_warned_twice(cast, engine):
    case = cast.entry()
    warned = pending(engine, case.id)["deemed_liquidation"].warn_at
    engine.sweep(warned)
    assert engine.get(case.id).escalation == 1
    cast.at("2025-11-10")
    engine.advance(case.id, "schedule", actor=cast.actor("c007"), inputs={"date": "2025-11-14"})
    assert engine.get(case.id).escalation == 1
    assert pending(engine, case.id)["deemed_liquidation"].level == 1
    engine.sweep(midnight("2025-11-13"))
    assert [e.trigger for e in engine.history(case.id)].count("escalate") == 1


# --- stale rows and the forecast -------------------------------------------------------------


def test_a_timer_whose_case_moved_on_is_cancelled_not_fired(cast, engine):
    case = cast.entry()
    due = pending(engine, case.id)["auto_liquidation_schedule"].due_at
    cast.clock.move_to(due + timedelta(hours=1))  # due, but an officer acts before any sweep
    engine.advance(case.id, "extend", actor=cast.actor("c007"), inputs={"reason": "01"})
    result = engine.sweep()
    assert not result.fired and engine.get(case.id).state == "extended"
    # A row left pending for a state the case is no longer in (as a concurrent writer could
    # leave it) is cancelled by the sweep, never fired.
    with engine.db.begin() as connection:
        connection.execute(sa.text(
            "INSERT INTO cee_deadline (case_id, timer, kind, state, armed_version, last_day,"
            " due_at, warn_at, action, citation, status, level, next_at) SELECT case_id, timer,"
            " kind, 'unliquidated', armed_version, last_day, due_at, warn_at, action, citation,"
            " 'pending', 0, due_at FROM cee_deadline WHERE case_id = :c AND timer ="
            " 'auto_liquidation_schedule'"), {"c": case.id})
    result = engine.sweep()
    assert (result.fired, result.stale) == ([], 1)
    assert engine.get(case.id).state == "extended"
