"""Prior disclosure's timers: the trade's periods (oral confirmation, perfection, tender; 19 CFR
162.74(a)(2), (b)(4), (c)) and the centers' service levels (seed 001). The rulebook:
states/prior_disclosure.py."""

from __future__ import annotations

from decimal import Decimal

from cee_workflow.states.base import (
    Period,
    TimerKind,
    TimerSpec,
)

# --- timers ------------------------------------------------------------------------------------
# The trade's periods are filing limits: a last day on a weekend or holiday rolls forward
# (REFERENCE.md §6). They are owned by the port's FP&F officer, who may extend them and who
# weighs a lapse when finding the disclosure valid or invalid.

ORAL_CONFIRMATION = TimerSpec(
    name="oral_confirmation",
    kind=TimerKind.LEGAL,
    anchor="disclosed_on",
    period=lambda p: Period(days=p.pd_oral_confirmation_days),
    roll_forward=True,
    citation="19 CFR 162.74(a)(2)",
    summary="an oral disclosure not confirmed in writing within 10 days: escalate to FP&F "
            "(it may deny the oral disclosure or waive the confirmation)",
    applies=lambda data: data.get("form") == "oral" and not data.get("confirmed_on")
    and not data.get("confirmation_waived_on"),
    owner="fpf",
)
PERFECTION = TimerSpec(
    name="perfection",
    kind=TimerKind.LEGAL,
    anchor="disclosed_on",
    period=lambda p: Period(days=p.pd_perfection_days),
    roll_forward=True,
    extended="perfection_extended_to",
    citation="19 CFR 162.74(b)(4)",
    summary="not perfected within 30 days of disclosure (or the extended date): escalate to FP&F",
    owner="fpf",
)
def covered_at_disclosure(data) -> bool:
    """A tender made with the disclosure covers the calculated loss (162.74(c))."""
    early, loss = data.get("disclosure_tender"), data.get("loss_amount")
    return early is not None and loss is not None and Decimal(early) >= Decimal(loss)


TENDER = TimerSpec(
    name="tender",
    kind=TimerKind.LEGAL,
    anchor="loss_notice_on",
    period=lambda p: Period(days=p.pd_tender_days),
    roll_forward=True,
    extended="tender_extended_to",
    citation="19 CFR 162.74(c): failure to tender shall result in denial — FP&F denies "
             "(find_invalid), the engine escalates",
    summary="loss not tendered within 30 days of CBP's calculation notice (or the extended "
            "date): failure to tender shall result in denial — to FP&F, whose find_invalid "
            "takes that reason",
    applies=lambda data: not covered_at_disclosure(data),
    owner="fpf",
)
# A tender made with the disclosure that covers the calculated loss is applied at once.
DISCLOSURE_TENDER = TimerSpec(
    name="disclosure_tender",
    kind=TimerKind.PROCESS,
    anchor="loss_calculated_on",
    period=lambda p: Period(),
    action="apply_disclosure_tender",
    fires="on",
    warn_days=lambda p: None,
    citation="19 CFR 162.74(c)",
    summary="the tender made with the disclosure covers the calculated loss: apply it at once",
    applies=covered_at_disclosure,
)


def service_level(step: str, anchor: str, days, division: str, owner: str) -> TimerSpec:
    """A service-level target for one of CBP's own steps, for one routing division."""
    return TimerSpec(
        name=f"{step}_{division}",
        kind=TimerKind.SERVICE,
        anchor=anchor,
        period=lambda p: Period(days=days(p)),
        citation=f"service level ({division}): RuleParams.pd_{step}_days_{division}",
        summary=f"{step.replace('_', ' ')} target for {division} cases: escalate when missed",
        applies=lambda data: data.get("division") == division,
        owner=owner,
    )


LOSS_CALCULATION_SLA = (
    service_level("loss_calculation", "perfected_on",
                   lambda p: p.pd_loss_calculation_days_partnership, "partnership", "center"),
    service_level("loss_calculation", "perfected_on",
                   lambda p: p.pd_loss_calculation_days_validation, "validation", "center"),
)
# From the day the loss stands tendered: the tender, or the calculation that a tender made with
# the disclosure covers (`tendered_on` keeps the day the money was tendered).
REFERRAL_SLA = (
    service_level("referral", "tender_complete_on",
                   lambda p: p.pd_referral_days_partnership, "partnership", "center"),
    service_level("referral", "tender_complete_on",
                   lambda p: p.pd_referral_days_validation, "validation", "center"),
)
FPF_FINDING_SLA = (
    service_level("fpf_finding", "referred_on",
                   lambda p: p.pd_fpf_finding_days_partnership, "partnership", "fpf"),
    service_level("fpf_finding", "referred_on",
                   lambda p: p.pd_fpf_finding_days_validation, "validation", "fpf"),
)
