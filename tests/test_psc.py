"""The post-summary correction lifecycle (states/psc.py) through the engine, on SQLite and
PostgreSQL.

Who may take each transition; the filing window at its edges (day 300 against 301, 15 days before
the scheduled — officer's or automatic — and the importer-extended liquidation date, the AD/CVD
exemption); validation and rejection by the sweep only; the summary version; the couplings with
the entry's liquidation (no PSC on a liquidated entry or a summary under CBP review; no
liquidation over a PSC under review but by a supervisor's recorded override; deemed liquidation
never blocked). The service-level timers: tests/test_psc_service_levels.py.
REFERENCE.md §3, §5.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from sqlmodel import Session

from cee_workflow import InvalidInput, NotPermitted, RuleViolation
from cee_workflow.states.calendar import LEGAL_TZ
from cee_workflow.storage.models import Entry
from cee_workflow.workflow.jurisdiction import SYSTEM

ENTERED = "2025-01-06"  # a Monday: day 300 is Sun 2025-11-02; auto-liquidation Fri 2025-11-21
FILED = "2025-06-02"

FILERS_ACTION = "is the filer's action"
NO_STANDING = "has no standing"
NOT_A_FILERS = "a filer cannot take it"
CENTER_DECIDES = "holds port authority — center 007 decides"
NOT_CENTER_005 = r"no jurisdiction over (PS|LQ)-\d+, a case of center 007"
BY_LAW = "happens by operation of law"
WINDOW = r"\(19 CFR 101\.9\(b\); 82 FR 50656 \(2017\)\)"
EXTENDED_WINDOW = r"\(19 CFR 101\.9\(b\); 84 FR 40430 \(2019\)\)"


def d(text: str) -> date:
    return date.fromisoformat(text)


def start_of(day: str) -> datetime:
    return datetime.combine(d(day), time.min, tzinfo=LEGAL_TZ)


def who(cast, name: str):
    return cast.actor({"filer": f"filer:{cast.ACME}", "zeta filer": f"filer:{cast.ZETA}"}
                      .get(name, name))


def file_psc(cast, engine, entry, *, on: str = FILED, by: str = "filer", **inputs):
    """File a PSC on the entry of liquidation case `entry` on `on` (the clock is left there)."""
    cast.at(on)
    return engine.open_case("psc", actor=who(cast, by), entries=[entry.entries[0]], **inputs)


def refused_filing(cast, engine, entry, match, *, on: str, error=RuleViolation, by="filer"):
    """Filing is refused with `match` and opens nothing."""
    before = len(engine.list_cases(kind="psc"))
    with pytest.raises(error, match=match):
        file_psc(cast, engine, entry, on=on, by=by)
    assert len(engine.list_cases(kind="psc")) == before


def psc_in(cast, engine, state: str, importer: str | None = None):
    """A PSC filed on FILED on a fresh entry of ENTERED, brought to `state` the same day."""
    entry = cast.entry(importer=importer, entry_date=ENTERED)
    psc = file_psc(cast, engine, entry, reason="value of assists",
                   by=f"filer:{importer}" if importer else "filer")
    if state in ("validated", "team_review"):
        engine.sweep()
    if state == "team_review":
        engine.advance(psc.id, "take_into_review", actor=who(cast, "c007"))
    assert engine.get(psc.id).state == state
    return engine.get(psc.id), entry


def assert_refused(engine, case_id, trigger, actor, match, error=NotPermitted, **inputs):
    before, events = engine.get(case_id), len(engine.history(case_id))
    with pytest.raises(error, match=match):
        engine.advance(case_id, trigger, actor=actor, inputs=inputs)
    after = engine.get(case_id)
    assert (after.state, after.version, after.data) == (before.state, before.version, before.data)
    assert len(engine.history(case_id)) == events


def pending(engine, case_id, timer: str):
    return [t for t in engine.deadlines(case_id) if t.timer == timer and t.status == "pending"]


def summary_version(engine, entry) -> int:
    with Session(engine.db) as session:
        return session.get(Entry, entry.entries[0].replace("-", "")).summary_version


def escalations(engine, case_id, timer):
    return [(e.data["stage"], e.at.astimezone(LEGAL_TZ).date().isoformat())
            for e in engine.history(case_id)
            if e.trigger == "escalate" and e.data["timer"] == timer]


# --- who may take each transition ----------------------------------------------------------------

FILER_ONLY = {"p2704": FILERS_ACTION, "c007": FILERS_ACTION, "zeta filer": NO_STANDING}
CENTER_ONLY = {"filer": NOT_A_FILERS, "p2704": CENTER_DECIDES, "p2704-dir": CENTER_DECIDES,
               "c005": NOT_CENTER_005}

TRANSITIONS = [  # trigger, from, inputs, who may, authority recorded, to, who may not
    ("take_into_review", "validated", {}, "c007", "CENTER", "team_review", CENTER_ONLY),
    ("accept_changes", "team_review", {}, "c007", "CENTER", "accepted", CENTER_ONLY),
    ("reject_changes", "team_review", {"reason": "no support"}, "c007", "CENTER",
     "changes_rejected", CENTER_ONLY),
    ("withdraw", "filed", {}, "filer", "FILER", "withdrawn", FILER_ONLY),
    ("withdraw", "validated", {}, "filer", "FILER", "withdrawn", FILER_ONLY),
    ("withdraw", "team_review", {}, "filer", "FILER", "withdrawn", FILER_ONLY),
]


@pytest.mark.parametrize(("trigger", "state", "inputs", "allowed", "authority", "dest",
                          "refused"), TRANSITIONS,
                         ids=[f"{t[0]}-from-{t[1]}" for t in TRANSITIONS])
def test_who_may_take_each_transition(cast, engine, trigger, state, inputs, allowed, authority,
                                      dest, refused):
    psc, _ = psc_in(cast, engine, state)
    for actor, match in refused.items():
        assert_refused(engine, psc.id, trigger, who(cast, actor), match, **inputs)
    after = engine.advance(psc.id, trigger, actor=who(cast, allowed), inputs=inputs)
    assert after.state == dest
    event = engine.history(psc.id)[-1]
    assert (event.trigger, event.actor, event.authority) == (
        trigger, who(cast, allowed).label, authority)


def test_only_the_importers_filer_may_file(cast, engine):
    entry = cast.entry()
    for actor, match in FILER_ONLY.items():
        refused_filing(cast, engine, entry, match, on=FILED, error=NotPermitted, by=actor)
    psc = file_psc(cast, engine, entry, reason="value of assists")
    assert (psc.id, psc.kind, psc.state, psc.entries) == (
        "PS-270425000001", "psc", "filed", entry.entries)
    assert engine.history(psc.id)[-1].authority == "FILER"
    with pytest.raises(InvalidInput, match="at most 1 entry"):
        cast.at(FILED)
        engine.open_case("psc", actor=who(cast, "filer"),
                         entries=[entry.entries[0], cast.entry().entries[0]])


@pytest.mark.parametrize("trigger", ["validate", "reject"])
def test_validation_and_rejection_are_the_systems_alone(cast, engine, trigger):
    psc, _ = psc_in(cast, engine, "filed")
    for actor in ("filer", "p2704", "c007", "c007-sup"):
        assert_refused(engine, psc.id, trigger, who(cast, actor), BY_LAW)
    with pytest.raises(NotPermitted, match="scheduler's alone"):
        engine.advance(psc.id, trigger, actor=SYSTEM)


def test_the_sweep_validates_a_filed_psc_at_once(cast, engine):
    psc, _ = psc_in(cast, engine, "filed")
    engine.sweep(start_of(FILED) - timedelta(microseconds=1))  # filed today: not before
    assert engine.get(psc.id).state == "filed"
    result = engine.sweep()
    assert result.fired == [f"{psc.id} validate"]
    event = engine.history(psc.id)[-1]
    assert (event.trigger, event.actor, event.to_state) == ("validate", "system", "validated")


def test_a_psc_whose_summary_came_under_review_is_rejected_not_validated(cast, engine):
    psc, entry = psc_in(cast, engine, "filed")
    engine.review_entry(entry.entries[0], start=True, actor=who(cast, "c007"))
    [forecast] = [r for r in engine.forecast(start_of("2025-06-03")) if r["case"] == psc.id
                  and r["timer"] == "validation"]
    assert forecast["would"] == "reject"
    result = engine.sweep()
    assert result.fired == [f"{psc.id} reject"] and result.blocked == []
    rejected = engine.get(psc.id)
    assert rejected.state == "rejected"
    assert "under CBP review" in rejected.data["rejection"]
    assert "validate refused" in engine.history(psc.id)[-1].note


def test_reject_is_refused_when_the_psc_passes_validation(cast, engine):
    from cee_workflow.states.base import Facts
    from cee_workflow.states.psc import PSC

    psc, _ = psc_in(cast, engine, "filed")
    facts_entry = _entry_facts(engine, psc)
    outcome = PSC.fire("filed", "reject", Facts(today=d(FILED), data=psc.data,
                                                entries=facts_entry))
    assert "passes validation" in outcome.reason


def _entry_facts(engine, case):
    from cee_workflow.storage.database import transaction
    from cee_workflow.workflow.advance import entry_facts

    with transaction(engine.db, write=False) as session:
        return entry_facts(session, [e.replace("-", "") for e in case.entries])


# --- the filing window at its edges --------------------------------------------------------------

def test_day_300_is_the_last_day_and_day_301_is_refused(cast, engine):
    entry = cast.entry(entry_date=ENTERED)
    refused_filing(cast, engine, entry, rf"until 2025-11-02 \(300 days from the entry date "
                                        rf"2025-01-06\).*{WINDOW}", on="2025-11-03")
    psc = file_psc(cast, engine, entry, on="2025-11-02")
    assert (psc.data["last_permitted_day"], psc.data["filing_limit"], psc.data["limit_rule"]) == (
        "2025-11-02", "300 days from the entry date 2025-01-06",
        "19 CFR 101.9(b); 82 FR 50656 (2017)")


def test_15_days_before_the_scheduled_liquidation_date_when_earlier(cast, engine):
    entry = cast.entry(entry_date=ENTERED)
    cast.at("2025-01-13")
    engine.advance(entry.id, "schedule", actor=who(cast, "c007"), inputs={"date": "2025-03-07"})
    refused_filing(cast, engine, entry, rf"until 2025-02-20 \(15 days before the scheduled "
                                        rf"liquidation date 2025-03-07\).*{WINDOW}",
                   on="2025-02-21")
    psc = file_psc(cast, engine, entry, on="2025-02-20")
    assert (psc.data["last_permitted_day"], psc.data["scheduled_liquidation"]) == (
        "2025-02-20", "2025-03-07")


def test_unscheduled_entry_counts_back_from_the_one_bulletin_the_auto_schedule_picks(cast, engine):
    # Entered on a Saturday: day 314 (2025-11-14) is a Friday, processed that day it posts on
    # the next bulletin (Wednesday cut-off): 2025-11-21 is both the date recorded at entry and
    # the date the auto-schedule picks — one scheduled-liquidation date per entry.
    entry = cast.entry(entry_date="2025-01-04")
    assert entry.data["auto_liquidation_date"] == "2025-11-21"
    psc = file_psc(cast, engine, entry, on="2025-10-31")  # day 300 comes before 11-06
    assert (psc.data["scheduled_liquidation"], psc.data["last_permitted_day"]) == (
        "2025-11-21", "2025-10-31")
    cast.at("2025-11-14")
    engine.sweep()
    assert engine.get(entry.id).data["scheduled_for"] == "2025-11-21"


def test_importer_extension_moves_the_limit_to_15_days_before_the_extended_date(cast, engine):
    entry = cast.entry(entry_date=ENTERED)
    cast.at("2025-01-10")
    engine.advance(entry.id, "extend", actor=who(cast, "c007"), inputs={"reason": "02"})
    # Beyond 300 days: the 2019 rule replaces both limits for importer-extended entries.
    first = file_psc(cast, engine, entry, on="2026-12-22")  # 2027-01-06 less 15 days
    assert (first.data["last_permitted_day"], first.data["limit_rule"]) == (
        "2026-12-22", "19 CFR 101.9(b); 84 FR 40430 (2019)")
    engine.advance(first.id, "withdraw", actor=who(cast, "filer"))
    refused_filing(cast, engine, entry, rf"until 2026-12-22 \(15 days before the extended "
                                        rf"liquidation date 2027-01-06\).*{EXTENDED_WINDOW}",
                   on="2026-12-23")


def test_an_importer_extended_entry_scheduled_earlier_counts_back_from_the_bulletin(cast,
                                                                                   engine):
    # Extended at the importer's request to 2027-01-06, then set by the center for the bulletin
    # of 2026-03-06: the entry liquidates that Friday, so the limit is 15 days before it
    # (still beyond the 300 days), and the message names the date it counts back from.
    entry = cast.entry(entry_date=ENTERED)
    cast.at("2025-01-10")
    engine.advance(entry.id, "extend", actor=who(cast, "c007"), inputs={"reason": "02"})
    cast.at("2025-12-01")
    engine.advance(entry.id, "schedule", actor=who(cast, "c007"), inputs={"date": "2026-03-06"})
    refused_filing(cast, engine, entry, rf"until 2026-02-19 \(15 days before the scheduled "
                                        rf"liquidation date 2026-03-06 of an entry extended at "
                                        rf"the importer's request\).*{EXTENDED_WINDOW}",
                   on="2026-02-20")
    psc = file_psc(cast, engine, entry, on="2026-02-19")
    assert (psc.data["last_permitted_day"], psc.data["scheduled_liquidation"]) == (
        "2026-02-19", "2026-03-06")


def test_an_extension_by_customs_keeps_the_300_days(cast, engine):
    entry = cast.entry(entry_date=ENTERED)
    cast.at("2025-01-10")
    engine.advance(entry.id, "extend", actor=who(cast, "c007"), inputs={"reason": "01"})
    refused_filing(cast, engine, entry, rf"until 2025-11-02 \(300 days.*{WINDOW}",
                   on="2025-11-03")


@pytest.mark.parametrize(("reason", "exempt"), [("04", True), ("05", True), ("06", False)])
def test_adcvd_suspended_entries_are_exempt_from_the_300_days(cast, engine, reason, exempt):
    entry = cast.entry(entry_date=ENTERED)
    cast.at("2025-01-10")
    engine.advance(entry.id, "suspend", actor=who(cast, "c007"), inputs={"reason": reason})
    if not exempt:
        refused_filing(cast, engine, entry, r"until 2025-11-02 \(300 days", on="2025-11-03")
        return
    psc = file_psc(cast, engine, entry, on="2026-03-02")  # day 420
    assert psc.data["last_permitted_day"] is None
    assert psc.data["filing_limit"].startswith("none: AD/CVD-suspended")


# --- couplings with the entry ---------------------------------------------------------------------

def test_a_psc_on_a_liquidated_entry_is_refused(cast, engine):
    entry = cast.liquidated(on="2025-02-07")
    refused_filing(cast, engine, entry, r"is liquidated.*file a protest.*\(19 CFR 101\.9\(b\)\)",
                   on="2025-02-10")


def test_no_psc_while_the_summary_is_under_cbp_review(cast, engine):
    entry = cast.entry(entry_date=ENTERED)
    cast.at(FILED)
    for actor, match in CENTER_ONLY.items():
        with pytest.raises(NotPermitted, match=match):
            engine.review_entry(entry.entries[0], start=True, actor=who(cast, actor))
    opened = engine.review_entry(entry.entries[0], start=True, actor=who(cast, "c007"))
    assert (opened.state, opened.data["summary_under_review"]) == ("unliquidated", True)
    assert engine.history(entry.id)[-1].trigger == "start_summary_review"
    with pytest.raises(RuleViolation, match="already under CBP review"):
        engine.review_entry(entry.entries[0], start=True, actor=who(cast, "c007"))
    refused_filing(cast, engine, entry, r"PSC not allowed: the summary of entry .* is under CBP "
                                        r"review.*PSC not allowed-under CBP Review", on=FILED)
    engine.review_entry(entry.entries[0], start=False, actor=who(cast, "c007"))
    assert engine.history(entry.id)[-1].trigger == "finish_summary_review"
    assert file_psc(cast, engine, entry).state == "filed"
    with pytest.raises(RuleViolation, match="not under CBP review"):
        engine.review_entry(entry.entries[0], start=False, actor=who(cast, "c007"))


def test_one_psc_at_a_time_and_each_validated_psc_raises_the_summary_version(cast, engine):
    first, entry = psc_in(cast, engine, "team_review")
    # ACE validated it: the PSC has replaced the summary, version 1 → 2 (REFERENCE.md §3).
    assert (first.data["summary_version"], summary_version(engine, entry)) == (2, 2)
    refused_filing(cast, engine, entry, rf"PSC {first.id} is still under review", on=FILED)
    engine.advance(first.id, "accept_changes", actor=who(cast, "c007"))
    assert summary_version(engine, entry) == 2  # accepting changes adds no version

    second = file_psc(cast, engine, entry, on="2025-06-09")
    assert second.data["corrects_version"] == 2
    engine.sweep()
    assert (engine.get(second.id).data["summary_version"], summary_version(engine, entry)) == (
        3, 3)
    engine.advance(second.id, "take_into_review", actor=who(cast, "c007"))
    engine.advance(second.id, "accept_changes", actor=who(cast, "c007"))

    third = file_psc(cast, engine, entry, on="2025-06-16")
    engine.sweep()
    engine.advance(third.id, "take_into_review", actor=who(cast, "c007"))
    engine.advance(third.id, "reject_changes", actor=who(cast, "c007"))
    # A reading: the center's rejection is recorded on the PSC; the version stays (ACE keeps
    # the validated summary's number; no source says a rejection restores a version).
    assert summary_version(engine, entry) == 4


def scheduled_with_psc(cast, engine, bulletin: str = "2025-03-07"):
    """An entry scheduled for `bulletin` and a PSC in team review on it (the only kind that
    holds a liquidation); the clock at the bulletin."""
    entry = cast.entry(entry_date=ENTERED)
    cast.at("2025-01-13")
    engine.advance(entry.id, "schedule", actor=who(cast, "c007"), inputs={"date": bulletin})
    psc = file_psc(cast, engine, entry, on="2025-02-03")
    engine.sweep()
    engine.advance(psc.id, "take_into_review", actor=who(cast, "c007"))
    cast.at(bulletin)
    return entry, engine.get(psc.id)


def test_liquidation_over_a_psc_needs_a_supervisors_recorded_override(cast, engine):
    entry, psc = scheduled_with_psc(cast, engine)
    assert_refused(engine, entry.id, "liquidate", who(cast, "c007"),
                   rf"correction {psc.id} is in team review.*liquidate_over_psc", RuleViolation)
    assert_refused(engine, entry.id, "liquidate", who(cast, "c007-sup"), psc.id, RuleViolation)
    for actor, match in {**CENTER_ONLY, "c007": "needs a supervisor"}.items():
        assert_refused(engine, entry.id, "liquidate_over_psc", who(cast, actor), match,
                       reason="bulletin date")
    assert_refused(engine, entry.id, "liquidate_over_psc", who(cast, "c007-sup"), "needs reason",
                   InvalidInput)

    done = engine.advance(entry.id, "liquidate_over_psc", actor=who(cast, "c007-sup"),
                          inputs={"reason": "PSC lacks support; importer may protest"})
    assert (done.state, done.data["liquidated_on"]) == ("liquidated", "2025-03-07")
    assert (done.data["override_reason"], done.data["liquidated_over_psc"]) == (
        "PSC lacks support; importer may protest", [psc.id])
    event = engine.history(entry.id)[-1]
    assert (event.trigger, event.actor, event.data["inputs"]["reason"]) == (
        "liquidate_over_psc", "c007-sup", "PSC lacks support; importer may protest")

    # No PSC stays open once the entry liquidates: SYSTEM closes it in the same transaction.
    closed = engine.get(psc.id)
    assert (closed.state, closed.data["closed_by"]) == ("closed_by_liquidation", entry.id)
    last = engine.history(psc.id)[-1]
    assert (last.trigger, last.actor, last.note) == (
        "close_on_liquidation", "system", f"closed: entry liquidated by {entry.id} "
                                          "liquidate_over_psc")
    assert "protest" in closed.data["remedy"]


def test_without_a_psc_the_override_is_refused(cast, engine):
    entry = cast.entry(entry_date=ENTERED)
    cast.at("2025-01-13")
    engine.advance(entry.id, "schedule", actor=who(cast, "c007"), inputs={"date": "2025-03-07"})
    cast.at("2025-03-07")
    assert_refused(engine, entry.id, "liquidate_over_psc", who(cast, "c007-sup"),
                   "no post-summary correction is in team review", RuleViolation, reason="x")


def test_the_bulletin_posting_is_blocked_until_the_psc_is_resolved(cast, engine):
    entry, psc = scheduled_with_psc(cast, engine)
    [forecast] = [r for r in engine.forecast(start_of("2025-03-07")) if r["case"] == entry.id
                  and r["timer"] == "bulletin_posting"]
    assert forecast["would"] == "blocked auto_liquidate"
    result = engine.sweep(start_of("2025-03-07"))
    assert [b.split(":")[0] for b in result.blocked] == [f"{entry.id} auto_liquidate"]
    assert psc.id in result.blocked[0]
    assert engine.get(entry.id).state == "scheduled"

    cast.at("2025-03-10")
    engine.advance(psc.id, "withdraw", actor=who(cast, "filer"))  # re-arms the bulletin
    engine.sweep()
    assert engine.get(entry.id).state == "liquidated"


def test_deemed_liquidation_is_never_blocked_by_a_psc(cast, engine):
    entry = cast.entry(entry_date=ENTERED)
    cast.at("2025-01-10")
    engine.advance(entry.id, "suspend", actor=who(cast, "c007"), inputs={"reason": "04"})
    psc = file_psc(cast, engine, entry, on="2025-06-02")
    engine.sweep()
    cast.at("2025-06-09")
    engine.advance(entry.id, "lift_suspension", actor=who(cast, "c007"),  # 6 months: 12-09
                   inputs={"notice_received_on": "2025-06-09"})
    engine.advance(entry.id, "extend", actor=who(cast, "c007"), inputs={"reason": "01"})
    assert engine.get(entry.id).data["liquidation_deadline"] == "2026-12-09"
    engine.sweep(start_of("2026-12-10"))
    deemed = engine.get(entry.id)
    assert (deemed.state, deemed.data["liquidation_type"]) == ("liquidated", "7")
    # Deemed liquidated: the PSC still open on the entry is closed with it.
    assert engine.get(psc.id).state == "closed_by_liquidation"
