"""Prior disclosure, on SQLite and PostgreSQL: the trade's periods as timers that escalate to the
port's FP&F and never decide; extensions and confirmations re-arming them; service levels for
CBP's own steps, tighter for trusted traders (Partnership) than for Validation & Compliance; and
the Enforcement division told of a referral for penalty in the same transaction.
REFERENCE.md §4; 19 CFR 162.74; README "Prior disclosure".
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from disclosures import (
    DISCLOSED,
    LOSS,
    NOTICE,
    PERFECTED,
    REFERRED,
    TENDERED,
    assert_refused,
    disclose,
    disclosure_in,
    who,
)

from cee_workflow import Engine, NotPermitted, RuleViolation
from cee_workflow.states.calendar import LEGAL_TZ
from cee_workflow.states.params import RuleParams


def start_of(day: str) -> datetime:
    """00:00 Eastern on `day`: when a timer whose last day was the day before falls due."""
    return datetime.combine(date.fromisoformat(day), time.min, tzinfo=LEGAL_TZ)


def pending(engine, case_id: str) -> dict[str, tuple]:
    """Each pending timer of the case: (kind, last day, action)."""
    return {t.timer: (t.kind, t.last_day.isoformat(), t.action)
            for t in engine.deadlines(case_id) if t.status == "pending"}


def escalations(engine, case_id: str) -> list[str]:
    return [e.note for e in engine.history(case_id) if e.trigger == "escalate"]


# --- the trade's periods: legal timers that escalate to FP&F, never decide ----------------------

def test_an_unconfirmed_oral_disclosure_escalates_to_fpf_and_stays_disclosed(cast, engine):
    case = disclose(cast, form="oral")
    assert pending(engine, case.id) == {
        "oral_confirmation": ("legal", "2025-03-13", None),
        "perfection": ("legal", "2025-04-02", None)}

    engine.sweep(start_of("2025-03-14") - timedelta(microseconds=1))  # through day 10
    assert engine.get(case.id).escalation == 1  # the 7-day warning, to FP&F's queue
    assert escalations(engine, case.id) == [
        "oral_confirmation warning: to the queue of FP&F of port 2704"]
    assert [f["would"] for f in engine.forecast(start_of("2025-03-14"))] == ["overdue"]

    engine.sweep(start_of("2025-03-14"))
    late = engine.get(case.id)
    assert (late.state, late.escalation) == ("disclosed", 2)
    assert escalations(engine, case.id)[-1] == (
        "oral_confirmation overdue: to a supervisor of FP&F of port 2704")

    engine.sweep(start_of("2025-06-02"))  # long after every period: nothing decided by itself
    late = engine.get(case.id)
    assert (late.state, late.escalation) == ("disclosed", 3)
    assert "perfection director: to the director of FP&F of port 2704" in escalations(
        engine, case.id)


def test_confirmation_ends_its_timer_and_an_extension_rearms_perfection(cast, engine):
    case = disclose(cast, form="oral")
    cast.at("2025-03-10")
    engine.advance(case.id, "confirm_in_writing", actor=who(cast, "filer"))
    assert pending(engine, case.id) == {"perfection": ("legal", "2025-04-02", None)}

    engine.sweep(start_of("2025-04-03"))  # perfection overdue
    assert engine.get(case.id).escalation == 2
    cast.at("2025-04-03")
    extended = engine.advance(case.id, "extend_period", actor=who(cast, "p2704-fpf"),
                              inputs={"reason": "broker records", "until": "2025-04-18"})
    assert (extended.state, extended.escalation) == ("disclosed", 0)  # the new date is not due
    assert pending(engine, case.id) == {"perfection": ("legal", "2025-04-18", None)}

    engine.sweep(start_of("2025-04-19") - timedelta(microseconds=1))
    assert engine.get(case.id).escalation == 1  # warned again, of the new date
    engine.sweep(start_of("2025-04-19"))
    assert engine.get(case.id).escalation == 2
    assert escalations(engine, case.id)[-1] == (
        "perfection overdue: to a supervisor of FP&F of port 2704")


def test_the_tender_timer_runs_from_the_notice_and_ends_with_the_tender(cast, engine):
    case = disclosure_in(cast, "loss_calculated")
    assert pending(engine, case.id) == {"tender": ("legal", "2025-05-07", None)}
    engine.advance(case.id, "extend_period", actor=who(cast, "p2704-fpf"),
                   inputs={"reason": "funds transfer delayed"})
    assert pending(engine, case.id) == {"tender": ("legal", "2025-06-06", None)}
    engine.sweep(start_of("2025-05-08"))
    assert engine.get(case.id).escalation == 0
    cast.at("2025-06-06")
    engine.advance(case.id, "tender", actor=who(cast, "filer"), inputs={"amount": LOSS})
    assert "tender" not in pending(engine, case.id)


def test_withdrawal_ends_every_timer(cast, engine):
    case = disclose(cast, form="oral")
    engine.advance(case.id, "withdraw", actor=who(cast, "filer"))
    assert pending(engine, case.id) == {}
    engine.sweep(start_of("2026-01-05"))
    assert (engine.get(case.id).state, escalations(engine, case.id)) == ("withdrawn", [])


# --- a tender made with the disclosure (162.74(c)) ----------------------------------------------


def test_a_tender_at_disclosure_that_covers_the_loss_is_applied_once_the_loss_is_known(
        cast, engine):
    case = disclosure_in(cast, "perfected", tender="$13,000")  # Acme: partnership
    assert case.data["disclosure_tender"] == "13000.00"
    cast.at(NOTICE)
    calculated = engine.advance(case.id, "calculate_loss", actor=who(cast, "c007"),
                                inputs={"amount": LOSS})
    # No 30 days to tender: the tender made with the disclosure is applied by the next pass.
    assert calculated.state == "loss_calculated"
    assert pending(engine, case.id) == {"disclosure_tender": ("process", NOTICE,
                                                              "apply_disclosure_tender")}
    engine.sweep(engine.clock.now())
    applied = engine.get(case.id)
    assert applied.state == "tendered"
    assert {k: applied.data[k] for k in ("loss_amount", "tendered_on", "tender_amount",
                                         "tender_complete_on")} == {
        "loss_amount": LOSS, "tendered_on": DISCLOSED, "tender_amount": "13000.00",
        "tender_complete_on": NOTICE}
    event = engine.history(case.id)[-1]
    assert (event.trigger, event.actor, event.authority) == (
        "apply_disclosure_tender", "system", "SYSTEM")
    # The referral's service level runs from the day the tender was applied (10 days for
    # partnership), not from the disclosure a month before.
    last = (date.fromisoformat(NOTICE) + timedelta(days=10)).isoformat()
    assert pending(engine, case.id) == {"referral_partnership": ("service", last, None)}
    engine.advance(case.id, "refer_to_fpf", actor=who(cast, "c007"))
    assert engine.advance(case.id, "find_valid", actor=who(cast, "p2704-fpf")).state == "valid"


def test_a_covering_tender_at_disclosure_is_never_owed_again_nor_lost_by_an_early_referral(
        cast, engine):
    case = disclosure_in(cast, "perfected", tender="12500")
    cast.at(NOTICE)
    engine.advance(case.id, "calculate_loss", actor=who(cast, "c007"), inputs={"amount": LOSS})
    # Before the scheduler applies it: no tender is due, so none is taken and none extended.
    assert_refused(engine, case.id, "tender", who(cast, "filer"),
                   r"12500\.00 tendered with the disclosure covers the loss", RuleViolation,
                   amount="0.01")
    assert_refused(engine, case.id, "extend_period", who(cast, "p2704-fpf"),
                   "no tender is due", RuleViolation, reason="funds transfer delayed")
    # The center refers it before any sweep: the tender is applied with the referral.
    referred = engine.advance(case.id, "refer_to_fpf", actor=who(cast, "c007"))
    assert referred.state == "referred"
    assert {k: referred.data[k] for k in ("tendered_on", "tender_amount",
                                          "tender_complete_on")} == {
        "tendered_on": DISCLOSED, "tender_amount": "12500.00", "tender_complete_on": NOTICE}
    assert "disclosure_tender" not in pending(engine, case.id)
    assert engine.advance(case.id, "find_valid", actor=who(cast, "p2704-fpf")).state == "valid"


def test_a_short_tender_at_disclosure_leaves_the_difference_to_tender_within_30_days(
        cast, engine):
    case = disclosure_in(cast, "perfected", tender="10000")
    cast.at(NOTICE)
    short = engine.advance(case.id, "calculate_loss", actor=who(cast, "c007"),
                           inputs={"amount": LOSS})
    assert short.state == "loss_calculated" and "tendered_on" not in short.data
    assert set(pending(engine, case.id)) == {"tender"}
    engine.sweep(engine.clock.now())  # nothing to apply: the filer owes the difference
    assert engine.get(case.id).state == "loss_calculated"
    cast.at(TENDERED)
    assert_refused(engine, case.id, "tender", who(cast, "filer"),
                   r"2499\.99 with the 10000\.00 tendered at disclosure is less than CBP's "
                   r"calculated loss of 12500\.00", RuleViolation, amount="2499.99")
    done = engine.advance(case.id, "tender", actor=who(cast, "filer"),
                          inputs={"amount": "2500"})
    assert (done.state, done.data["tendered_on"], done.data["tender_amount"],
            done.data["tender_total"]) == ("tendered", TENDERED, "2500.00", "12500.00")
    assert set(pending(engine, case.id)) == {"referral_partnership"}


# --- routing and service levels -----------------------------------------------------------------

@pytest.mark.parametrize(("state", "step", "since", "partnership", "validation"), [
    ("perfected", "loss_calculation", PERFECTED, 30, 60),
    ("tendered", "referral", TENDERED, 10, 30),
    ("referred", "fpf_finding", REFERRED, 30, 60),
])
def test_trusted_traders_route_to_partnership_with_tighter_service_levels(
        cast, engine, state, step, since, partnership, validation):
    trusted = disclosure_in(cast, state)  # Acme: C-TPAT
    other = disclosure_in(cast, state, importer=cast.ZETA)
    assert (trusted.division, other.division) == ("partnership", "validation")
    for case, division, days in ((trusted, "partnership", partnership),
                                 (other, "validation", validation)):
        last = (date.fromisoformat(since) + timedelta(days=days)).isoformat()
        assert pending(engine, case.id) == {f"{step}_{division}": ("service", last, None)}

    owner = "FP&F of port 2704" if step == "fpf_finding" else "center 007"
    tighter_missed = (date.fromisoformat(since) + timedelta(days=partnership + 1)).isoformat()
    engine.sweep(start_of(tighter_missed))
    assert (engine.get(trusted.id).escalation, engine.get(other.id).escalation) == (2, 0)
    assert escalations(engine, trusted.id)[-1] == (
        f"{step}_partnership overdue: to a supervisor of {owner}")


def test_service_levels_are_parameters(cast, engine, db_url, clock):
    brisk = Engine(db_url, clock=clock, params=RuleParams(pd_loss_calculation_days_partnership=5,
                                                          pd_loss_calculation_days_validation=9))
    try:
        cast.at(PERFECTED)
        for importer, timer, last in ((cast.ACME, "loss_calculation_partnership", "2025-03-29"),
                                      (cast.ZETA, "loss_calculation_validation", "2025-04-02")):
            case = disclose(cast, importer=importer)
            cast.at(PERFECTED)
            brisk.advance(case.id, "perfect", actor=who(cast, "filer", importer))
            assert pending(brisk, case.id) == {timer: ("service", last, None)}
    finally:
        brisk.close()


# --- a referral for penalty notifies the center's Enforcement division --------------------------

def test_referral_for_penalty_notifies_enforcement_in_the_same_transaction(cast, engine):
    case = disclosure_in(cast, "invalid")
    seen: list[list[str]] = []
    engine.subscribe(lambda events: seen.append([e.trigger for e in events]))
    assert_refused(engine, case.id, "refer_for_penalty", who(cast, "p2704"), "not in unit fpf")

    referred = engine.advance(case.id, "refer_for_penalty", actor=who(cast, "p2704-fpf"),
                              note="negligence; loss not tendered")
    assert (referred.state, referred.version) == ("referred_for_penalty", case.version + 2)
    referral, notice = engine.history(case.id)[-2:]
    assert (referral.trigger, referral.actor, referral.to_state) == (
        "refer_for_penalty", "p2704-fpf", "referred_for_penalty")
    assert (notice.trigger, notice.actor, notice.authority, notice.from_state, notice.to_state) == (
        "notify_enforcement", "system", "SYSTEM", "referred_for_penalty", "referred_for_penalty")
    assert notice.note == "referred for penalty: the enforcement division of center 007 notified"
    assert notice.data["division"] == "enforcement" and notice.data["center"] == "007"
    assert seen == [["refer_for_penalty", "notify_enforcement"]]  # one commit, both events
    assert engine.verify_audit(case.id).ok

    with pytest.raises(NotPermitted, match="nobody may act as the system"):
        engine.actor("system")


def test_closing_notifies_nobody(cast, engine):
    case = disclosure_in(cast, "valid")
    engine.advance(case.id, "close", actor=who(cast, "p2704-fpf"))
    assert [e.trigger for e in engine.history(case.id)][-2:] == ["find_valid", "close"]
