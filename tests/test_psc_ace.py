"""PSC as ACE runs it (issue #11, item 4; REFERENCE.md §3), on SQLite and PostgreSQL.

A validated PSC has replaced the summary; team review is optional and only a PSC in team review
holds the liquidation; a PSC in review escalates to a supervisor and the director before the
entry's deemed-liquidation date; every open PSC closes when its entry liquidates, by any path
(the auto-posting, the Friday bulletin, deemed); the window by the filing date.
"""

from __future__ import annotations

from datetime import date

import pytest
from test_psc import escalations, file_psc, start_of, summary_version, who

from cee_workflow import RuleViolation

ENTERED = "2025-01-06"


def scheduled_entry(cast, engine, bulletin="2025-03-07"):
    entry = cast.entry(entry_date=ENTERED)
    cast.at("2025-01-13")
    engine.advance(entry.id, "schedule", actor=who(cast, "c007"), inputs={"date": bulletin})
    return entry


def assert_closed_by(engine, psc_id, entry_id, trigger):
    closed = engine.get(psc_id)
    assert (closed.state, closed.data["closed_by"]) == ("closed_by_liquidation", entry_id)
    event = engine.history(psc_id)[-1]
    assert (event.trigger, event.actor, event.authority) == (
        "close_on_liquidation", "system", "SYSTEM")
    assert event.note == f"closed: entry liquidated by {entry_id} {trigger}"


def test_an_unreviewed_validated_psc_liquidates_on_its_bulletin_with_the_new_version(
        cast, engine):
    entry = scheduled_entry(cast, engine)
    psc = file_psc(cast, engine, entry, on="2025-02-03")
    engine.sweep()  # ACE validates: version 2
    assert summary_version(engine, entry) == 2
    cast.at("2025-03-07")
    engine.sweep()  # the bulletin posts: nobody reviewed the PSC, nothing holds the entry
    liquidated = engine.get(entry.id)
    assert (liquidated.state, liquidated.data["liquidated_on"]) == ("liquidated", "2025-03-07")
    assert summary_version(engine, entry) == 2  # it liquidated on the PSC's summary
    assert_closed_by(engine, psc.id, entry.id, "auto_liquidate")


def test_the_friday_bulletin_closes_the_open_pscs_of_the_entries_it_liquidates(cast, engine):
    entries = [scheduled_entry(cast, engine) for _ in range(3)]
    psc = file_psc(cast, engine, entries[1], on="2025-02-03")
    engine.sweep()
    cast.at("2025-03-07")
    result = engine.liquidate_bulletin(date(2025, 3, 7), actor=who(cast, "c007"))
    assert result.done == 3
    assert {engine.get(e.id).state for e in entries} == {"liquidated"}
    assert_closed_by(engine, psc.id, entries[1].id, "liquidate")


def test_a_psc_in_review_escalates_to_the_director_before_the_deemed_date(cast, engine):
    # Held in team review, the entry cannot post on its bulletin (2025-11-21); it would be
    # deemed liquidated on 2026-01-06's end. The supervisor hears 45 days before it, the
    # director 30 days later — still two weeks before the deemed date.
    entry = cast.entry(entry_date=ENTERED)
    psc = file_psc(cast, engine, entry, on="2025-06-02")
    engine.sweep()
    engine.advance(psc.id, "take_into_review", actor=who(cast, "c007"))
    for day in ("2025-11-15", "2025-11-21", "2025-11-22", "2025-12-22"):
        cast.at(day, hour=0)
        engine.sweep()
    assert escalations(engine, psc.id, "deemed_liquidation_lead") == [
        ("warning", "2025-11-15"), ("overdue", "2025-11-22"), ("director", "2025-12-22")]
    notes = [e.note for e in engine.history(psc.id) if e.trigger == "escalate"
             and e.data["timer"] == "deemed_liquidation_lead"]
    assert notes[-1] == "deemed_liquidation_lead director: to the director of center 007"
    assert engine.get(entry.id).state == "scheduled"  # held, not liquidated, not lost
    engine.sweep(start_of("2026-01-07"))
    assert engine.get(entry.id).data["liquidation_type"] == "7"
    assert_closed_by(engine, psc.id, entry.id, "deem_liquidated")


@pytest.mark.parametrize(("filed", "allowed_until", "days"), [
    ("2017-10-31", "2017-10-02", 270),  # the old window: 270 days from entry
    ("2017-11-01", "2017-11-01", 300),  # 82 FR 50656 from its general notice
])
def test_the_window_is_the_one_in_force_on_the_filing_date(cast, engine, filed, allowed_until,
                                                           days):
    # Entered 2017-01-05: day 270 is 2017-10-02, day 300 is 2017-11-01.
    cast.at("2017-01-05")
    entry = cast.entry(entry_date="2017-01-05")
    if days == 270:
        with pytest.raises(RuleViolation, match=r"until 2017-10-02 \(270 days from the entry"):
            file_psc(cast, engine, entry, on=filed)
        return
    psc = file_psc(cast, engine, entry, on=filed)
    applied = psc.data["rules_applied"]["psc_days_from_entry"]
    assert (psc.data["last_permitted_day"], applied["value"], applied["since"]) == (
        allowed_until, 300, "2017-11-01")
