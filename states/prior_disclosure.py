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

from datetime import date
from decimal import Decimal

from cee_workflow.states.authority import Authority
from cee_workflow.states.base import (
    STAY,
    Facts,
    Guard,
    Input,
    LegalDate,
    Lifecycle,
    Notice,
    Period,
    StateSpec,
    TimerKind,
    TimerSpec,
    TransitionSpec,
    data_bound,
    iso,
)

# Before the FP&F finding: the disclosing party may still withdraw.
UNDECIDED = ("disclosed", "perfected", "loss_calculated", "tendered", "referred")
FOUND = ("valid", "invalid")
_DISCLOSE = "19 U.S.C. 1592(c)(4); 19 CFR 162.74(a)"
_FINDING = "19 CFR 162.74(a)(2); CBP Dec. 16-26 (FP&F stays with the ports)"


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


def _service_level(step: str, anchor: str, days, division: str, owner: str) -> TimerSpec:
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
    _service_level("loss_calculation", "perfected_on",
                   lambda p: p.pd_loss_calculation_days_partnership, "partnership", "center"),
    _service_level("loss_calculation", "perfected_on",
                   lambda p: p.pd_loss_calculation_days_validation, "validation", "center"),
)
# From the day the loss stands tendered: the tender, or the calculation that a tender made with
# the disclosure covers (`tendered_on` keeps the day the money was tendered).
REFERRAL_SLA = (
    _service_level("referral", "tender_complete_on",
                   lambda p: p.pd_referral_days_partnership, "partnership", "center"),
    _service_level("referral", "tender_complete_on",
                   lambda p: p.pd_referral_days_validation, "validation", "center"),
)
FPF_FINDING_SLA = (
    _service_level("fpf_finding", "referred_on",
                   lambda p: p.pd_fpf_finding_days_partnership, "partnership", "fpf"),
    _service_level("fpf_finding", "referred_on",
                   lambda p: p.pd_fpf_finding_days_validation, "validation", "fpf"),
)


# --- guards ------------------------------------------------------------------------------------


def _entries_of_the_importer(f: Facts) -> str | None:
    others = sorted({str(e) for e in f.entries if e.importer != f.importer})
    if others:
        return (f"entr{'y' if len(others) == 1 else 'ies'} {', '.join(others)} belong to "
                f"another importer; disclose only importer {f.importer}'s entries")
    return None


def _entries_by_port_and_dates(f: Facts) -> str | None:
    given = [k for k in ("entries_port", "entries_from", "entries_to") if k in f.inputs]
    if given and len(given) < 3:
        return ("entries named by port and dates need all of entries_port, entries_from and "
                "entries_to")
    if given:
        start, end = iso(f.inputs["entries_from"]), iso(f.inputs["entries_to"])
        if start > end:
            return f"entries_from {start} is after entries_to {end}"
        if end > f.today:
            return f"entries_to {end} is in the future; a disclosure concerns past entries"
    return None


def _oral(f: Facts) -> str | None:
    if f.data.get("form") != "oral":
        return "only an oral disclosure is confirmed in writing; this one was made in writing"
    if f.data.get("confirmed_on"):
        return f"the oral disclosure was already confirmed in writing on {f.data['confirmed_on']}"
    if f.data.get("confirmation_waived_on"):
        return ("the port's FP&F officer waived the written confirmation on "
                f"{f.data['confirmation_waived_on']}")
    return None


ASK_FOR_EXTENSION = "ask the port's FP&F officer for an extension for good cause"
ASK_FOR_WAIVER = ("the port's FP&F officer may waive the confirmation for good cause "
                  "(waive_confirmation)")


def _within(timer: TimerSpec, what: str, remedy: str = ASK_FOR_EXTENSION):
    """A guard: today is on or before the timer's last day (extension included); past it,
    the message says what the party may still do (`remedy`)."""
    def check(f: Facts) -> str | None:
        last = timer.last_day(f.data, f.params)
        if f.today > last:
            extended = " (extended)" if timer.extended and f.data.get(timer.extended) else ""
            return f"the period to {what} ended on {last}{extended}; {remedy}"
        return None
    return check


def _oral_confirmed(f: Facts) -> str | None:
    if f.data.get("form") == "oral" and not (f.data.get("confirmed_on")
                                             or f.data.get("confirmation_waived_on")):
        return ("confirm the oral disclosure in writing first (confirm_in_writing), or have the "
                "port's FP&F officer waive the confirmation (waive_confirmation)")
    return None


def _tenders_the_loss(f: Facts) -> str | None:
    early = f.data.get("disclosure_tender")
    if Decimal(f.inputs["amount"]) + Decimal(early or 0) < Decimal(f.data["loss_amount"]):
        tendered = (f"{f.inputs['amount']} with the {early} tendered at disclosure" if early
                    else f"{f.inputs['amount']}")
        return (f"a tender of {tendered} is less than CBP's calculated loss of "
                f"{f.data['loss_amount']}; tender the actual loss")
    return None


def _covered_at_disclosure(f: Facts) -> str | None:
    early = f.data.get("disclosure_tender")
    if early is None:
        return "nothing was tendered with the disclosure"
    if not covered_at_disclosure(f.data):
        return (f"the {early} tendered at disclosure is less than the loss of "
                f"{f.data['loss_amount']}; the difference is tendered within the 30 days")
    return None


def _tendered(f: Facts) -> str | None:
    if not f.data.get("tendered_on"):
        return ("the actual loss was not tendered; prior-disclosure treatment needs the tender "
                "(find it invalid, or extend the tender period first)")
    return None


def _extends(timer: TimerSpec):
    """A guard: the extended date, if named, is later than the current last day and not past."""
    def check(f: Facts) -> str | None:
        until = iso(f.inputs.get("until"))
        if until is None:
            return None
        last = timer.last_day(f.data, f.params)
        if until <= last:
            return f"until {until} does not extend the {timer.name} period ending on {last}"
        if until < f.today:
            return f"until {until} is in the past"
        return None
    return check


# --- effects -----------------------------------------------------------------------------------


MAILED = ("registered_mail", "certified_mail")
MADE_WHEN = "19 CFR 162.74(d)"
INVESTIGATION = "19 U.S.C. 1592(c)(4); 19 CFR 162.74(a), (g), (i)"
SHALL_DENY = ("failure to tender the actual loss finally calculated by CBP shall result in "
              "denial of the prior disclosure (19 CFR 162.74(c))")


def disclosure_date(f: Facts) -> date:
    """The disclosure's legal date: its mailing by registered or certified mail, else its
    receipt (162.74(d)); the 10- and 30-day periods count from it."""
    return f.legal("mailed_on") if f.inputs.get("sent_by") in MAILED else f.legal("received_on")


def _mailed_before_received(f: Facts) -> str | None:
    if f.inputs.get("sent_by") in MAILED and f.legal("mailed_on") > f.legal("received_on"):
        return (f"mailed_on {f.legal('mailed_on')} is after received_on "
                f"{f.legal('received_on')}")
    return None


def _before_investigation(f: Facts) -> str | None:
    commenced = iso(f.data.get("investigation_commenced_on"))
    disclosed = iso(f.data["disclosed_on"])
    if commenced is not None and commenced < disclosed:
        return (f"a formal investigation commenced on {commenced}, before the disclosure of "
                f"{disclosed}: no prior-disclosure treatment (19 U.S.C. 1592(c)(4)); find it "
                "invalid")
    return None


def _invalid_reason(f: Facts) -> str | None:
    if not f.inputs.get("reason") and not (f.data.get("loss_amount")
                                           and not f.data.get("tender_complete_on")):
        return "find_invalid needs reason (why prior-disclosure treatment is denied)"
    return None


def _disclosed(f: Facts) -> dict:
    changes = {"disclosed_on": disclosure_date(f).isoformat(), "form": f.inputs["form"],
               "sent_by": f.inputs.get("sent_by", "other"),
               "importer": f.importer, "division": f.division}
    for key in ("description", "entries_port", "entries_from", "entries_to"):
        if key in f.inputs:
            changes[key] = f.inputs[key]
    if "tender" in f.inputs:  # 162.74(c): the loss may be tendered with the disclosure
        changes["disclosure_tender"] = f.inputs["tender"]
    return changes


def _loss_calculated(f: Facts) -> dict:
    notice = f.legal("notice_date").isoformat()
    changes = {"loss_amount": f.inputs["amount"], "loss_notice_on": notice,
               "loss_calculated_on": f.today.isoformat()}
    limit = f.params.pd_headquarters_review_amount
    if Decimal(f.inputs["amount"]) > limit:  # 162.74(c): losses over $100,000
        changes["headquarters_review"] = (f"loss over ${limit:,}: Headquarters review "
                                          "(19 CFR 162.74(c))")
    return changes


def _not_covered_at_disclosure(f: Facts) -> str | None:
    if covered_at_disclosure(f.data):
        return (f"the {f.data['disclosure_tender']} tendered with the disclosure covers the loss "
                f"of {f.data['loss_amount']}: no tender is due, and the scheduler applies it "
                "(apply_disclosure_tender)")
    return None


def _referred(f: Facts) -> dict:
    """Referred to FP&F; a covering tender made with the disclosure and not yet applied by the
    scheduler is applied with the referral, never lost."""
    changes = {"referred_on": f.today.isoformat()}
    if covered_at_disclosure(f.data) and not f.data.get("tendered_on"):
        changes.update(_disclosure_tender_applied(f))
    return changes


def _disclosure_tender_applied(f: Facts) -> dict:
    """The loss, tendered with the disclosure: tendered then, complete today."""
    return {"tendered_on": f.data["disclosed_on"], "tender_amount": f.data["disclosure_tender"],
            "tender_complete_on": f.today.isoformat()}


def _tendered_now(f: Facts) -> dict:
    changes = {"tendered_on": f.today.isoformat(), "tender_amount": f.inputs["amount"],
               "tender_complete_on": f.today.isoformat()}
    if f.data.get("disclosure_tender"):
        changes["tender_total"] = str(Decimal(f.inputs["amount"])
                                      + Decimal(f.data["disclosure_tender"]))
    return changes


def _extended(timer: TimerSpec):
    def effect(f: Facts) -> dict:
        current = timer.last_day(f.data, f.params)
        until = iso(f.inputs.get("until")) or Period(days=f.params.pd_extension_days).after(
            current)
        record = {"period": timer.name, "from": current.isoformat(),
                  "until": until.isoformat(), "reason": f.inputs["reason"],
                  "on": f.today.isoformat()}
        return {timer.extended: until.isoformat(),
                "extensions": [*f.data.get("extensions", []), record]}
    return effect


def _found(finding: str):
    def effect(f: Facts) -> dict:
        changes = {"finding": finding, "found_on": f.today.isoformat()}
        if "reason" in f.inputs:
            changes["finding_reason"] = f.inputs["reason"]
        elif finding == "invalid":  # the loss was calculated and never fully tendered
            changes["finding_reason"] = SHALL_DENY
        return changes
    return effect


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
        guards=(*guards, Guard("a later date", citation, _extends(timer))),
        inputs=_EXTEND_INPUTS,
        effect=_extended(timer),
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
                      _entries_of_the_importer),
                Guard("entries by port and dates", "19 CFR 162.74(b)(2)",
                      _entries_by_port_and_dates),
                Guard("mailed before received", MADE_WHEN, _mailed_before_received),
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
            effect=_disclosed,
        ),
        TransitionSpec(
            "confirm_in_writing", ("disclosed",), STAY, Authority.FILER,
            citation="19 CFR 162.74(a)(2)",
            summary="confirm an oral disclosure in writing to FP&F within 10 days",
            guards=(
                Guard("an unconfirmed oral disclosure", "19 CFR 162.74(a)(2)", _oral),
                Guard("within 10 days of the oral disclosure", "19 CFR 162.74(a)(2)",
                      _within(ORAL_CONFIRMATION, "confirm the oral disclosure in writing",
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
            guards=(Guard("an unconfirmed oral disclosure", "19 CFR 162.74(a)(2)", _oral),),
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
                Guard("oral disclosure confirmed", "19 CFR 162.74(a)(2)", _oral_confirmed),
                Guard("within 30 days of disclosure", "19 CFR 162.74(b)(4)",
                      _within(PERFECTION, "perfect the disclosure")),
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
            effect=_loss_calculated,
        ),
        TransitionSpec(
            "apply_disclosure_tender", ("loss_calculated",), "tendered", Authority.SYSTEM,
            citation="19 CFR 162.74(c)",
            summary="the tender made with the disclosure covers the calculated loss: the loss "
                    "stands tendered",
            guards=(Guard("covered by the tender at disclosure", "19 CFR 162.74(c)",
                          _covered_at_disclosure),),
            effect=_disclosure_tender_applied,
        ),
        TransitionSpec(
            "tender", ("loss_calculated",), "tendered", Authority.FILER,
            citation="19 CFR 162.74(c)",
            summary="tender the actual loss within 30 days of CBP's notice (or the extended "
                    "date)",
            guards=(
                Guard("a tender due", "19 CFR 162.74(c)", _not_covered_at_disclosure),
                Guard("within 30 days of the notice", "19 CFR 162.74(c)",
                      _within(TENDER, "tender the loss")),
                Guard("the whole loss", "19 CFR 162.74(a)(1), (c)", _tenders_the_loss),
            ),
            inputs=(Input("amount", "the amount tendered (with any tender at disclosure, the "
                                    "actual loss)", "amount", required=True),),
            effect=_tendered_now,
        ),
        _extend("disclosed", PERFECTION, "perfect the disclosure", "19 CFR 162.74(b)(4)"),
        _extend("loss_calculated", TENDER, "tender the loss", "19 CFR 162.74(c)",
                (Guard("a tender due", "19 CFR 162.74(c)", _not_covered_at_disclosure),)),
        TransitionSpec(
            "refer_to_fpf", ("disclosed", "perfected", "loss_calculated", "tendered"),
            "referred", Authority.CENTER,
            citation=_FINDING + "; seed 001 (the center's validation feeds the port's decision)",
            summary="refer the disclosure with the center's validation review to the port's "
                    "FP&F officer (a lapsed period is for FP&F to weigh; a covering tender made "
                    "with the disclosure is applied with the referral)",
            effect=_referred,
        ),
        TransitionSpec(
            "find_valid", ("referred",), "valid", Authority.PORT, unit="fpf",
            citation=_FINDING,
            summary="find the prior disclosure valid (made before a formal investigation, "
                    "substantially complete, the loss tendered)",
            guards=(Guard("the loss tendered", "19 CFR 162.74(a)(1), (c)", _tendered),
                    Guard("made before a formal investigation", INVESTIGATION,
                          _before_investigation)),
            effect=_found("valid"),
        ),
        TransitionSpec(
            "find_invalid", ("referred",), "invalid", Authority.PORT, unit="fpf",
            citation="19 CFR 162.74(a)(2), (c); CBP Dec. 16-26 (FP&F stays with the ports)",
            summary="find the prior disclosure invalid, with the reason (default, once the loss "
                    "went untendered: failure to tender shall result in denial, 162.74(c))",
            guards=(Guard("a reason", "19 CFR 162.74(c)", _invalid_reason),),
            inputs=(Input("reason", "why prior-disclosure treatment is denied (default when the "
                          "calculated loss was not fully tendered: 162.74(c))"),),
            effect=_found("invalid"),
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
