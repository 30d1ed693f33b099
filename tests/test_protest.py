"""The protest lifecycle (states/protest.py) through the engine, on SQLite and PostgreSQL.

Who may take each transition and on which cases (authority, jurisdiction, the 2014–2017 shared
regime); the date rules at their edges (180 days from the latest liquidation with weekend and
holiday roll-forward, amendment, accelerated disposition, exclusion) and the timers that only
the sweep fires. After the decision (summons, void denial, reliquidation, the directory 2-year
limit): tests/test_protest_decisions.py.
REFERENCE.md §0, §2, §5, §6.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import holidays
import pytest

from cee_workflow import Engine, NotPermitted, RuleViolation
from cee_workflow.states.calendar import LEGAL_TZ
from cee_workflow.states.params import RuleParams
from cee_workflow.states.rules import Rule, Value, rule
from cee_workflow.workflow.jurisdiction import SYSTEM

LIQUIDATED = "2025-02-07"  # a Friday bulletin; day 1 is 02-08, day 180 is Wed 2025-08-06
FILED = "2025-03-03"
LATER = "2025-06-09"  # more than 90 days after FILED, inside the protest period
SUMMONS_LAST = "2025-12-08"  # a denial on LATER: +180 is Sat 12-06, rolled to Monday

# What the engine says when it refuses (regexes for pytest.raises(match=...)).
FILERS_ACTION = "is the filer's action"
NO_STANDING = "has no standing"
NOT_A_FILERS = "a filer cannot take it"
CENTER_DECIDES = "holds port authority — center 007 decides"
NOT_CENTER_005 = r"no jurisdiction over PR-\d{12}, a case of center 007"
NOT_PORT_3901 = r"no jurisdiction over PR-\d{12}, a case of port 2704"
BY_LAW = "happens by operation of law"


def d(text: str) -> date:
    return date.fromisoformat(text)


def start_of(day: str) -> datetime:
    """00:00 Eastern on `day`: when a timer whose last day was the day before falls due."""
    return datetime.combine(d(day), time.min, tzinfo=LEGAL_TZ)


def who(cast, name: str):
    """'filer' is ACME's filer, 'other filer' Zeta's (both center 007); else an officer id."""
    return cast.actor({"filer": f"filer:{cast.ACME}",
                       "other filer": f"filer:{cast.ZETA}"}.get(name, name))


def file_protest(cast, engine, *liquidations, on: str = FILED, by: str = "filer", **inputs):
    cast.at(on)
    return engine.open_case("protest", actor=who(cast, by),
                            entries=[lq.entries[0] for lq in liquidations], **inputs)


ROUTES = {
    "filed": (),
    "accepted": (("accept", "p2704"),),
    "further_review": (("accept", "p2704"), ("grant_further_review", "c007")),
    "accelerated": (("accept", "p2704"), ("request_accelerated_disposition", "filer")),
    "allowed": (("accept", "p2704"), ("allow", "c007")),
    "allowed_in_part": (("accept", "p2704"), ("allow_in_part", "c007")),
    "denied": (("accept", "p2704"), ("deny", "c007")),
}


def protest_in(cast, engine, state: str, **inputs):
    """A protest on a fresh entry liquidated on LIQUIDATED, filed FILED, brought to `state` on
    LATER (the clock is left there)."""
    protest = file_protest(cast, engine, cast.liquidated(on=LIQUIDATED), **inputs)
    cast.at(LATER)
    for trigger, actor in ROUTES[state]:
        engine.advance(protest.id, trigger, actor=who(cast, actor))
    return engine.get(protest.id)


def assert_refused(engine, case_id, trigger, actor, match, error=NotPermitted, **inputs):
    """The action is refused with `match` and writes nothing: no state, data or event change."""
    before, events = engine.get(case_id), len(engine.history(case_id))
    with pytest.raises(error, match=match):
        engine.advance(case_id, trigger, actor=actor, inputs=inputs)
    after = engine.get(case_id)
    assert (after.state, after.version, after.data) == (before.state, before.version, before.data)
    assert len(engine.history(case_id)) == events


def pending(engine, case_id, timer: str):
    return [t for t in engine.deadlines(case_id) if t.timer == timer and t.status == "pending"]


# --- authority and jurisdiction -----------------------------------------------------------------

OFFICER_CANNOT_FILE = {"p2704": FILERS_ACTION, "c007": FILERS_ACTION, "other filer": NO_STANDING}
ONLY_CENTER_007 = {"filer": NOT_A_FILERS, "p2704": CENTER_DECIDES, "p2704-dir": CENTER_DECIDES,
                   "c005": NOT_CENTER_005}
JOINT_REFUSED = {"filer": NOT_A_FILERS, "c005": NOT_CENTER_005, "p3901": NOT_PORT_3901}


TRANSITIONS = [  # trigger, from, filed with, inputs, who may, authority recorded, to, who may not
    ("amend", "accepted", {}, {"reason": "valuation"}, "filer", "FILER", "accepted",
     OFFICER_CANNOT_FILE),
    ("accept", "filed", {}, {}, "p2704", "JOINT (port)", "accepted", JOINT_REFUSED),
    ("accept", "filed", {}, {}, "c007", "JOINT (center)", "accepted", JOINT_REFUSED),
    ("grant_further_review", "accepted", {"further_review": True}, {}, "c007", "CENTER",
     "further_review", ONLY_CENTER_007),
    ("allow", "accepted", {}, {}, "c007", "CENTER", "allowed", ONLY_CENTER_007),
    ("allow_in_part", "accepted", {}, {}, "c007", "CENTER", "allowed_in_part",
     ONLY_CENTER_007),
    ("deny", "accepted", {}, {}, "c007", "CENTER", "denied", ONLY_CENTER_007),
    ("deny", "further_review", {"further_review": True}, {}, "c007", "CENTER", "denied",
     ONLY_CENTER_007),
    ("request_accelerated_disposition", "accepted", {}, {}, "filer", "FILER", "accelerated",
     OFFICER_CANNOT_FILE),
    ("void_denial", "denied", {}, {}, "c007", "CENTER", "accepted", ONLY_CENTER_007),
    ("withdraw", "accepted", {}, {}, "filer", "FILER", "withdrawn", OFFICER_CANNOT_FILE),
    ("file_summons", "denied", {}, {}, "filer", "FILER", "litigation", OFFICER_CANNOT_FILE),
]


@pytest.mark.parametrize(
    ("trigger", "state", "file_inputs", "inputs", "allowed", "authority", "dest", "refused"),
    TRANSITIONS, ids=[f"{t[0]}-from-{t[1]}-by-{t[4]}" for t in TRANSITIONS])
def test_who_may_take_each_transition(cast, engine, trigger, state, file_inputs, inputs, allowed,
                                      authority, dest, refused):
    protest = protest_in(cast, engine, state, **file_inputs)
    for actor, match in refused.items():
        assert_refused(engine, protest.id, trigger, who(cast, actor), match, **inputs)
    after = engine.advance(protest.id, trigger, actor=who(cast, allowed), inputs=inputs)
    assert after.state == dest
    event = engine.history(protest.id)[-1]
    assert (event.trigger, event.actor, event.authority, event.regime) == (
        trigger, who(cast, allowed).label, authority, "center")


def test_only_the_importers_filer_may_file_and_a_refusal_files_nothing(cast, engine):
    entry = cast.liquidated(on=LIQUIDATED)
    for actor, match in OFFICER_CANNOT_FILE.items():
        with pytest.raises(NotPermitted, match=match):
            file_protest(cast, engine, entry, by=actor)
    assert engine.list_cases(kind="protest") == []
    protest = file_protest(cast, engine, entry, reason="classification")
    assert (protest.id, protest.state, protest.importer) == ("PR-270425000001", "filed", cast.ACME)
    assert engine.history(protest.id)[-1].authority == "FILER"


@pytest.mark.parametrize(("trigger", "state", "file_inputs", "due", "dest"), [
    ("deem_denied", "accelerated", {}, "2025-07-10", "denied"),  # mailed LATER: after day 30
    ("deem_denied", "filed", {"exclusion": True}, "2025-04-02", "denied"),  # FILED: 30th day
    ("close", "allowed", {}, LATER, "closed"),  # on the day of the allowance
    ("close", "denied", {}, "2025-12-09", "closed"),  # summons window over (SUMMONS_LAST)
    ("close", "allowed_in_part", {}, "2025-12-09", "closed"),
], ids=["deem_denied-accelerated", "deem_denied-exclusion", "close-allowed", "close-denied",
        "close-allowed_in_part"])
def test_system_transitions_only_by_the_sweep_when_due(cast, engine, trigger, state, file_inputs,
                                                       due, dest):
    protest = protest_in(cast, engine, state, **file_inputs)
    for actor in ("filer", "p2704", "p2704-dir", "c007", "c007-sup"):
        assert_refused(engine, protest.id, trigger, who(cast, actor), BY_LAW)
    with pytest.raises(NotPermitted, match="scheduler's alone"):
        engine.advance(protest.id, trigger, actor=SYSTEM)

    engine.sweep(start_of(due) - timedelta(microseconds=1))
    assert engine.get(protest.id).state == state
    engine.sweep(start_of(due))
    assert engine.get(protest.id).state == dest
    event = engine.history(protest.id)[-1]
    assert (event.trigger, event.actor, event.authority) == (trigger, "system", "SYSTEM")


def test_shared_regime_port_director_may_decide_until_2017_01_18(cast, engine):
    cast.at("2016-01-04")
    one = cast.liquidated(entry_date="2016-01-04", on="2016-02-05")
    two = cast.liquidated(entry_date="2016-01-04", on="2016-02-05")
    first = file_protest(cast, engine, one, on="2016-03-01")
    second = file_protest(cast, engine, two, on="2016-03-01")
    for protest in (first, second):
        engine.advance(protest.id, "accept", actor=who(cast, "p2704"))
    # Delegation Order 14-004 shared center authority with port *directors* only.
    assert_refused(engine, first.id, "deny", who(cast, "p2704"), CENTER_DECIDES)

    cast.at("2017-01-18")
    assert engine.advance(first.id, "deny", actor=who(cast, "p2704-dir")).state == "denied"
    event = engine.history(first.id)[-1]
    assert event.regime == "shared"
    assert "shared by port director" in event.authority
    assert "Delegation Order 14-004" in event.authority

    cast.at("2017-01-19")  # CBP Dec. 16-26: the center alone
    assert_refused(engine, second.id, "deny", who(cast, "p2704-dir"), CENTER_DECIDES)
    engine.advance(second.id, "deny", actor=who(cast, "c007"))
    assert (engine.history(second.id)[-1].authority, engine.history(second.id)[-1].regime) == (
        "CENTER", "center")


# --- filing: the 180 days and what may be protested ---------------------------------------------

@pytest.mark.parametrize(("liquidated", "reliquidated", "day_180_is", "last_day"), [
    (LIQUIDATED, None, "Wednesday", "2025-08-06"),  # day 180 itself
    (LIQUIDATED, "2025-03-10", "Saturday", "2025-09-08"),  # Monday
    ("2024-06-28", None, "Christmas Day", "2024-12-26"),  # Thursday
    (LIQUIDATED, "2025-03-05", "Labor Day", "2025-09-02"),  # Tuesday
], ids=["business-day", "saturday", "christmas", "labor-day"])
def test_protest_period_is_180_days_rolled_to_next_business_day(cast, engine, liquidated,
                                                                reliquidated, day_180_is,
                                                                last_day):
    entry_date = (d(liquidated) - timedelta(days=30)).isoformat()
    cast.at(entry_date)
    entry = cast.liquidated(on=liquidated, entry_date=entry_date)
    latest = liquidated
    if reliquidated:  # a voluntary reliquidation (within 90 days) restarts the period
        cast.at(reliquidated)
        engine.advance(entry.id, "reliquidate", actor=who(cast, "c007"))
        latest = reliquidated
    day_180 = d(latest) + timedelta(days=180)  # day 1 is the day after the (re)liquidation
    assert holidays.US(years=day_180.year).get(day_180, f"{day_180:%A}") == day_180_is

    protest = file_protest(cast, engine, entry, on=last_day)
    assert protest.state == "filed"
    assert protest.data["protest_deadline"] == last_day
    late = (d(last_day) + timedelta(days=1)).isoformat()
    with pytest.raises(RuleViolation,
                       match=rf"protested until {last_day} \(180 days.*1514\(c\)\(3\)"):
        file_protest(cast, engine, entry, on=late)
    assert [p.id for p in engine.list_cases(kind="protest")] == [protest.id]


def test_a_protest_late_for_one_entry_is_untimely_only_as_to_that_entry(cast, engine):
    cast.at("2024-07-01")
    stale = cast.liquidated(entry_date="2024-07-01", on="2024-08-02")  # day 180: 2025-01-29
    cast.at("2024-12-02")
    fresh = cast.liquidated(entry_date="2024-12-02", on="2025-01-10")  # day 180: 2025-07-09
    both = file_protest(cast, engine, stale, fresh, on="2025-01-29")
    assert both.data["protest_deadline"] == "2025-01-29"  # the earliest: amendments end then
    assert "untimely_entries" not in both.data
    engine.advance(both.id, "withdraw", actor=who(cast, "filer"))  # one protest per entry
    # 19 CFR 174.13(b): the next day it is late for the stale entry only; the fresh one goes on.
    late_for_one = file_protest(cast, engine, stale, fresh, on="2025-01-30")
    assert late_for_one.data["untimely_entries"] == [stale.entries[0].replace("-", "")]
    assert "until 2025-01-29 (180 days" in late_for_one.data["untimely"][0]
    assert late_for_one.data["protest_deadline"] == "2025-07-09"
    with pytest.raises(RuleViolation, match=r"protested until 2025-01-29.*174\.13\(b\)"):
        file_protest(cast, engine, stale, on="2025-01-30")
    # Allowing it reliquidates the timely entry only.
    engine.advance(late_for_one.id, "accept", actor=who(cast, "p2704"))
    engine.advance(late_for_one.id, "allow", actor=who(cast, "c007"))
    assert engine.get(fresh.id).state == "reliquidated"
    assert engine.get(fresh.id).data["liquidation_type"] == "5"  # a refund (173.2(d))
    assert engine.get(stale.id).state != "reliquidated"


def test_entries_of_two_importers_are_refused(cast, engine):
    acme, zeta = cast.liquidated(on=LIQUIDATED), cast.liquidated(on=LIQUIDATED,
                                                                 importer=cast.ZETA)
    with pytest.raises(RuleViolation, match=r"different importers.*174\.12\(a\)"):
        file_protest(cast, engine, acme, zeta)
    assert engine.list_cases(kind="protest") == []


def test_an_unliquidated_entry_is_refused_pointing_to_a_psc(cast, engine):
    entry = cast.entry()
    with pytest.raises(RuleViolation, match=r"not liquidated.*post-summary correction.*1514\(a\)"):
        file_protest(cast, engine, entry)
    assert engine.list_cases(kind="protest") == []


def test_amendment_until_the_protest_deadline_and_further_review_needs_a_request(cast, engine):
    protest = protest_in(cast, engine, "accepted")  # filed without further review
    assert_refused(engine, protest.id, "grant_further_review", who(cast, "c007"),
                   r"did not apply for further review.*174\.25", RuleViolation)

    cast.at("2025-08-06")  # the last day to protest LIQUIDATED
    amended = engine.advance(protest.id, "amend", actor=who(cast, "filer"),
                             inputs={"reason": "valuation", "further_review": True})
    assert (amended.state, amended.data["reason"], amended.data["amendments"]) == (
        "accepted", "valuation", 1)

    cast.at("2025-08-07")
    assert engine.advance(protest.id, "grant_further_review",
                          actor=who(cast, "c007")).state == "further_review"
    assert_refused(engine, protest.id, "amend", who(cast, "filer"),
                   r"ended on 2025-08-06.*174\.14", RuleViolation, reason="late")


# --- accelerated disposition and exclusion: deemed denied by the sweep --------------------------

def test_accelerated_disposition_at_filing_then_deemed_denied_at_the_close_of_day_30(cast,
                                                                                    engine):
    protest = protest_in(cast, engine, "filed")  # entries of 2025: no 90-day wait (174.22(a))
    cast.at("2025-03-05")  # keyed in two days after the request was mailed with the protest
    engine.advance(protest.id, "request_accelerated_disposition", actor=who(cast, "filer"),
                   inputs={"mailed_on": FILED})
    # 30 days from mailing: day 30 is 2025-04-02; CBP may decide through it.
    engine.sweep(start_of("2025-04-03") - timedelta(microseconds=1))
    assert engine.get(protest.id).state == "accelerated"
    engine.sweep(start_of("2025-04-03"))
    denied = engine.get(protest.id)
    assert denied.state == "denied"
    assert (denied.data.get("decision"), denied.data.get("denied_on")) == (
        "deemed_denied", "2025-04-02")


def moved_cutover(name: str, to: date) -> Rule:
    """Rule `name` of states/rules.py with its 2004-12-18 value taking effect on `to` instead."""
    old, new = rule(name).values
    return Rule(name, rule(name).summary, rule(name).unit, rule(name).by,
                (old, Value(to, new.value, new.source)))


def cutover_engine(db_url, clock, **params):
    """An engine whose 2004-12-18 cut-over (the dated series of the protest period and the
    accelerated-disposition wait) falls after this module's 2025 entries: they are treated as
    entries made before it. (The engine refuses to record real 2004 entries: no center authority
    regime was in force then.)"""
    moved = tuple(moved_cutover(name, date(2025, 6, 1)) for name in (
        "protest_period_days", "accelerated_disposition_min_days"))
    return Engine(db_url, clock=clock, params=RuleParams(series=moved, **params))


def test_accelerated_disposition_waits_90_days_only_where_every_entry_is_before_the_cutover(
        cast, engine, db_url, clock):
    protest = protest_in(cast, engine, "filed")  # entry 2025-01-08, filed FILED
    old_rules = cutover_engine(db_url, clock)
    try:
        cast.at("2025-05-31")  # FILED + 89 days
        assert_refused(old_rules, protest.id, "request_accelerated_disposition",
                       who(cast, "filer"), r"from 2025-06-01, 90 days after filing, for "
                       r"entries made when the wait was in force \(RuleParams override: "
                       r".*174\.22\(a\)", RuleViolation)
        cast.at("2025-06-01")
        assert old_rules.advance(protest.id, "request_accelerated_disposition",
                                 actor=who(cast, "filer")).state == "accelerated"
    finally:
        old_rules.close()


def test_accelerated_disposition_waiting_period_is_a_parameter(cast, engine, db_url, clock):
    """A set field wins over the dated series: an agency reading a 7-day wait for old entries
    gets 7 days, not the statute's 90."""
    protest = protest_in(cast, engine, "filed")
    eager = cutover_engine(db_url, clock, accelerated_disposition_min_days=7)
    try:
        cast.at("2025-03-09")
        assert_refused(eager, protest.id, "request_accelerated_disposition",
                       who(cast, "filer"), r"7 days after filing.*\(RuleParams override\)",
                       RuleViolation)
        cast.at("2025-03-10")
        eager.advance(protest.id, "request_accelerated_disposition", actor=who(cast, "filer"))
    finally:
        eager.close()
    assert engine.get(protest.id).state == "accelerated"


def test_90_days_to_protest_for_entries_before_the_cutover(cast, engine, db_url, clock):
    entry = cast.liquidated(on=LIQUIDATED)  # day 90: 2025-05-08 (Thursday)
    old_rules = cutover_engine(db_url, clock)
    try:
        cast.at("2025-05-09")
        with pytest.raises(RuleViolation, match=r"until 2025-05-08 \(90 days, RuleParams "
                                                r"override: .*174\.12\(e\)"):
            old_rules.open_case("protest", actor=who(cast, "filer"), entries=[entry.entries[0]])
        cast.at("2025-05-08")
        assert old_rules.open_case("protest", actor=who(cast, "filer"), entries=[
            entry.entries[0]]).data["protest_deadline"] == "2025-05-08"
    finally:
        old_rules.close()


def test_only_an_exclusion_protest_is_deemed_denied_after_30_days(cast, engine):
    exclusion = file_protest(cast, engine, cast.liquidated(on=LIQUIDATED), exclusion=True)
    ordinary = file_protest(cast, engine, cast.liquidated(on=LIQUIDATED))
    cast.at("2025-03-04")
    for protest in (exclusion, ordinary):  # accepting re-arms the timers, same due date
        engine.advance(protest.id, "accept", actor=who(cast, "p2704"))

    engine.sweep(start_of("2025-04-02") - timedelta(microseconds=1))
    assert engine.get(exclusion.id).state == "accepted"
    engine.sweep(start_of("2025-04-02"))  # "denied on that 30th day" (1499(c)(5)(B))
    denied = engine.get(exclusion.id)
    assert (denied.state, denied.data.get("decision")) == ("denied", "deemed_denied")
    assert denied.data.get("denied_on") == "2025-04-02"  # "on the 30th day" (19 CFR 174.21(b))

    engine.sweep(start_of("2025-12-01"))
    assert engine.get(ordinary.id).state == "accepted"
    assert pending(engine, ordinary.id, "exclusion_deemed_denial") == []
