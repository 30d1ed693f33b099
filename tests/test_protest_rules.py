"""Protest rules of issue #10 at their edges, on SQLite and PostgreSQL: what a protest is about
(1514(a)), exclusion (1499(c)(5)(B)), deemed denials that bind (1515(b), (c)), void denial
(1515(d)), and the legal dates those count from (REFERENCE.md §2, §6)."""

from __future__ import annotations

import pytest
from test_protest import LIQUIDATED, assert_refused, file_protest, start_of, who

from cee_workflow import InvalidInput, RuleViolation


def test_an_exclusion_protest_lies_on_an_unliquidated_entry_from_its_decision_date(cast,
                                                                                   engine):
    entry = cast.entry()
    cast.at("2025-03-10")
    protest = engine.open_case("protest", actor=who(cast, "filer"), entries=[entry.entries[0]],
                          protested="exclusion", decision_date="2025-03-03")
    assert (protest.data["protested"], protest.data["decision_date"]) == ("exclusion",
                                                                          "2025-03-03")
    assert protest.data["protest_deadline"] == "2025-09-02"  # 03-03 + 180 = Sat 08-30 → Tue
    with pytest.raises(RuleViolation, match=r"not liquidated.*1514\(a\)\(5\)"):
        engine.open_case("protest", actor=who(cast, "filer"), entries=[entry.entries[0]])
    with pytest.raises(InvalidInput, match=r"decision_date 2025-03-11 is after today"):
        engine.open_case("protest", actor=who(cast, "filer"), entries=[entry.entries[0]],
                    protested="charge", decision_date="2025-03-11")


@pytest.mark.parametrize(("day", "allowed"), [("2025-04-01", True), ("2025-04-02", False)])
def test_an_exclusion_protest_must_be_decided_before_the_30th_day(cast, engine, day, allowed):
    protest = file_protest(cast, engine, cast.liquidated(on=LIQUIDATED), exclusion=True)
    engine.advance(protest.id, "accept", actor=who(cast, "p2704"))
    cast.at(day)  # day 29 / day 30 after FILED; no sweep has run
    if allowed:
        done = engine.advance(protest.id, "allow", actor=who(cast, "c007"))
        assert (done.state, done.data["released_on"]) == ("allowed", day)
        return
    assert_refused(engine, protest.id, "deny", who(cast, "c007"),
                   r"deemed denied on 2025-04-02 \(19 U\.S\.C\. 1499\(c\)\(5\)\(B\).*1515\(c\)",
                   RuleViolation)


@pytest.mark.parametrize(("day", "allowed"), [("2025-04-02", True), ("2025-04-03", False)])
def test_a_decision_after_the_accelerated_deemed_denial_is_refused_before_any_sweep(
        cast, engine, day, allowed):
    protest = file_protest(cast, engine, cast.liquidated(on=LIQUIDATED))
    engine.advance(protest.id, "accept", actor=who(cast, "p2704"))
    engine.advance(protest.id, "request_accelerated_disposition", actor=who(cast, "filer"))
    cast.at(day)  # mailed FILED: day 30 is 04-02, CBP may decide through its close
    if allowed:
        assert engine.advance(protest.id, "deny", actor=who(cast, "c007")).data[
            "summons_from"] == day
        return
    for trigger in ("allow", "allow_in_part", "deny"):
        assert_refused(engine, protest.id, trigger, who(cast, "c007"),
                       r"deemed denied on 2025-04-02 .*174\.22\(d\)", RuleViolation)
    engine.sweep(start_of(day))
    denied = engine.get(protest.id)
    assert (denied.state, denied.data["denied_on"], denied.data["summons_from"]) == (
        "denied", "2025-04-02", "2025-04-02")


def test_legal_dates_of_a_protest_are_bounded_by_its_filing(cast, engine):
    protest = file_protest(cast, engine, cast.liquidated(on=LIQUIDATED))
    cast.at("2025-03-10")
    assert_refused(engine, protest.id, "request_accelerated_disposition", who(cast, "filer"),
                   r"mailed_on 2025-03-02 is before the filing of the protest on 2025-03-03",
                   RuleViolation, mailed_on="2025-03-02")
    assert_refused(engine, protest.id, "request_accelerated_disposition", who(cast, "filer"),
                   r"mailed_on 2025-03-11 is after today", InvalidInput, mailed_on="2025-03-11")
    engine.advance(protest.id, "accept", actor=who(cast, "p2704"))
    assert_refused(engine, protest.id, "deny", who(cast, "c007"),
                   r"decided_on 2025-03-01 is before the filing", RuleViolation,
                   decided_on="2025-03-01")


@pytest.mark.parametrize(("day", "allowed"), [("2025-06-08", True), ("2025-06-09", False)])
def test_a_void_requested_by_the_protestant_within_90_days_of_the_denial(cast, engine, day,
                                                                         allowed):
    protest = file_protest(cast, engine, cast.liquidated(on=LIQUIDATED))
    engine.advance(protest.id, "accept", actor=who(cast, "p2704"))
    cast.at("2025-03-10")
    engine.advance(protest.id, "deny", actor=who(cast, "c007"))
    cast.at(day)  # day 90 / 91 after the denial of 03-10
    if allowed:
        voided = engine.advance(protest.id, "void_denial", actor=who(cast, "c007"),
                                inputs={"on_request": True})
        assert voided.state == "accepted"
        redenied = engine.advance(protest.id, "deny", actor=who(cast, "c007"))
        assert redenied.data["summons_from"] == "2025-03-10"  # 1515(c): the original denial
        return
    assert_refused(engine, protest.id, "void_denial", who(cast, "c007"),
                   r"by 2025-06-08 \(90 days\).*1515\(d\)", RuleViolation, on_request=True)
    # On its own initiative CBP may still void it.
    assert engine.advance(protest.id, "void_denial", actor=who(cast, "c007")).state == "accepted"
