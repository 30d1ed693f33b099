"""Prior disclosure's guards and effects (19 U.S.C. 1592(c)(4); 19 CFR 162.74), each with its
citation. The rulebook: states/prior_disclosure.py; the timers:
states/prior_disclosure_timers.py."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from cee_workflow.states.base import (
    Facts,
    Period,
    TimerSpec,
    iso,
)
from cee_workflow.states.prior_disclosure_timers import (
    covered_at_disclosure,
)

# --- guards ------------------------------------------------------------------------------------


def entries_of_the_importer(f: Facts) -> str | None:
    others = sorted({str(e) for e in f.entries if e.importer != f.importer})
    if others:
        return (f"entr{'y' if len(others) == 1 else 'ies'} {', '.join(others)} belong to "
                f"another importer; disclose only importer {f.importer}'s entries")
    return None


def entries_by_port_and_dates(f: Facts) -> str | None:
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


def oral(f: Facts) -> str | None:
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


def within(timer: TimerSpec, what: str, remedy: str = ASK_FOR_EXTENSION):
    """A guard: today is on or before the timer's last day (extension included); past it,
    the message says what the party may still do (`remedy`)."""
    def check(f: Facts) -> str | None:
        last = timer.last_day(f.data, f.params)
        if f.today > last:
            extended = " (extended)" if timer.extended and f.data.get(timer.extended) else ""
            return f"the period to {what} ended on {last}{extended}; {remedy}"
        return None
    return check


def oral_confirmed(f: Facts) -> str | None:
    if f.data.get("form") == "oral" and not (f.data.get("confirmed_on")
                                             or f.data.get("confirmation_waived_on")):
        return ("confirm the oral disclosure in writing first (confirm_in_writing), or have the "
                "port's FP&F officer waive the confirmation (waive_confirmation)")
    return None


def tenders_the_loss(f: Facts) -> str | None:
    early = f.data.get("disclosure_tender")
    if Decimal(f.inputs["amount"]) + Decimal(early or 0) < Decimal(f.data["loss_amount"]):
        tendered = (f"{f.inputs['amount']} with the {early} tendered at disclosure" if early
                    else f"{f.inputs['amount']}")
        return (f"a tender of {tendered} is less than CBP's calculated loss of "
                f"{f.data['loss_amount']}; tender the actual loss")
    return None


def covered_by_early_tender(f: Facts) -> str | None:
    early = f.data.get("disclosure_tender")
    if early is None:
        return "nothing was tendered with the disclosure"
    if not covered_at_disclosure(f.data):
        return (f"the {early} tendered at disclosure is less than the loss of "
                f"{f.data['loss_amount']}; the difference is tendered within the 30 days")
    return None


def tender_made(f: Facts) -> str | None:
    if not f.data.get("tendered_on"):
        return ("the actual loss was not tendered; prior-disclosure treatment needs the tender "
                "(find it invalid, or extend the tender period first)")
    return None


def extends(timer: TimerSpec):
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


def mailed_before_received(f: Facts) -> str | None:
    if f.inputs.get("sent_by") in MAILED and f.legal("mailed_on") > f.legal("received_on"):
        return (f"mailed_on {f.legal('mailed_on')} is after received_on "
                f"{f.legal('received_on')}")
    return None


def before_investigation(f: Facts) -> str | None:
    commenced = iso(f.data.get("investigation_commenced_on"))
    disclosed = iso(f.data["disclosed_on"])
    if commenced is not None and commenced < disclosed:
        return (f"a formal investigation commenced on {commenced}, before the disclosure of "
                f"{disclosed}: no prior-disclosure treatment (19 U.S.C. 1592(c)(4)); find it "
                "invalid")
    return None


def invalid_reason(f: Facts) -> str | None:
    if not f.inputs.get("reason") and not (f.data.get("loss_amount")
                                           and not f.data.get("tender_complete_on")):
        return "find_invalid needs reason (why prior-disclosure treatment is denied)"
    return None


def disclosure_recorded(f: Facts) -> dict:
    changes = {"disclosed_on": disclosure_date(f).isoformat(), "form": f.inputs["form"],
               "sent_by": f.inputs.get("sent_by", "other"),
               "importer": f.importer, "division": f.division}
    for key in ("description", "entries_port", "entries_from", "entries_to"):
        if key in f.inputs:
            changes[key] = f.inputs[key]
    if "tender" in f.inputs:  # 162.74(c): the loss may be tendered with the disclosure
        changes["disclosure_tender"] = f.inputs["tender"]
    return changes


def loss_calculated(f: Facts) -> dict:
    notice = f.legal("notice_date").isoformat()
    changes = {"loss_amount": f.inputs["amount"], "loss_notice_on": notice,
               "loss_calculated_on": f.today.isoformat()}
    limit = f.params.pd_headquarters_review_amount
    if Decimal(f.inputs["amount"]) > limit:  # 162.74(c): losses over $100,000
        changes["headquarters_review"] = (f"loss over ${limit:,}: Headquarters review "
                                          "(19 CFR 162.74(c))")
    return changes


def not_covered_at_disclosure(f: Facts) -> str | None:
    if covered_at_disclosure(f.data):
        return (f"the {f.data['disclosure_tender']} tendered with the disclosure covers the loss "
                f"of {f.data['loss_amount']}: no tender is due, and the scheduler applies it "
                "(apply_disclosure_tender)")
    return None


def referred(f: Facts) -> dict:
    """Referred to FP&F; a covering tender made with the disclosure and not yet applied by the
    scheduler is applied with the referral, never lost."""
    changes = {"referred_on": f.today.isoformat()}
    if covered_at_disclosure(f.data) and not f.data.get("tendered_on"):
        changes.update(disclosure_tender_applied(f))
    return changes


def disclosure_tender_applied(f: Facts) -> dict:
    """The loss, tendered with the disclosure: tendered then, complete today."""
    return {"tendered_on": f.data["disclosed_on"], "tender_amount": f.data["disclosure_tender"],
            "tender_complete_on": f.today.isoformat()}


def tendered_now(f: Facts) -> dict:
    changes = {"tendered_on": f.today.isoformat(), "tender_amount": f.inputs["amount"],
               "tender_complete_on": f.today.isoformat()}
    if f.data.get("disclosure_tender"):
        changes["tender_total"] = str(Decimal(f.inputs["amount"])
                                      + Decimal(f.data["disclosure_tender"]))
    return changes


def extension_recorded(timer: TimerSpec):
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


def found(finding: str):
    def effect(f: Facts) -> dict:
        changes = {"finding": finding, "found_on": f.today.isoformat()}
        if "reason" in f.inputs:
            changes["finding_reason"] = f.inputs["reason"]
        elif finding == "invalid":  # the loss was calculated and never fully tendered
            changes["finding_reason"] = SHALL_DENY
        return changes
    return effect
