"""Protest: 19 U.S.C. 1514–1515; 19 CFR Part 174 (REFERENCE.md §2).

A protest covers one or more liquidated entries of one importer. It must be filed within 180 days
after the latest liquidation (or reliquidation) of every entry it names, day 1 being the day after,
a last day on a weekend or holiday rolling to the next business day (T.D. 53961). The center
decides; the 2-year decision limit is directory (Hitachi, Fed. Cir. 2011): it escalates, it never
decides. Exclusion protests and accelerated-disposition requests are deemed denied after 30 days.
"""

from __future__ import annotations

from datetime import timedelta

from cee_workflow.states.authority import Authority
from cee_workflow.states.base import (
    STAY,
    Cascade,
    Facts,
    Guard,
    Input,
    Lifecycle,
    Period,
    StateSpec,
    TimerKind,
    TimerSpec,
    TransitionSpec,
    iso,
)
from cee_workflow.states.calendar import roll_forward
from cee_workflow.states.liquidation import protest_last_day

PENDING = ("filed", "accepted", "further_review")
UNDECIDED = (*PENDING, "accelerated")
DECIDABLE = ("accepted", "further_review", "accelerated")
PROTESTABLE = ("liquidated", "reliquidated")
# A protest in these states no longer holds its entries open; one in litigation still does: the
# court decides, and the liquidation is not final meanwhile.
RESOLVED = ("withdrawn", "closed")


# --- guards ----------------------------------------------------------------------------------


def _entries_liquidated(f: Facts) -> str | None:
    for e in f.entries:
        if e.liquidation_state not in PROTESTABLE:
            if e.liquidation_state == "final":
                return (f"entry {e} is final: its protest period has ended and the "
                        "liquidation is conclusive")
            return (f"entry {e} is {e.liquidation_state}, not liquidated; a protest lies "
                    "against a liquidation — before it, file a post-summary correction")
    return None


def _one_importer(f: Facts) -> str | None:
    importers = sorted({e.importer for e in f.entries})
    if len(importers) > 1:
        return (f"the entries belong to different importers ({', '.join(importers)}); "
                "file one protest per importer")
    return None


def _filed_in_time(f: Facts) -> str | None:
    for e in f.entries:
        last = protest_last_day(e.liquidated_on, f.params, e.entry_date)
        if f.today > last:
            return (f"entry {e} was liquidated on {e.liquidated_on}; the 180 days to "
                    f"protest ended on {last}; the liquidation is final unless CBP reliquidates")
        if f.today < e.liquidated_on:
            return f"entry {e} liquidates on {e.liquidated_on}; protest on or after it"
    return None


def _amend_in_time(f: Facts) -> str | None:
    last = iso(f.data["protest_deadline"])
    if f.today > last:
        return f"the period to protest ended on {last}; an amendment is no longer accepted"
    return None


def _further_review_requested(f: Facts) -> str | None:
    if not f.data.get("further_review"):
        return ("the protestant did not apply for further review; it must be requested with the "
                "protest or by amendment within the protest period")
    return None


def _accelerated_request_allowed(f: Facts) -> str | None:
    earliest = iso(f.data["filed_on"]) + timedelta(days=f.params.accelerated_disposition_min_days)
    if f.today < earliest:
        return (f"accelerated disposition may be requested from {earliest}, "
                f"{f.params.accelerated_disposition_min_days} days after filing")
    return None


def _accelerated_period_over(f: Facts) -> str | None:
    last = iso(f.data["accelerated_requested_on"]) + timedelta(
        days=f.params.accelerated_disposition_days)
    if f.today <= last:
        return f"CBP may still decide until {last}"
    return None


def _exclusion_period_over(f: Facts) -> str | None:
    if not f.data.get("exclusion"):
        return "only an exclusion protest is deemed denied after 30 days"
    last = iso(f.data["filed_on"]) + timedelta(days=f.params.exclusion_decision_days)
    if f.today <= last:
        return f"CBP may still decide the exclusion protest until {last}"
    return None


def _decided_denial(f: Facts) -> str | None:
    if f.data.get("deemed"):
        return ("a deemed denial was no decision to void; contest it at the Court of "
                "International Trade by summons")
    return None


def _summons_in_time(f: Facts) -> str | None:
    last = _summons_last_day(f)
    if f.today > last:
        return (f"the 180 days to contest the denial of {f.data['denied_on']} ended on {last}; "
                "the denial is final")
    return None


def _summons_period_over(f: Facts) -> str | None:
    if "denied_on" not in f.data:
        return None
    last = _summons_last_day(f)
    if f.today <= last:
        return f"the protestant may file a summons until {last}"
    return None


def _summons_last_day(f: Facts):
    return roll_forward(iso(f.data["denied_on"]) + timedelta(days=f.params.summons_period_days))


# --- effects ---------------------------------------------------------------------------------


def _filed(f: Facts) -> dict:
    deadline = min(protest_last_day(e.liquidated_on, f.params, e.entry_date) for e in f.entries)
    return {
        "filed_on": f.today.isoformat(),
        "protest_deadline": deadline.isoformat(),
        "reason": f.inputs.get("reason"),
        "exclusion": f.inputs.get("exclusion", False),
        "further_review": f.inputs.get("further_review", False),
        "importer": f.entries[0].importer,
    }


def _amended(f: Facts) -> dict:
    changes = {"amended_on": f.today.isoformat(), "amendments": f.data.get("amendments", 0) + 1}
    if "reason" in f.inputs:
        changes["reason"] = f.inputs["reason"]
    if f.inputs.get("further_review"):
        changes["further_review"] = True
    return changes


def _decided(outcome: str):
    def effect(f: Facts) -> dict:
        changes = {"decided_on": f.today.isoformat(), "decision": outcome}
        if outcome in ("denied", "allowed_in_part"):
            changes["denied_on"] = f.today.isoformat()
        return changes
    return effect


def _deemed_denied(anchor: str, days) -> object:
    def effect(f: Facts) -> dict:
        on = iso(f.data[anchor]) + timedelta(days=days(f.params))
        return {"decided_on": on.isoformat(), "denied_on": on.isoformat(),
                "decision": "deemed_denied", "deemed": True}
    return effect


# --- the rulebook ----------------------------------------------------------------------------

DECISION_LIMIT = TimerSpec(
    name="decision_limit",
    kind=TimerKind.LEGAL,
    anchor="filed_on",
    period=lambda p: Period(years=p.protest_decision_years),
    citation="19 CFR 174.21(a); Hitachi Home Elecs. v. United States (Fed. Cir. 2011)",
    summary="2 years from filing: escalate (directory — a late decision is not deemed allowed)",
    warn_days=lambda p: p.protest_decision_warning_days,
)
EXCLUSION_DEEMED_DENIAL = TimerSpec(
    name="exclusion_deemed_denial",
    kind=TimerKind.LEGAL,
    anchor="filed_on",
    period=lambda p: Period(days=p.exclusion_decision_days),
    action="deem_denied",
    citation="19 U.S.C. 1514(c)(4); 19 CFR 174.21(b)",
    summary="exclusion protest not decided in 30 days: deemed denied",
    applies=lambda data: bool(data.get("exclusion")),
)
ACCELERATED_DEEMED_DENIAL = TimerSpec(
    name="accelerated_deemed_denial",
    kind=TimerKind.LEGAL,
    anchor="accelerated_requested_on",
    period=lambda p: Period(days=p.accelerated_disposition_days),
    action="deem_denied",
    citation="19 U.S.C. 1515(b); 19 CFR 174.22(d)",
    summary="not decided within 30 days of the request: deemed denied",
)
SUMMONS_WINDOW = TimerSpec(
    name="summons_window",
    kind=TimerKind.LEGAL,
    anchor="denied_on",
    period=lambda p: Period(days=p.summons_period_days),
    roll_forward=True,
    action="close",
    warn_days=lambda p: None,  # closing after the summons window needs nobody's attention
    citation="28 U.S.C. 2636(a); 19 CFR 174.31",
    summary="no summons within 180 days of the denial: close",
)
CLOSING = TimerSpec(
    name="closing",
    kind=TimerKind.PROCESS,
    anchor="decided_on",
    period=lambda p: Period(),
    action="close",
    fires="on",
    warn_days=lambda p: None,
    citation="19 CFR 173.2(d)",
    summary="allowed and reliquidated: close",
)

_UNDECIDED_TIMERS = (DECISION_LIMIT, EXCLUSION_DEEMED_DENIAL)
_DECIDE = "19 U.S.C. 1515(a); 19 CFR 174.21(a)"

PROTEST = Lifecycle(
    kind="protest",
    prefix="PR",
    summary="Protest of liquidated entries (19 U.S.C. 1514–1515; 19 CFR Part 174)",
    initial="new",
    opening="file",
    states=(
        StateSpec("new", "not yet filed"),
        StateSpec("filed", "filed by the protestant", _UNDECIDED_TIMERS),
        StateSpec("accepted", "received and accepted at a port or center", _UNDECIDED_TIMERS),
        StateSpec("further_review", "application for further review granted", _UNDECIDED_TIMERS),
        StateSpec("accelerated", "accelerated disposition requested",
                  (DECISION_LIMIT, ACCELERATED_DEEMED_DENIAL)),
        StateSpec("allowed", "allowed in full; entries reliquidated", (CLOSING,)),
        StateSpec("allowed_in_part", "allowed in part; entries reliquidated", (SUMMONS_WINDOW,)),
        StateSpec("denied", "denied, or deemed denied", (SUMMONS_WINDOW,)),
        StateSpec("litigation", "summons filed at the Court of International Trade",
                  terminal=True),
        StateSpec("withdrawn", "withdrawn by the protestant", terminal=True),
        StateSpec("closed", "decided and closed", terminal=True),
    ),
    transitions=(
        TransitionSpec(
            "file", ("new",), "filed", Authority.FILER,
            citation="19 U.S.C. 1514(c)(3); 19 CFR 174.12; T.D. 53961",
            summary="file within 180 days after the latest liquidation of every entry named",
            guards=(
                Guard("entries liquidated", "19 U.S.C. 1514(a)", _entries_liquidated),
                Guard("one importer", "19 CFR 174.12(a)", _one_importer),
                Guard("within 180 days of liquidation", "19 U.S.C. 1514(c)(3); T.D. 53961",
                      _filed_in_time),
            ),
            inputs=(Input("reason", "what is protested and why"),
                    Input("exclusion", "a protest of an exclusion", "bool", default=False),
                    Input("further_review", "apply for further review", "bool",
                          default=False)),
            effect=_filed,
        ),
        TransitionSpec(
            "amend", PENDING, STAY, Authority.FILER,
            citation="19 CFR 174.14",
            summary="amend the protest before the protest period ends",
            guards=(Guard("within the protest period", "19 CFR 174.14", _amend_in_time),),
            inputs=(Input("reason", "the amended grounds"),
                    Input("further_review", "apply for further review", "bool")),
            effect=_amended,
        ),
        TransitionSpec(
            "accept", ("filed",), "accepted", Authority.JOINT,
            citation="19 CFR 174.12(d); Delegation Order 14-004 (joint authority)",
            summary="receive and accept the protest (port or center)",
            effect=lambda f: {"accepted_on": f.today.isoformat()},
        ),
        TransitionSpec(
            "grant_further_review", ("accepted",), "further_review", Authority.CENTER,
            citation="19 U.S.C. 1515(a); 19 CFR 174.24, 174.25",
            summary="grant the application for further review",
            guards=(Guard("further review requested", "19 CFR 174.25",
                          _further_review_requested),),
        ),
        TransitionSpec(
            "allow", DECIDABLE, "allowed", Authority.CENTER,
            citation=_DECIDE + "; 19 CFR 173.2(d)",
            summary="allow in full; the entries are reliquidated in the same transaction",
            effect=_decided("allowed"),
            cascades=(Cascade("liquidation", "reliquidate"),),
        ),
        TransitionSpec(
            "allow_in_part", DECIDABLE, "allowed_in_part", Authority.CENTER,
            citation=_DECIDE + "; 19 CFR 173.2(d), 174.30",
            summary="allow in part, deny the rest; the entries are reliquidated",
            effect=_decided("allowed_in_part"),
            cascades=(Cascade("liquidation", "reliquidate"),),
        ),
        TransitionSpec(
            "deny", DECIDABLE, "denied", Authority.CENTER,
            citation=_DECIDE + "; 19 CFR 174.30",
            summary="deny the protest (notice of denial with reasons)",
            effect=_decided("denied"),
        ),
        TransitionSpec(
            "request_accelerated_disposition", PENDING, "accelerated", Authority.FILER,
            citation="19 U.S.C. 1515(b); 19 CFR 174.22",
            summary="request accelerated disposition (deemed denied if undecided in 30 days)",
            guards=(Guard("after the waiting period", "19 U.S.C. 1515(b) (UNCONFIRMED 90 days)",
                          _accelerated_request_allowed),),
            effect=lambda f: {"accelerated_requested_on": f.today.isoformat()},
        ),
        TransitionSpec(
            "deem_denied", ("accelerated",), "denied", Authority.SYSTEM,
            citation="19 U.S.C. 1515(b); 19 CFR 174.22(d)",
            summary="deemed denied 30 days after the accelerated-disposition request",
            guards=(Guard("30 days passed", "19 U.S.C. 1515(b)", _accelerated_period_over),),
            effect=_deemed_denied("accelerated_requested_on",
                                  lambda p: p.accelerated_disposition_days),
        ),
        TransitionSpec(
            "deem_denied", PENDING, "denied", Authority.SYSTEM,
            citation="19 U.S.C. 1514(c)(4); 19 CFR 174.21(b)",
            summary="exclusion protest deemed denied on the 30th day after filing",
            guards=(Guard("exclusion protest, 30 days passed", "19 CFR 174.21(b)",
                          _exclusion_period_over),),
            effect=_deemed_denied("filed_on", lambda p: p.exclusion_decision_days),
        ),
        TransitionSpec(
            "void_denial", ("denied",), "accepted", Authority.CENTER,
            citation="19 U.S.C. 1515(d)",
            summary="void a denial made contrary to proper instructions; the protest is pending "
                    "again",
            guards=(Guard("an actual denial", "19 U.S.C. 1515(d)", _decided_denial),),
            effect=lambda f: {"voided_denial_of": f.data.get("denied_on"), "denied_on": None,
                              "decision": None, "decided_on": None, "deemed": False},
        ),
        TransitionSpec(
            "withdraw", UNDECIDED, "withdrawn", Authority.FILER,
            citation="19 CFR 174.12",
            summary="withdraw the protest",
            effect=lambda f: {"withdrawn_on": f.today.isoformat()},
            rearms=("liquidation",),
        ),
        TransitionSpec(
            "file_summons", ("denied", "allowed_in_part"), "litigation", Authority.FILER,
            citation="28 U.S.C. 2636(a); 19 CFR 174.31",
            summary="contest the denial at the Court of International Trade within 180 days",
            guards=(Guard("within 180 days of denial", "28 U.S.C. 2636(a)", _summons_in_time),),
            effect=lambda f: {"summons_filed_on": f.today.isoformat()},
        ),
        TransitionSpec(
            "close", ("allowed",), "closed", Authority.SYSTEM,
            citation="19 CFR 173.2(d)",
            summary="close an allowed protest once its entries are reliquidated",
            rearms=("liquidation",),
        ),
        TransitionSpec(
            "close", ("denied", "allowed_in_part"), "closed", Authority.SYSTEM,
            citation="28 U.S.C. 2636(a)",
            summary="close when the 180 days to file a summons have passed",
            guards=(Guard("summons period over", "28 U.S.C. 2636(a)", _summons_period_over),),
            rearms=("liquidation",),
        ),
    ),
)
