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
