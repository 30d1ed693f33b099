"""Prior disclosure: 19 U.S.C. 1592(c)(4); 19 CFR 162.74 (REFERENCE.md §4).

An importer discloses the circumstances of a violation, orally or in writing, optionally naming
entries by number or by port and approximate dates (162.74(b)(2)). An oral disclosure is
confirmed in writing within 10 days (162.74(a)(2)); information unknown at disclosure is
supplied — the disclosure perfected — within 30 days (162.74(b)(4)); the actual loss is tendered
at disclosure or within 30 days after CBP notifies its calculation (162.74(c)): a tender made
with the disclosure that covers the calculated loss completes it when the loss is calculated;
one that falls short leaves the difference to tender within the 30 days. The port's FP&F
officer may extend the 30-day periods for good cause. The center's validation review (seed
001) calculates the loss and refers the disclosure to the port's FP&F officer, who decides
validity (162.74(a)(2); FP&F stayed with the ports under CBP Dec. 16-26) and closes it or
refers it for penalty; a referral for penalty notifies the center's Enforcement division.

The trade's periods only escalate when missed: what a lapse costs (denial of prior-disclosure
treatment) is the FP&F officer's finding (UNCONFIRMED text of 162.74(c)), never the scheduler's.
"""

from __future__ import annotations

from cee_workflow.states.authority import Authority
from cee_workflow.states.base import (
    STAY,
    Guard,
    Input,
    LegalDate,
    Lifecycle,
    Notice,
    StateSpec,
    TimerSpec,
    TransitionSpec,
    data_bound,
)
from cee_workflow.states.prior_disclosure_guards import (
    ASK_FOR_WAIVER,
    INVESTIGATION,
    MADE_WHEN,
    MAILED,
    before_investigation,
    covered_by_early_tender,
    disclosure_recorded,
    disclosure_tender_applied,
    entries_by_port_and_dates,
    entries_of_the_importer,
    extends,
    extension_recorded,
    found,
    invalid_reason,
    loss_calculated,
    mailed_before_received,
    not_covered_at_disclosure,
    oral,
    oral_confirmed,
    referred,
    tender_made,
    tendered_now,
    tenders_the_loss,
    within,
)
from cee_workflow.states.prior_disclosure_timers import (
    DISCLOSURE_TENDER,
    FPF_FINDING_SLA,
    LOSS_CALCULATION_SLA,
    ORAL_CONFIRMATION,
    PERFECTION,
    REFERRAL_SLA,
    TENDER,
)

# Before the FP&F finding: the disclosing party may still withdraw.
UNDECIDED = ("disclosed", "perfected", "loss_calculated", "tendered", "referred")
FOUND = ("valid", "invalid")
_DISCLOSE = "19 U.S.C. 1592(c)(4); 19 CFR 162.74(a)"
_FINDING = "19 CFR 162.74(a)(2); CBP Dec. 16-26 (FP&F stays with the ports)"


# --- the rulebook ------------------------------------------------------------------------------

_EXTEND_INPUTS = (
    Input("reason", "the good cause shown", required=True),
    Input("until", "the extended last day (default: the period's last day + "
                   "RuleParams.pd_extension_days)", "date"),
)


def _extend(source: str, timer: TimerSpec, what: str, citation: str,
            guards: tuple[Guard, ...] = ()) -> TransitionSpec:
    return TransitionSpec(
        "extend_period", (source,), STAY, Authority.PORT, unit="fpf",
        citation=citation,
        summary=f"extend the period to {what} for good cause (re-arms its timer)",
        guards=(*guards, Guard("a later date", citation, extends(timer))),
        inputs=_EXTEND_INPUTS,
        effect=extension_recorded(timer),
        restarts_timers=True,
    )


PRIOR_DISCLOSURE = Lifecycle(
    kind="prior_disclosure",
    prefix="PD",
    summary="Prior disclosure of a violation (19 U.S.C. 1592(c)(4); 19 CFR 162.74)",
    initial="new",
    opening="disclose",
    min_entries=0,
    states=(
        StateSpec("new", "not yet disclosed"),
        StateSpec("disclosed", "disclosed orally or in writing", (ORAL_CONFIRMATION, PERFECTION)),
        StateSpec("perfected", "the information is complete; the center calculates the loss",
                  LOSS_CALCULATION_SLA),
        StateSpec("loss_calculated", "CBP has notified its calculation of the loss",
                  (TENDER, DISCLOSURE_TENDER)),
        StateSpec("tendered", "the actual loss is tendered; the center refers it to FP&F",
                  REFERRAL_SLA),
        StateSpec("referred", "with the port's FP&F officer for a finding", FPF_FINDING_SLA),
        StateSpec("valid", "found valid by the port's FP&F officer"),
        StateSpec("invalid", "found invalid by the port's FP&F officer"),
        StateSpec("closed", "closed by the port's FP&F officer", terminal=True),
        StateSpec("referred_for_penalty", "referred for penalty proceedings; the center's "
                  "Enforcement division notified", terminal=True),
        StateSpec("withdrawn", "withdrawn by the disclosing party", terminal=True),
    ),
    transitions=(
        TransitionSpec(
            "disclose", ("new",), "disclosed", Authority.FILER,
            citation=_DISCLOSE + ", (b)(2)",
            summary="disclose the circumstances of a violation, orally or in writing, naming "
                    "entries by number or by port and approximate dates",
            guards=(
                Guard("the importer's own entries", "19 CFR 162.74(b)(2)",
                      entries_of_the_importer),
                Guard("entries by port and dates", "19 CFR 162.74(b)(2)",
                      entries_by_port_and_dates),
                Guard("mailed before received", MADE_WHEN, mailed_before_received),
            ),
            inputs=(
                Input("form", "how the disclosure was made", "choice", ("oral", "written"),
                      required=True),
                Input("sent_by", "registered_mail or certified_mail (made when mailed), or "
                      "other (made when received)", "choice", (*MAILED, "other"),
                      default="other"),
                LegalDate("mailed_on", "the date of mailing (registered or certified mail)",
                          citation=MADE_WHEN),
                LegalDate("received_on", "the date CBP received the disclosure",
                          citation=MADE_WHEN),
                Input("description", "the circumstances of the violation (162.74(b)(3))"),
                Input("entries_port", "the port of the entries, when not named by number",
                      "port"),
                Input("entries_from", "the first approximate entry date", "date"),
                Input("entries_to", "the last approximate entry date", "date"),
                Input("tender", "an amount tendered with the disclosure (162.74(c): at "
                                "disclosure, or within 30 days of CBP's notice of the loss)",
                      "amount"),
            ),
            effect=disclosure_recorded,
        ),
        TransitionSpec(
            "confirm_in_writing", ("disclosed",), STAY, Authority.FILER,
            citation="19 CFR 162.74(a)(2)",
            summary="confirm an oral disclosure in writing to FP&F within 10 days",
            guards=(
                Guard("an unconfirmed oral disclosure", "19 CFR 162.74(a)(2)", oral),
                Guard("within 10 days of the oral disclosure", "19 CFR 162.74(a)(2)",
                      within(ORAL_CONFIRMATION, "confirm the oral disclosure in writing",
                              ASK_FOR_WAIVER)),
            ),
            effect=lambda f: {"confirmed_on": f.today.isoformat()},
            restarts_timers=True,
        ),
        TransitionSpec(
            "waive_confirmation", ("disclosed",), STAY, Authority.PORT, unit="fpf",
            citation="19 CFR 162.74(a)(2)",
            summary="waive the written confirmation of an oral disclosure for good cause (ends "
                    "its timer; perfection may follow)",
            guards=(Guard("an unconfirmed oral disclosure", "19 CFR 162.74(a)(2)", oral),),
            inputs=(Input("reason", "the good cause shown", required=True),),
            effect=lambda f: {"confirmation_waived_on": f.today.isoformat(),
                              "confirmation_waiver_reason": f.inputs["reason"]},
            restarts_timers=True,
        ),
        TransitionSpec(
            "perfect", ("disclosed",), "perfected", Authority.FILER,
            citation="19 CFR 162.74(b)(4)",
            summary="supply the information unknown at disclosure within 30 days (or the "
                    "extended date)",
            guards=(
                Guard("oral disclosure confirmed", "19 CFR 162.74(a)(2)", oral_confirmed),
                Guard("within 30 days of disclosure", "19 CFR 162.74(b)(4)",
                      within(PERFECTION, "perfect the disclosure")),
            ),
            effect=lambda f: {"perfected_on": f.today.isoformat()},
        ),
        TransitionSpec(
            "calculate_loss", ("perfected",), "loss_calculated", Authority.CENTER,
            citation="19 CFR 162.74(c); seed 001 (center prior-disclosure validation)",
            summary="validate the disclosure and notify the calculated loss; the notice date "
                    "starts the 30 days to tender (unless the tender made with the disclosure "
                    "covers it)",
            inputs=(Input("amount", "the actual loss of duties, taxes and fees", "amount",
                          required=True),
                    LegalDate("notice_date", "the date CBP notified its calculation",
                              citation="19 CFR 162.74(c)",
                              not_before=(data_bound("perfected_on",
                                                     "the perfection of the disclosure"),))),
            effect=loss_calculated,
        ),
        TransitionSpec(
            "apply_disclosure_tender", ("loss_calculated",), "tendered", Authority.SYSTEM,
            citation="19 CFR 162.74(c)",
            summary="the tender made with the disclosure covers the calculated loss: the loss "
                    "stands tendered",
            guards=(Guard("covered by the tender at disclosure", "19 CFR 162.74(c)",
                          covered_by_early_tender),),
            effect=disclosure_tender_applied,
        ),
        TransitionSpec(
            "tender", ("loss_calculated",), "tendered", Authority.FILER,
            citation="19 CFR 162.74(c)",
            summary="tender the actual loss within 30 days of CBP's notice (or the extended "
                    "date)",
            guards=(
                Guard("a tender due", "19 CFR 162.74(c)", not_covered_at_disclosure),
                Guard("within 30 days of the notice", "19 CFR 162.74(c)",
                      within(TENDER, "tender the loss")),
                Guard("the whole loss", "19 CFR 162.74(a)(1), (c)", tenders_the_loss),
            ),
            inputs=(Input("amount", "the amount tendered (with any tender at disclosure, the "
                                    "actual loss)", "amount", required=True),),
            effect=tendered_now,
        ),
        _extend("disclosed", PERFECTION, "perfect the disclosure", "19 CFR 162.74(b)(4)"),
        _extend("loss_calculated", TENDER, "tender the loss", "19 CFR 162.74(c)",
                (Guard("a tender due", "19 CFR 162.74(c)", not_covered_at_disclosure),)),
        TransitionSpec(
            "refer_to_fpf", ("disclosed", "perfected", "loss_calculated", "tendered"),
            "referred", Authority.CENTER,
            citation=_FINDING + "; seed 001 (the center's validation feeds the port's decision)",
            summary="refer the disclosure with the center's validation review to the port's "
                    "FP&F officer (a lapsed period is for FP&F to weigh; a covering tender made "
                    "with the disclosure is applied with the referral)",
            effect=referred,
        ),
        TransitionSpec(
            "find_valid", ("referred",), "valid", Authority.PORT, unit="fpf",
            citation=_FINDING,
            summary="find the prior disclosure valid (made before a formal investigation, "
                    "substantially complete, the loss tendered)",
            guards=(Guard("the loss tendered", "19 CFR 162.74(a)(1), (c)", tender_made),
                    Guard("made before a formal investigation", INVESTIGATION,
                          before_investigation)),
            effect=found("valid"),
        ),
        TransitionSpec(
            "find_invalid", ("referred",), "invalid", Authority.PORT, unit="fpf",
            citation="19 CFR 162.74(a)(2), (c); CBP Dec. 16-26 (FP&F stays with the ports)",
            summary="find the prior disclosure invalid, with the reason (default, once the loss "
                    "went untendered: failure to tender shall result in denial, 162.74(c))",
            guards=(Guard("a reason", "19 CFR 162.74(c)", invalid_reason),),
            inputs=(Input("reason", "why prior-disclosure treatment is denied (default when the "
                          "calculated loss was not fully tendered: 162.74(c))"),),
            effect=found("invalid"),
        ),
        *(TransitionSpec(
            trigger, UNDECIDED, STAY, authority, unit=unit,
            citation=INVESTIGATION,
            summary="record the commencement date of a formal investigation (a dated writing); "
                    "find_valid is refused if it preceded the disclosure",
            inputs=(LegalDate("investigation_commenced_on", "the date the formal investigation "
                              "commenced", required=True, citation=INVESTIGATION),),
            effect=lambda f: {"investigation_commenced_on":
                              f.legal("investigation_commenced_on").isoformat(),
                              "investigation_recorded_on": f.today.isoformat()},
        ) for trigger, authority, unit in (
            # The commencement of a formal investigation is a dated writing (19 CFR 162.74(g));
            # either office that learns of it records it: the port's FP&F, which decides
            # validity (162.74(a)(2)), or the center's Enforcement division, to which penalty
            # referrals go. One trigger has one authority, so each office has its own.
            ("record_investigation", Authority.PORT, "fpf"),
            ("record_enforcement_investigation", Authority.CENTER, "enforcement"))),
        TransitionSpec(
            "close", FOUND, "closed", Authority.PORT, unit="fpf",
            citation="19 CFR 162.74; 19 U.S.C. 1592(c)(4)",
            summary="close the disclosure (no penalty proceedings)",
            effect=lambda f: {"closed_on": f.today.isoformat()},
        ),
        TransitionSpec(
            "refer_for_penalty", FOUND, "referred_for_penalty", Authority.PORT, unit="fpf",
            citation="19 U.S.C. 1592(b), (c)(4); 19 CFR 162.77",
            summary="refer for penalty proceedings (reduced penalty if valid, 1592(c)(4)); "
                    "notifies the center's Enforcement division",
            effect=lambda f: {"referred_for_penalty_on": f.today.isoformat()},
            notices=(Notice("enforcement", "19 U.S.C. 1592; CBP Dec. 16-26",
                            "referred for penalty"),),
        ),
        TransitionSpec(
            "withdraw", UNDECIDED, "withdrawn", Authority.FILER,
            citation="19 CFR 162.74",
            summary="withdraw the disclosure before the FP&F finding",
            effect=lambda f: {"withdrawn_on": f.today.isoformat()},
        ),
    ),
)
