"""The protest after its decision (states/protest.py), through the engine on SQLite and PostgreSQL:
the summons window and closing, a void denial, reliquidation opening a new 180 days, and the
directory 2-year decision limit that escalates and never decides (Hitachi). REFERENCE.md §2, §6.
Helpers and the shared dates: tests/test_protest.py.
"""

from __future__ import annotations

import pytest
from test_protest import (
    LATER,
    LIQUIDATED,
    SUMMONS_LAST,
    assert_refused,
    d,
    file_protest,
    pending,
    protest_in,
    start_of,
    who,
)

from cee_workflow import InvalidTransition, RuleViolation

# --- after the decision -------------------------------------------------------------------------

def test_summons_within_180_days_of_denial_then_closed_by_sweep(cast, engine):
    denied = protest_in(cast, engine, "denied")
    partly = protest_in(cast, engine, "allowed_in_part")  # a partial denial: same window
    cast.at(SUMMONS_LAST)
    assert engine.advance(denied.id, "file_summons",
                          actor=who(cast, "filer")).state == "litigation"
    cast.at("2025-12-09")
    assert_refused(engine, partly.id, "file_summons", who(cast, "filer"),
                   rf"ended on {SUMMONS_LAST}; the denial is final.*2636\(a\)", RuleViolation)
    engine.sweep(start_of("2025-12-09"))
    assert engine.get(partly.id).state == "closed"
    assert engine.get(denied.id).state == "litigation"


def test_void_denial_returns_protest_to_accepted_and_cancels_summons_window(cast, engine):
    protest = protest_in(cast, engine, "denied")
    voided = engine.advance(protest.id, "void_denial", actor=who(cast, "c007"))
    assert voided.state == "accepted"
    assert (voided.data["decision"], voided.data["voided_denial_of"]) == (None, LATER)
    assert pending(engine, protest.id, "summons_window") == []

    engine.sweep(start_of("2026-01-05"))  # well past the voided denial's summons window
    assert engine.get(protest.id).state == "accepted"
    cast.at("2026-01-05")
    assert engine.advance(protest.id, "allow", actor=who(cast, "c007")).state == "allowed"


def test_a_decided_protest_cannot_be_withdrawn(cast, engine):
    protest = protest_in(cast, engine, "denied")
    assert_refused(engine, protest.id, "withdraw", who(cast, "filer"), "possible only from",
                   InvalidTransition)


def test_reliquidation_from_allowed_protest_opens_a_new_180_days(cast, engine):
    entry = cast.liquidated(on=LIQUIDATED)  # first period ends 2025-08-06
    first = file_protest(cast, engine, entry)
    engine.advance(first.id, "accept", actor=who(cast, "p2704"))
    cast.at("2025-07-11")
    engine.advance(first.id, "allow", actor=who(cast, "c007"))
    engine.sweep()
    assert engine.get(first.id).state == "closed"
    assert engine.get(entry.id).state == "reliquidated"

    second = file_protest(cast, engine, entry, on="2026-01-07")  # 2025-07-11 + 180 days
    assert (second.state, second.data["protest_deadline"]) == ("filed", "2026-01-07")
    with pytest.raises(RuleViolation, match=r"until 2026-01-07.*1514\(c\)\(3\)"):
        file_protest(cast, engine, entry, on="2026-01-08")


# --- the 2-year decision limit: directory, it escalates and never decides (Hitachi) -------------

def test_decision_limit_is_armed_while_pending_and_never_decides(cast, engine):
    protest = file_protest(cast, engine, cast.liquidated(on=LIQUIDATED), further_review=True)
    for trigger, state in ((None, "filed"), ("accept", "accepted"),
                           ("grant_further_review", "further_review")):
        if trigger:
            engine.advance(protest.id, trigger, actor=who(cast, "c007"))
        [timer] = pending(engine, protest.id, "decision_limit")
        assert (timer.state, timer.last_day, timer.action) == (state, d("2027-03-03"), None)

    engine.sweep(start_of("2030-01-07"))
    late = engine.get(protest.id)
    assert (late.state, late.data.get("decision")) == ("further_review", None)
    cast.at("2030-01-07")  # a late decision is still a decision
    assert engine.advance(protest.id, "allow", actor=who(cast, "c007")).state == "allowed"


def test_a_deemed_denial_may_be_voided_and_the_summons_clock_runs_from_it(cast, engine):
    entry = cast.liquidated(on=LIQUIDATED)
    cast.at("2025-03-03")
    protest = engine.open_case("protest", actor=cast.actor(f"filer:{cast.ACME}"),
                          entries=[entry.entries[0]], exclusion=True)
    engine.sweep(start_of("2025-04-02"))
    assert engine.get(protest.id).data["decision"] == "deemed_denied"
    cast.at("2025-04-10")
    voided = engine.advance(protest.id, "void_denial", actor=cast.actor("c007"))
    assert (voided.state, voided.data["voided_denial_of"]) == ("accepted", "2025-04-02")
    redenied = engine.advance(protest.id, "deny", actor=cast.actor("c007"))
    # 1515(c): effective from the original denial for 28 U.S.C. 2636.
    assert (redenied.data["denied_on"], redenied.data["summons_from"]) == (
        "2025-04-10", "2025-04-02")
    [window] = pending(engine, protest.id, "summons_window")
    assert window.last_day == d("2025-09-29")  # 2025-04-02 + 180 = Mon 09-29
