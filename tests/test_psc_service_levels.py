"""The post-summary correction's service levels (states/psc.py), through the engine on SQLite and
PostgreSQL: trusted traders routed to the Partnership division with tighter levels, the
liquidation lead following the entry's rescheduling and extension, the team review's
escalations, and no timers once a PSC is validated unreviewed or terminal. REFERENCE.md §3, §5.
Helpers: tests/test_psc.py.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from test_psc import assert_refused, d, escalations, pending, psc_in, start_of, who

from cee_workflow import InvalidTransition

# --- service levels: the liquidation lead and team review -----------------------------------------

@pytest.mark.parametrize(("importer", "division", "lead_day", "review_last_day"), [
    ("ACME", "partnership", "2025-10-07", "2025-07-02"),  # 45 days before 11-21; 30 days
    ("ZETA", "validation", "2025-10-22", "2025-08-01"),  # 30 days before 11-21; 60 days
])
def test_trusted_traders_route_to_partnership_with_tighter_service_levels(
        cast, engine, importer, division, lead_day, review_last_day):
    psc, _ = psc_in(cast, engine, "team_review", importer=getattr(cast, importer))
    assert (psc.division, psc.data["service_level"]) == (division, division)
    [lead] = pending(engine, psc.id, "liquidation_lead")
    assert (lead.kind, lead.last_day, lead.action) == ("service", d(lead_day), None)
    [review] = pending(engine, psc.id, "team_review")
    assert (review.kind, review.last_day) == ("service", d(review_last_day))


def test_the_liquidation_lead_follows_rescheduling_and_extension(cast, engine):
    psc, entry = psc_in(cast, engine, "team_review")
    assert pending(engine, psc.id, "liquidation_lead")[0].last_day == d("2025-10-07")
    cast.at("2025-06-03")
    engine.advance(entry.id, "schedule", actor=who(cast, "c007"), inputs={"date": "2025-09-05"})
    assert pending(engine, psc.id, "liquidation_lead")[0].last_day == d("2025-07-22")
    engine.advance(entry.id, "extend", actor=who(cast, "c007"), inputs={"reason": "01"})
    assert pending(engine, psc.id, "liquidation_lead")[0].last_day == d("2026-11-22")
    engine.advance(entry.id, "suspend", actor=who(cast, "c007"), inputs={"reason": "06"})
    assert pending(engine, psc.id, "liquidation_lead") == []  # no liquidation date while suspended


def test_a_psc_in_review_escalates_before_its_entrys_liquidation(cast, engine):
    psc, entry = psc_in(cast, engine, "team_review")
    cast.at("2025-06-03")
    engine.advance(entry.id, "schedule", actor=who(cast, "c007"), inputs={"date": "2025-09-05"})
    engine.sweep(start_of("2025-07-15") - timedelta(microseconds=1))
    assert escalations(engine, psc.id, "liquidation_lead") == []
    cast.at("2025-07-15", hour=0)
    engine.sweep()  # a week's warning
    cast.at("2025-07-22", hour=0)
    engine.sweep()
    assert escalations(engine, psc.id, "liquidation_lead") == [
        ("warning", "2025-07-15"), ("overdue", "2025-07-22")]
    assert engine.get(psc.id).state == "team_review"


def test_a_validated_psc_nobody_reviews_has_no_liquidation_timers(cast, engine):
    psc, _ = psc_in(cast, engine, "validated")
    assert [t.timer for t in engine.deadlines(psc.id) if t.status == "pending"] == []


def test_the_team_review_service_level_escalates(cast, engine):
    psc, _ = psc_in(cast, engine, "team_review")  # partnership: decide by 2025-07-02
    engine.sweep(start_of("2025-06-26"))  # a week's warning to the center's queue
    assert engine.get(psc.id).escalation == 1
    engine.sweep(start_of("2025-07-03") - timedelta(microseconds=1))
    assert engine.get(psc.id).escalation == 1
    engine.sweep(start_of("2025-07-03"))
    assert engine.get(psc.id).escalation == 2
    assert [(e.data["timer"], e.data["stage"]) for e in engine.history(psc.id)
            if e.trigger == "escalate"] == [("team_review", "warning"), ("team_review", "overdue")]


def test_a_terminal_psc_has_no_timers(cast, engine):
    psc, _ = psc_in(cast, engine, "team_review")
    engine.advance(psc.id, "accept_changes", actor=who(cast, "c007"))
    assert [t for t in engine.deadlines(psc.id) if t.status == "pending"] == []
    assert_refused(engine, psc.id, "withdraw", who(cast, "filer"), "possible only from",
                   InvalidTransition)
