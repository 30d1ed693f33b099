"""Protest: 19 U.S.C. 1514–1515; 19 CFR Part 174 (REFERENCE.md §2).

A protest covers one or more liquidated entries of one importer. It must be filed within 180 days
after the latest liquidation (or reliquidation) of every entry it names, day 1 being the day after,
a last day on a weekend or holiday rolling to the next business day (T.D. 53961). The center
decides; the 2-year decision limit is directory (Hitachi, Fed. Cir. 2011): it escalates, it never
decides. Exclusion protests and accelerated-disposition requests are deemed denied after 30 days.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from cee_workflow.states.authority import Authority
from cee_workflow.states.base import (
    STAY,
    Cascade,
    Facts,
    Guard,
    Input,
    LegalDate,
    Lifecycle,
    Period,
    StateSpec,
    TimerKind,
    TimerSpec,
    TransitionSpec,
    data_bound,
    iso,
)
from cee_workflow.states.calendar import roll_forward
from cee_workflow.states.liquidation import protest_last_day, protest_period_days
from cee_workflow.states.params import RuleParams

PENDING = ("filed", "accepted", "further_review")
UNDECIDED = (*PENDING, "accelerated")
DECIDABLE = ("accepted", "further_review", "accelerated")
PROTESTABLE = ("liquidated", "reliquidated")
# What a protest is about: the CBP decisions of 19 U.S.C. 1514(a). Only a protest of a
# liquidation or reliquidation needs a liquidated entry; the others run from their decision's
# date (`decision_date`) and may be on unliquidated entries (174.12(e)).
DECISIONS = ("liquidation", "reliquidation", "exclusion", "redelivery", "charge",
             "drawback_refusal", "refusal_1520d")
OF_LIQUIDATION = ("liquidation", "reliquidation")
EXCLUSION_RULE = "19 U.S.C. 1499(c)(5)(B); 19 CFR 174.21(b)"
ACCELERATED_RULE = "19 U.S.C. 1515(b); 19 CFR 174.22(d)"


def protested(data: Mapping[str, Any]) -> str:
    """The decision a protest names; protests recorded before it was named (and exclusion
    protests filed with --exclusion) read as before: liquidation, or exclusion."""
    return data.get("protested") or ("exclusion" if data.get("exclusion") else "liquidation")


def deemed_denial(data: Mapping[str, Any], params: RuleParams) -> tuple[date, date, str] | None:
    """The first deemed denial the protest is subject to: (the day it is denied, the first day
    no decision may be taken, the rule), or None.

    - Exclusion: not allowed or denied BEFORE the 30th day after filing → denied on that 30th
      day (1499(c)(5)(B); 174.21(b)): no decision from the 30th day.
    - Accelerated disposition: deemed denied at the close of the 30th day after the request was
      mailed (1515(b); 174.22(d)): a decision on the 30th day is still in time.
    Whichever falls first binds. A denial voided under 1515(d) reopens the protest: the deemed
    routes it had no longer apply (the engine's reading; the 2636 clock still runs, see
    `summons_from`).
    """
    if data.get("voided_denial_of"):
        return None
    routes = []
    if protested(data) == "exclusion" and data.get("filed_on"):
        day = iso(data["filed_on"]) + timedelta(days=params.exclusion_decision_days)
        routes.append((day, day, EXCLUSION_RULE))
    if data.get("accelerated_requested_on"):
        day = iso(data["accelerated_requested_on"]) + timedelta(
            days=params.accelerated_disposition_days)
        routes.append((day, day + timedelta(days=1), ACCELERATED_RULE))
    return min(routes, key=lambda r: r[1]) if routes else None

# A protest in these states no longer holds its entries open; one in litigation still does: the
# court decides, and the liquidation is not final meanwhile.
RESOLVED = ("withdrawn", "closed")


# --- guards ----------------------------------------------------------------------------------


def _entries_liquidated(f: Facts) -> str | None:
    if _decision(f) not in OF_LIQUIDATION:
        return None  # 1514(a)(3), (4), (6), (7): the decision's own date counts, not a liquidation
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


def _decision(f: Facts) -> str:
    if "protested" in f.inputs:
        return f.inputs["protested"]
    return "exclusion" if f.inputs.get("exclusion") else "liquidation"


def _decided_on(f: Facts, e) -> date:
    """The date the protested decision was made, for entry `e`: its latest liquidation or
    reliquidation, or the decision's own date (1514(c)(3))."""
    return e.liquidated_on if _decision(f) in OF_LIQUIDATION else f.legal("decision_date")


def _lateness(f: Facts) -> dict[str, str]:
    """The entries the protest is late for: {entry: why} (174.13(b))."""
    late = {}
    for e in f.entries:
        decided = _decided_on(f, e)
        last = protest_last_day(decided, f.params, e.entry_date)
        if f.today > last:
            days = protest_period_days(e.entry_date, f.params)
            rule = f.params.value("protest_period_days", e.entry_date).source
            late[e.number] = (f"entry {e}: the {_decision(f)} of {decided} could be protested "
                              f"until {last} ({days} days, {rule})")
    return late


def _filed_in_time(f: Facts) -> str | None:
    late = _lateness(f)
    if late and len(late) == len(f.entries):
        first = next(iter(late.values()))
        return (f"{first}; the decision is final unless CBP reliquidates")
    for e in f.entries:
        if _decision(f) in OF_LIQUIDATION and f.today < e.liquidated_on:
            return f"entry {e} liquidates on {e.liquidated_on}; protest on or after it"
    return None


def _no_decision_before_entry(f: Facts) -> str | None:
    if _decision(f) in OF_LIQUIDATION:
        return None
    decided = f.legal("decision_date")
    for e in f.entries:
        if decided < e.entry_date:
            return (f"decision_date {decided} is before the entry date {e.entry_date} of entry "
                    f"{e}; give the date of the decision protested")
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
    # 19 U.S.C. 1515(b); 19 CFR 174.22(a): the wait is a dated series by entry date (90 days
    # for entries made before 2004-12-18, none after); it applies only where EVERY entry of the
    # protest is under the old rule, so the shortest wait among the entries governs.
    if not f.entries:
        return None
    wait = min((f.params.value("accelerated_disposition_min_days", e.entry_date)
                for e in f.entries), key=lambda chosen: chosen.value)
    if not wait.value:
        return None  # at any time concurrent with or after the filing
    earliest = iso(f.data["filed_on"]) + timedelta(days=wait.value)
    if f.legal("mailed_on") < earliest:
        return (f"accelerated disposition may be requested from {earliest}, {wait.value} days "
                f"after filing, for entries made when the wait was in force ({wait.source})")
    return None


def _deemed_date_reached(f: Facts) -> str | None:
    route = deemed_denial(f.data, f.params)
    if route is None:
        return "neither an exclusion protest nor an accelerated-disposition request"
    denied, bar, _rule = route
    if f.today < bar:
        return f"CBP may still decide until {bar - timedelta(days=1)}"
    return None


def _not_deemed_denied(f: Facts) -> str | None:
    """Deemed denials bind (1515(c)): once the date has passed, no decision may be taken, even
    if no sweep has recorded the denial yet."""
    route = deemed_denial(f.data, f.params)
    if route is None:
        return None
    denied, bar, rule = route
    if f.legal("decided_on") >= bar:
        return (f"the protest was deemed denied on {denied} ({rule}); that denial binds "
                f"(19 U.S.C. 1515(c)) — the 180 days to summon run from {denied}")
    return None


def _void_in_time(f: Facts) -> str | None:
    if not f.inputs.get("on_request"):
        return None  # CBP's own initiative: 1515(d) sets no period
    denied = iso(f.data["denied_on"])
    last = denied + timedelta(days=f.params.void_request_days)
    if f.today > last:
        return (f"the protestant's request to void the denial of {denied} had to be filed by "
                f"{last} (90 days)")
    return None


def _summons_in_time(f: Facts) -> str | None:
    last = _summons_last_day(f)
    if f.today > last:
        return (f"the 180 days to contest the denial of {_summons_from(f.data)} ended on "
                f"{last}; the denial is final")
    return None


def _summons_period_over(f: Facts) -> str | None:
    if not _summons_from(f.data):
        return None
    last = _summons_last_day(f)
    if f.today <= last:
        return f"the protestant may file a summons until {last}"
    return None


def _summons_from(data: Mapping[str, Any]) -> str | None:
    """The original denial (deemed or actual): "all denials of protests are effective from the
    date of original denial for purposes of section 2636" (1515(c))."""
    return data.get("summons_from") or data.get("denied_on")


def _summons_last_day(f: Facts):
    return roll_forward(iso(_summons_from(f.data))
                        + timedelta(days=f.params.summons_period_days))


# --- effects ---------------------------------------------------------------------------------


def _filed(f: Facts) -> dict:
    late = _lateness(f)
    timely = [e for e in f.entries if e.number not in late]
    decision = _decision(f)
    deadline = min(protest_last_day(_decided_on(f, e), f.params, e.entry_date) for e in timely)
    changes = {
        "filed_on": f.today.isoformat(),
        "protest_deadline": deadline.isoformat(),
        "reason": f.inputs.get("reason"),
        "protested": decision,
        "exclusion": decision == "exclusion",
        "further_review": f.inputs.get("further_review", False),
        "importer": f.entries[0].importer,
    }
    if decision not in OF_LIQUIDATION:
        changes["decision_date"] = f.legal("decision_date").isoformat()
    if late:  # 174.13(b): untimely only as to those entries; the others go on
        changes["untimely_entries"] = sorted(late)
        changes["untimely"] = [late[n] for n in sorted(late)]
    return changes


def _amended(f: Facts) -> dict:
    changes = {"amended_on": f.today.isoformat(), "amendments": f.data.get("amendments", 0) + 1}
    if "reason" in f.inputs:
        changes["reason"] = f.inputs["reason"]
    if f.inputs.get("further_review"):
        changes["further_review"] = True
    return changes


def _decided(outcome: str):
    def effect(f: Facts) -> dict:
        on = f.legal("decided_on").isoformat()
        changes = {"decided_on": on, "decision": outcome}
        if outcome in ("denied", "allowed_in_part"):
            changes["denied_on"] = on
            changes["summons_from"] = _summons_from(f.data) or on
        if outcome == "allowed" and protested(f.data) in ("exclusion", "redelivery"):
            changes["released_on"] = on  # 1514(a)(4): allowing it releases the merchandise
        return changes
    return effect


def _deemed(f: Facts) -> dict:
    denied, _bar, rule = deemed_denial(f.data, f.params)
    on = denied.isoformat()
    return {"decided_on": on, "denied_on": on, "decision": "deemed_denied", "deemed": True,
            "deemed_by": rule, "summons_from": _summons_from(f.data) or on}


def _voided(f: Facts) -> dict:
    return {"voided_denial_of": f.data.get("denied_on"), "voided_on": f.today.isoformat(),
            "void_on_request": bool(f.inputs.get("on_request")), "denied_on": None,
            "decision": None, "decided_on": None, "deemed": False}


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
    fires="on",  # denied ON the 30th day: a decision must come before it
    citation=EXCLUSION_RULE,
    summary="exclusion protest not allowed or denied before the 30th day after filing: "
            "denied on that 30th day",
    applies=lambda data: protested(data) == "exclusion" and not data.get("voided_denial_of"),
)
FURTHER_REVIEW_DECISION = TimerSpec(
    name="further_review_decision",
    kind=TimerKind.LEGAL,
    anchor="filed_on",
    period=lambda p: Period(days=p.further_review_decision_days),
    citation="19 U.S.C. 1515(a); 19 CFR 174.23",
    summary="application for further review not allowed or denied within 30 days of filing: "
            "escalate",
    applies=lambda data: bool(data.get("further_review"))
    and not data.get("further_review_denied_on"),
)
ACCELERATED_DEEMED_DENIAL = TimerSpec(
    name="accelerated_deemed_denial",
    kind=TimerKind.LEGAL,
    anchor="accelerated_requested_on",
    period=lambda p: Period(days=p.accelerated_disposition_days),
    action="deem_denied",
    citation=ACCELERATED_RULE,
    summary="not decided by the close of the 30th day after the request was mailed: deemed "
            "denied",
    applies=lambda data: not data.get("voided_denial_of"),
)
SUMMONS_WINDOW = TimerSpec(
    name="summons_window",
    kind=TimerKind.LEGAL,
    anchor="summons_from",  # the original denial: no later action moves it (1515(c))
    anchor_before="denied_on",  # a denial recorded before summons_from existed
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

_UNDECIDED_TIMERS = (DECISION_LIMIT, EXCLUSION_DEEMED_DENIAL, FURTHER_REVIEW_DECISION)
_DECIDED_ON = LegalDate("decided_on", "the date of CBP's decision", citation="19 CFR 174.21",
                        not_before=(data_bound("filed_on", "the filing of the protest"),))
_BINDS = Guard("no deemed denial has passed", "19 U.S.C. 1515(c); 1499(c)(5)(B); 19 CFR "
               "174.21(b), 174.22(d)", _not_deemed_denied)
# An allowed protest of a liquidation reliquidates its timely entries as a refund (type 5,
# 19 CFR 173.2(d)); an allowed exclusion protest releases the merchandise instead.
_RELIQUIDATE = Cascade("liquidation", "reliquidate", inputs=(("type", "5"),),
                       when=lambda data: protested(data) in OF_LIQUIDATION,
                       skip="untimely_entries")
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
                  (DECISION_LIMIT, ACCELERATED_DEEMED_DENIAL, EXCLUSION_DEEMED_DENIAL)),
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
            summary="file within 180 days after the decision protested (the latest liquidation "
                    "of each entry, or the decision's date); 90 for entries before 2004-12-18",
            guards=(
                Guard("a liquidated entry for a protest of a liquidation", "19 U.S.C. 1514(a)(5)",
                      _entries_liquidated),
                Guard("one importer", "19 CFR 174.12(a)", _one_importer),
                Guard("decision not before the entry", "19 CFR 174.12(e)",
                      _no_decision_before_entry),
                Guard("within 180 days of the decision (90 before 2004-12-18)",
                      "19 U.S.C. 1514(c)(3); 19 CFR 174.12(e), 174.13(b); T.D. 53961",
                      _filed_in_time),
            ),
            inputs=(Input("reason", "what is protested and why"),
                    Input("protested", "the decision protested (19 U.S.C. 1514(a))", "choice",
                          DECISIONS),
                    LegalDate("decision_date", "the date of the decision protested when it is "
                              "not a liquidation (e.g. the exclusion notice)",
                              citation="19 U.S.C. 1514(c)(3); 19 CFR 174.12(e)"),
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
            guards=(_BINDS,),
            inputs=(_DECIDED_ON,),
            effect=_decided("allowed"),
            cascades=(_RELIQUIDATE,),
        ),
        TransitionSpec(
            "allow_in_part", DECIDABLE, "allowed_in_part", Authority.CENTER,
            citation=_DECIDE + "; 19 CFR 173.2(d), 174.30",
            summary="allow in part, deny the rest; the entries are reliquidated",
            guards=(_BINDS,),
            inputs=(_DECIDED_ON,),
            effect=_decided("allowed_in_part"),
            cascades=(_RELIQUIDATE,),
        ),
        TransitionSpec(
            "deny", DECIDABLE, "denied", Authority.CENTER,
            citation=_DECIDE + "; 19 CFR 174.30",
            summary="deny the protest (notice of denial with reasons)",
            guards=(_BINDS,),
            inputs=(_DECIDED_ON,),
            effect=_decided("denied"),
        ),
        TransitionSpec(
            "request_accelerated_disposition", PENDING, "accelerated", Authority.FILER,
            citation="19 U.S.C. 1515(b); 19 CFR 174.22",
            summary="request accelerated disposition by certified or registered mail, with or "
                    "after the filing (deemed denied at the close of the 30th day after mailing)",
            guards=(Guard("90 days after filing where every entry is before 2004-12-18",
                          "19 U.S.C. 1515(b); 19 CFR 174.22(a)", _accelerated_request_allowed),),
            inputs=(LegalDate("mailed_on", "the day the request was mailed (certified or "
                              "registered mail)", citation="19 CFR 174.22(d)",
                              not_before=(data_bound("filed_on", "the filing of the protest"),)),),
            effect=lambda f: {"accelerated_requested_on": f.legal("mailed_on").isoformat()},
        ),
        TransitionSpec(
            "deem_denied", UNDECIDED, "denied", Authority.SYSTEM,
            citation="19 U.S.C. 1499(c)(5)(B), 1515(b); 19 CFR 174.21(b), 174.22(d)",
            summary="deemed denied on its legal day: the 30th day after filing an exclusion "
                    "protest, or the 30th after an accelerated-disposition request was mailed",
            guards=(Guard("the deemed-denial day reached", "19 U.S.C. 1499(c)(5)(B), 1515(b)",
                          _deemed_date_reached),),
            effect=_deemed,
        ),
        TransitionSpec(
            "deny_further_review", ("filed", "accepted"), STAY, Authority.CENTER,
            citation="19 U.S.C. 1515(a); 19 CFR 174.23, 174.27",
            summary="deny the application for further review (the protest is then decided "
                    "without it)",
            guards=(Guard("further review requested", "19 CFR 174.25",
                          _further_review_requested),),
            restarts_timers=True,
            effect=lambda f: {"further_review_denied_on": f.today.isoformat()},
        ),
        TransitionSpec(
            "void_denial", ("denied",), "accepted", Authority.CENTER,
            citation="19 U.S.C. 1515(d)",
            summary="void a denial made contrary to proper instructions, on CBP's initiative or "
                    "on the protestant's request within 90 days; the 2636 clock of the original "
                    "denial runs on",
            guards=(Guard("requested within 90 days of the denial", "19 U.S.C. 1515(d)",
                          _void_in_time),),
            inputs=(Input("on_request", "voided on the protestant's request (within 90 days)",
                          "bool", default=False),),
            effect=_voided,
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
