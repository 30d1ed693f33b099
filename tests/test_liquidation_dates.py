"""The dates of liquidation as the law counts them (issue #11, items 2 and 3; REFERENCE.md §1).

The nth extension ends entry date + (n+1) years (1504(b)); one scheduled-liquidation date per
entry; the protest period a liquidation opens by the rule in force on the entry date.
"""

from __future__ import annotations

import pytest

from cee_workflow import RuleViolation


def extend(cast, case_id: str, times: int, by: str = "c007") -> None:
    for _ in range(times):
        cast.engine.advance(case_id, "extend", actor=cast.actor(by), inputs={"reason": "01"})


def test_a_29_february_entry_extended_three_times_keeps_29_february(cast, engine):
    cast.at("2024-02-29")
    case = cast.entry(entry_date="2024-02-29")
    assert case.data["liquidation_deadline"] == "2025-02-28"
    deadlines = []
    for _ in range(3):
        extend(cast, case.id, 1)
        deadlines.append(engine.get(case.id).data["liquidation_deadline"])
    # Each counted from the entry date: 4 years on is 29 February again, not the 28th.
    assert deadlines == ["2026-02-28", "2027-02-28", "2028-02-29"]
    with pytest.raises(RuleViolation, match="extended 3 times, the most allowed"):
        extend(cast, case.id, 1)
    cast.at("2028-02-29")
    engine.sweep()
    assert engine.get(case.id).state == "extended"  # not deemed liquidated a day early
    cast.at("2028-03-01")
    engine.sweep()
    deemed = engine.get(case.id)
    assert (deemed.state, deemed.data["liquidated_on"]) == ("liquidated", "2028-02-29")


@pytest.mark.parametrize(("entered", "liquidated", "days", "last_day"), [
    ("2004-12-17", "2005-02-04", 90, "2005-05-05"),  # entered before 2004-12-18: 90 days
    ("2004-12-18", "2005-02-04", 180, "2005-08-03"),  # on or after: 180 days
])
def test_the_protest_period_a_liquidation_opens_follows_the_entry_date(cast, engine, entered,
                                                                       liquidated, days,
                                                                       last_day):
    cast.at(entered)
    case = cast.entry(entry_date=entered)
    # Before DO 14-004 reached center 007 the port held the function: its officer schedules.
    engine.advance(case.id, "schedule", actor=cast.actor("p2704"), inputs={"date": liquidated})
    cast.at(liquidated)
    done = engine.advance(case.id, "liquidate", actor=cast.actor("p2704"))
    assert done.data["protest_deadline"] == last_day
    applied = engine.history(case.id)[-1].data["changes"]["rules_applied"]
    assert applied["protest_period_days"]["value"] == days
    assert applied["protest_period_days"]["on"] == entered


def test_a_late_posting_is_dated_when_posted_and_the_protest_period_counts_from_it(cast,
                                                                                   engine):
    case = cast.entry()  # entered 2025-01-06
    cast.at("2025-01-13")
    engine.advance(case.id, "schedule", actor=cast.actor("c007"), inputs={"date": "2025-02-07"})
    cast.at("2025-02-12")  # recorded the Wednesday after its bulletin
    with pytest.raises(RuleViolation, match="posted_on 2025-02-06 is before the bulletin"):
        engine.advance(case.id, "liquidate", actor=cast.actor("c007"),
                       inputs={"posted_on": "2025-02-06"})
    done = engine.advance(case.id, "liquidate", actor=cast.actor("c007"),
                          inputs={"posted_on": "2025-02-10"})
    # 2025-02-10 + 180 days = Saturday 2025-08-09, rolled to Monday 2025-08-11.
    assert (done.data["liquidated_on"], done.data["protest_deadline"]) == (
        "2025-02-10", "2025-08-11")
    assert engine.history(case.id)[-1].data["inputs"]["posted_on"] == "2025-02-10"


def test_an_extension_needs_its_notice_or_request_before_the_period_ends(cast, engine):
    case = cast.entry()  # deadline 2026-01-06
    cast.at("2026-01-09")  # recorded late, before the sweep
    with pytest.raises(RuleViolation, match="noticed on 2026-01-09 comes after the liquidation "
                                            "period ended on 2026-01-06"):
        engine.advance(case.id, "extend", actor=cast.actor("c007"), inputs={"reason": "01"})
    with pytest.raises(RuleViolation, match="request of 2026-01-09 came after"):  # default today
        engine.advance(case.id, "extend", actor=cast.actor("c007"),
                       inputs={"reason": "02", "notice_on": "2026-01-05"})
    with pytest.raises(RuleViolation, match="request of 2026-01-07 came after"):
        engine.advance(case.id, "extend", actor=cast.actor("c007"), inputs={
            "reason": "02", "requested_on": "2026-01-07", "notice_on": "2026-01-05"})
    done = engine.advance(case.id, "extend", actor=cast.actor("c007"), inputs={
        "reason": "02", "requested_on": "2025-12-15", "notice_on": "2026-01-05"})
    assert (done.data["liquidation_deadline"], done.data["extension_notices"],
            done.data["importer_requested_on"]) == ("2027-01-06", ["2026-01-05"], "2025-12-15")
