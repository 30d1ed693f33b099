"""Liquidation of an entry: 19 U.S.C. 1500, 1501, 1504; 19 CFR Part 159 (REFERENCE.md §1).

One case per entry, opened when the entry is recorded. The liquidation deadline is 1 year from
entry (1504(a)), moved by extensions (1504(b), 159.12) and reset to 6 months after a suspension is
lifted (1504(d)); past it the entry is deemed liquidated by operation of law. Data dates are ISO.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from cee_workflow.states.authority import Authority, Role
from cee_workflow.states.base import (
    STAY,
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
from cee_workflow.states.calendar import (
    add_period,
    auto_liquidation_date,
    bulletin_for,
    roll_forward,
)

HOLDS = ("unliquidated", "extended", "scheduled")  # not yet liquidated, clock running
LIQUIDATED = ("liquidated", "reliquidated")

EXTENSION_REASONS = ("01", "02", "03")  # 01 Customs, 02 Importer request, 03 Other
SUSPENSION_REASONS = ("04", "05", "06", "07", "08")  # 04/05 AD/CVD, 06 court, 07 use, 08 statute
LIQUIDATION_TYPES = ("1", "2", "3")  # 1 no change, 2 bill, 3 refund (6 auto, 7 deemed: SYSTEM)
RELIQUIDATION_TYPES = ("4", "5", "8")  # 4 bill, 5 refund, 8 no change
ADCVD_SUSPENSIONS = ("04", "05")
PSC_REVIEW = "19 CFR 101.9(b); REFERENCE.md §3 (a PSC under review escalates, never lost)"


def protest_period_days(entry_date: date | None, params) -> int:
    """Days to protest: 180, or 90 for an entry made before 2004-12-18 (19 CFR 174.12(e))."""
    if entry_date is not None and entry_date < params.protest_rules_cutover:
        return params.protest_period_days_before_cutover
    return params.protest_period_days


def protest_last_day(decided_on, params, entry_date: date | None = None) -> object:
    """Last day to protest a liquidation (or another decision): 180 days after it — 90 for an
    entry made before 2004-12-18 — rolled forward (1514(c)(3); 174.12(e); T.D. 53961)."""
    return roll_forward(decided_on + timedelta(days=protest_period_days(entry_date, params)))


def scheduled_liquidation(state: str, data: Mapping[str, Any]) -> date | None:
    """The date the entry is set to liquidate: the bulletin a center officer (or the ACE cycle)
    scheduled; else, once extended, the extended date; else the auto-liquidation date known
    from the day the entry was recorded. None while suspended or once liquidated."""
    if state not in HOLDS:
        return None
    if data.get("scheduled_for"):
        return iso(data["scheduled_for"])
    if state == "extended":
        return iso(data["liquidation_deadline"])
    auto = iso(data.get("auto_liquidation_date")) or auto_liquidation_date(
        iso(data["auto_liquidation_from"]), 0)
    lifted = iso(data.get("suspension_lifted_on"))  # the cycle resumes on the next bulletin
    return max(auto, bulletin_for(lifted)) if lifted else auto


# --- guards ----------------------------------------------------------------------------------


def _entry_not_in_future(f: Facts) -> str | None:
    entry_date = f.entries[0].entry_date
    if entry_date > f.today:
        return f"entry date {entry_date} is after today ({f.today}); record it on or after then"
    return None


def _within_liquidation_period(f: Facts) -> str | None:
    deadline = iso(f.data["liquidation_deadline"])
    if f.today > deadline:
        return (f"the liquidation period ended on {deadline}: the entry is deemed liquidated by "
                "operation of law; the scheduler records the deemed liquidation")
    return None


def _extension_allowed(f: Facts) -> str | None:
    count, p = f.data.get("extensions", 0), f.params
    if count >= p.max_extensions:
        return (f"the entry has been extended {count} times, the most allowed; "
                "liquidate it or let it be deemed liquidated")
    new_deadline = add_period(iso(f.data["liquidation_deadline"]), years=p.extension_years)
    limit = add_period(iso(f.data["entry_date"]), years=p.max_liquidation_years)
    if new_deadline > limit:
        return f"an extension to {new_deadline} would pass {limit}, 4 years from entry"
    return None


def _bulletin_date_valid(f: Facts) -> str | None:
    day = iso(f.inputs["date"])
    if day.weekday() != 4:
        return f"{day} is a {day:%A}; liquidations post on the Friday bulletin — pick a Friday"
    earliest = bulletin_for(f.today)
    if day < earliest:
        return (f"the bulletin of {day} has closed (items post on the Friday after a Wednesday "
                f"cut-off); the earliest open bulletin is {earliest}")
    deadline = iso(f.data["liquidation_deadline"])
    if day > deadline:
        return (f"{day} is after the liquidation deadline {deadline}; schedule a Friday on or "
                "before it, or extend the entry first")
    return None


def _auto_schedule_possible(f: Facts) -> str | None:
    day = _auto_bulletin(f)
    deadline = iso(f.data["liquidation_deadline"])
    if day > deadline:
        return f"the next bulletin ({day}) is after the liquidation deadline {deadline}"
    return None


def _bulletin_reached(f: Facts) -> str | None:
    day = iso(f.data["scheduled_for"])
    if f.today < day:
        return f"the entry is scheduled for the bulletin of {day}; it liquidates on that date"
    return None


def _no_open_psc(f: Facts) -> str | None:
    entry = f.entries[0]
    if entry.open_pscs:
        return (f"post-summary correction {', '.join(entry.open_pscs)} is under review on entry "
                f"{entry}; accept or reject its changes first, or have a supervisor liquidate "
                "over it (liquidate_over_psc with a reason)")
    return None


def _psc_open(f: Facts) -> str | None:
    if not f.entries[0].open_pscs:
        return "no post-summary correction is under review on this entry; use liquidate"
    return None


def _summary_review(opening: bool):
    def check(f: Facts) -> str | None:
        under = f.entries[0].summary_under_review
        if opening and under:
            return f"the summary of entry {f.entries[0]} is already under CBP review"
        if not opening and not under:
            return f"the summary of entry {f.entries[0]} is not under CBP review"
        return None
    return check


def _liquidation_period_over(f: Facts) -> str | None:
    deadline = iso(f.data["liquidation_deadline"])
    if f.today <= deadline:
        return f"the liquidation period runs until {deadline}; it is not over"
    return None


def _voluntary_reliquidation_window(f: Facts) -> str | None:
    if f.via:  # an allowed protest reliquidates at any time (19 CFR 173.2(d))
        return None
    original = iso(f.data["original_liquidated_on"])
    last = original + timedelta(days=f.params.voluntary_reliquidation_days)
    if f.today > last:
        return (f"voluntary reliquidation is allowed only within 90 days of the liquidation of "
                f"{original}, i.e. until {last}; the importer's remedy is a protest")
    return None


def _windows_closed(f: Facts) -> str | None:
    finality = iso(f.data["finality_date"])
    if f.today <= finality:
        return f"the protest and reliquidation windows run until {finality}"
    entry = f.entries[0]
    if entry.open_protests:
        return f"protest {', '.join(entry.open_protests)} is still open on this entry"
    return None


def _bulletin_is_friday(f: Facts) -> str | None:
    day = iso(f.data["scheduled_for"])
    if day.weekday() != 4:
        return f"{day} is a {day:%A}; liquidations post on the Friday bulletin — pick a Friday"
    return None


# --- effects ---------------------------------------------------------------------------------


def _auto_bulletin(f: Facts):
    due = iso(f.data["entry_date"]) + timedelta(days=f.params.auto_liquidation_days)
    return bulletin_for(max(due, f.today))


def _recorded(f: Facts) -> dict:
    entry_date = f.entries[0].entry_date
    p = f.params
    return {
        "entry_date": entry_date.isoformat(),
        "liquidation_deadline":
            add_period(entry_date, years=p.liquidation_period_years).isoformat(),
        "auto_liquidation_from":
            (entry_date + timedelta(days=p.auto_liquidation_days)).isoformat(),
        "auto_liquidation_date":
            auto_liquidation_date(entry_date, p.auto_liquidation_days).isoformat(),
        "extensions": 0,
    }


def _extended(f: Facts) -> dict:
    deadline = add_period(iso(f.data["liquidation_deadline"]), years=f.params.extension_years)
    return {
        "liquidation_deadline": deadline.isoformat(),
        "extensions": f.data.get("extensions", 0) + 1,
        "extension_reasons": [*f.data.get("extension_reasons", []), f.inputs["reason"]],
        "importer_requested_extension": f.data.get("importer_requested_extension", False)
        or f.inputs["reason"] == "02",
        "scheduled_for": None,
    }


def _suspended(f: Facts) -> dict:
    return {"suspension_reason": f.inputs["reason"], "suspended_on": f.today.isoformat(),
            "scheduled_for": None}


def _lifted(f: Facts) -> dict:
    deadline = add_period(f.today, months=f.params.after_suspension_months)
    return {"suspension_lifted_on": f.today.isoformat(),
            "liquidation_deadline": deadline.isoformat()}


def _liquidated(f: Facts, on, kind: str) -> dict:
    reliquidation_end = on + timedelta(days=f.params.voluntary_reliquidation_days)
    return {
        "liquidated_on": on.isoformat(),
        "original_liquidated_on": on.isoformat(),
        "liquidation_type": kind,
        "protest_deadline": protest_last_day(on, f.params).isoformat(),
        "finality_date": max(protest_last_day(on, f.params), reliquidation_end).isoformat(),
    }


def _reliquidated(f: Facts) -> dict:
    original = iso(f.data["original_liquidated_on"])
    reliquidation_end = original + timedelta(days=f.params.voluntary_reliquidation_days)
    protest_end = protest_last_day(f.today, f.params)  # a reliquidation opens a new 180 days
    return {
        "liquidated_on": f.today.isoformat(),
        "reliquidated_on": f.today.isoformat(),
        "liquidation_type": f.inputs["type"],
        "reliquidations": f.data.get("reliquidations", 0) + 1,
        "reliquidated_by": f.via,
        "protest_deadline": protest_end.isoformat(),
        "finality_date": max(protest_end, reliquidation_end).isoformat(),
    }


# --- the rulebook ----------------------------------------------------------------------------

WITHIN_PERIOD = Guard("within liquidation period", "19 U.S.C. 1504(a)", _within_liquidation_period)
NO_OPEN_PSC = Guard("no PSC under review", PSC_REVIEW, _no_open_psc)
BULLETIN_REACHED = Guard("bulletin date reached", "19 CFR 159.9(c)(1)", _bulletin_reached)
# A PSC follows its entry's scheduled liquidation: these re-arm its escalation timer.
FOLLOWED_BY = ("psc",)

DEEMED_LIQUIDATION = TimerSpec(
    name="deemed_liquidation",
    kind=TimerKind.LEGAL,
    anchor="liquidation_deadline",
    period=lambda p: Period(),
    action="deem_liquidated",
    citation="19 U.S.C. 1504(a), (b), (d); 19 CFR 159.9(c)(2)(i)",
    summary="not liquidated by the deadline: deemed liquidated by operation of law",
    warn_days=lambda p: p.deemed_liquidation_warning_days,
)
AUTO_SCHEDULE = TimerSpec(
    name="auto_liquidation_schedule",
    kind=TimerKind.PROCESS,
    anchor="entry_date",
    period=lambda p: Period(days=p.auto_liquidation_days),
    action="auto_schedule",
    fires="on",
    warn_days=lambda p: None,
    citation="ACE 314-day liquidation cycle (REFERENCE.md §1)",
    summary="schedule for the bulletin of the week 314 days from entry (Wednesday cut-off)",
)
BULLETIN = TimerSpec(
    name="bulletin_posting",
    kind=TimerKind.PROCESS,
    anchor="scheduled_for",
    period=lambda p: Period(),
    action="auto_liquidate",
    fires="on",
    warn_days=lambda p: None,
    citation="19 CFR 159.9(c)(1)",
    summary="post the liquidation on the scheduled Friday bulletin",
)
FINALIZATION = TimerSpec(
    name="finalization",
    kind=TimerKind.LEGAL,
    anchor="finality_date",
    period=lambda p: Period(),
    action="finalize",
    warn_days=lambda p: None,
    citation="19 U.S.C. 1514(a), (c)(3); 19 U.S.C. 1501",
    summary="protest and voluntary reliquidation windows closed: the liquidation is final",
)

LIQUIDATION = Lifecycle(
    kind="liquidation",
    prefix="LQ",
    summary="Liquidation of one entry (19 U.S.C. 1500, 1501, 1504; 19 CFR Part 159)",
    initial="new",
    opening="record_entry",
    states=(
        StateSpec("new", "not yet recorded"),
        StateSpec("unliquidated", "entry summary accepted; liquidation period running",
                  (DEEMED_LIQUIDATION, AUTO_SCHEDULE)),
        StateSpec("extended", "liquidation extended (19 CFR 159.12)", (DEEMED_LIQUIDATION,)),
        StateSpec("suspended", "liquidation suspended; no clock runs (19 U.S.C. 1504(b))"),
        StateSpec("scheduled", "set for a Friday bulletin", (BULLETIN, DEEMED_LIQUIDATION)),
        StateSpec("liquidated", "liquidated (types 1, 2, 3, 6 auto, 7 deemed)", (FINALIZATION,)),
        StateSpec("reliquidated", "reliquidated (types 4, 5, 8)", (FINALIZATION,)),
        StateSpec("final", "protest and reliquidation windows closed", terminal=True),
    ),
    transitions=(
        TransitionSpec(
            "record_entry", ("new",), "unliquidated", Authority.JOINT,
            citation="19 U.S.C. 1504(a); 19 CFR 141.68",
            summary="record the entry; the 1-year liquidation period starts at the entry date",
            guards=(Guard("entry date not in the future", "19 CFR 141.68", _entry_not_in_future),),
            effect=_recorded,
        ),
        TransitionSpec(
            "extend", ("unliquidated", "extended", "scheduled"), "extended", Authority.CENTER,
            citation="19 U.S.C. 1504(b); 19 CFR 159.12",
            summary="extend the liquidation period by 1 year (at most 3 times, 4 years in all)",
            guards=(WITHIN_PERIOD,
                    Guard("at most 3 extensions", "19 CFR 159.12(a), (e)", _extension_allowed)),
            inputs=(Input("reason", "01 Customs, 02 importer request, 03 other", "choice",
                          EXTENSION_REASONS, required=True),),
            effect=_extended,
            rearms=FOLLOWED_BY,
        ),
        TransitionSpec(
            "suspend", ("unliquidated", "extended", "scheduled"), "suspended", Authority.CENTER,
            citation="19 U.S.C. 1504(b); 19 CFR 159.12(g)",
            summary="suspend liquidation as required by statute or court order",
            guards=(WITHIN_PERIOD,),
            inputs=(Input("reason", "04/05 AD/CVD, 06 court order, 07 actual use, 08 statute",
                          "choice", SUSPENSION_REASONS, required=True),),
            effect=_suspended,
            rearms=FOLLOWED_BY,
        ),
        TransitionSpec(
            "lift_suspension", ("suspended",), "unliquidated", Authority.CENTER,
            citation="19 U.S.C. 1504(d)",
            summary="suspension removed: liquidate within 6 months or it is deemed liquidated",
            effect=_lifted,
            rearms=FOLLOWED_BY,
        ),
        TransitionSpec(
            "schedule", ("unliquidated", "extended"), "scheduled", Authority.CENTER,
            citation="19 CFR 159.9",
            summary="set the entry for a Friday liquidation bulletin",
            guards=(WITHIN_PERIOD,
                    Guard("a Friday within the period", "19 CFR 159.9", _bulletin_date_valid)),
            inputs=(Input("date", "the Friday bulletin date", "date", required=True),),
            effect=lambda f: {"scheduled_for": f.inputs["date"]},
            rearms=FOLLOWED_BY,
        ),
        TransitionSpec(
            "auto_schedule", ("unliquidated",), "scheduled", Authority.SYSTEM,
            citation="ACE 314-day liquidation cycle (REFERENCE.md §1)",
            summary="schedule for the bulletin of the week 314 days from entry (Wednesday cut-off)",
            guards=(WITHIN_PERIOD, Guard("bulletin within the period", "19 U.S.C. 1504(a)",
                                         _auto_schedule_possible)),
            effect=lambda f: {"scheduled_for": _auto_bulletin(f).isoformat()},
            rearms=FOLLOWED_BY,
        ),
        TransitionSpec(
            "liquidate", ("scheduled",), "liquidated", Authority.CENTER,
            citation="19 U.S.C. 1500; 19 CFR 159.1, 159.9(c)(1)",
            summary="liquidate on the bulletin (type 1 no change, 2 bill, 3 refund)",
            guards=(WITHIN_PERIOD, BULLETIN_REACHED, NO_OPEN_PSC),
            inputs=(Input("type", "1 no change, 2 bill, 3 refund", "choice", LIQUIDATION_TYPES,
                          default="1"),),
            effect=lambda f: _liquidated(f, iso(f.data["scheduled_for"]), f.inputs["type"]),
        ),
        TransitionSpec(
            "auto_liquidate", ("scheduled",), "liquidated", Authority.SYSTEM,
            citation="19 CFR 159.9(c)(1)",
            summary="post the liquidation on the scheduled bulletin (type 6, automatic)",
            guards=(WITHIN_PERIOD, BULLETIN_REACHED, NO_OPEN_PSC),
            effect=lambda f: _liquidated(f, iso(f.data["scheduled_for"]), "6"),
        ),
        TransitionSpec(
            "liquidate_over_psc", ("scheduled",), "liquidated", Authority.CENTER,
            role=Role.SUPERVISOR,
            citation="19 CFR 159.9(c)(1); " + PSC_REVIEW,
            summary="a supervisor liquidates on the bulletin although a PSC is under review, "
                    "with the reason recorded",
            guards=(WITHIN_PERIOD, BULLETIN_REACHED,
                    Guard("a PSC under review", PSC_REVIEW, _psc_open)),
            inputs=(Input("reason", "why the entry liquidates over the open PSC",
                          required=True),
                    Input("type", "1 no change, 2 bill, 3 refund", "choice", LIQUIDATION_TYPES,
                          default="1")),
            effect=lambda f: {**_liquidated(f, iso(f.data["scheduled_for"]), f.inputs["type"]),
                              "liquidated_over_psc": list(f.entries[0].open_pscs),
                              "override_reason": f.inputs["reason"]},
        ),
        TransitionSpec(
            "start_summary_review", HOLDS + ("suspended",), STAY, Authority.CENTER,
            citation="19 CFR 101.9(b); ACE: \"PSC not allowed-under CBP Review\"",
            summary="open CBP review of the entry summary (no PSC may be filed meanwhile)",
            guards=(Guard("summary not under review", "19 CFR 101.9(b)",
                          _summary_review(opening=True)),),
            effect=lambda f: {"summary_under_review": True,
                              "summary_review_started_on": f.today.isoformat()},
        ),
        TransitionSpec(
            "finish_summary_review", HOLDS + ("suspended",), STAY, Authority.CENTER,
            citation="19 CFR 101.9(b)",
            summary="close CBP review of the entry summary (PSCs may be filed again)",
            guards=(Guard("summary under review", "19 CFR 101.9(b)",
                          _summary_review(opening=False)),),
            effect=lambda f: {"summary_under_review": False,
                              "summary_review_finished_on": f.today.isoformat()},
        ),
        TransitionSpec(
            "deem_liquidated", HOLDS, "liquidated", Authority.SYSTEM,
            citation="19 U.S.C. 1504(a), (d); 19 CFR 159.9(c)(2)(i)",
            summary="deemed liquidated at the entered rate, value and duties (type 7)",
            guards=(Guard("liquidation period over", "19 U.S.C. 1504(a)",
                          _liquidation_period_over),),
            effect=lambda f: {**_liquidated(f, iso(f.data["liquidation_deadline"]), "7"),
                              "deemed": True},
        ),
        TransitionSpec(
            "reliquidate", LIQUIDATED, "reliquidated", Authority.CENTER,
            citation="19 U.S.C. 1501 (TFTEA §911); 19 CFR 173.2(d)",
            summary="reliquidate: voluntarily within 90 days of liquidation, or on an allowed "
                    "protest",
            guards=(Guard("within 90 days of liquidation, or an allowed protest",
                          "19 U.S.C. 1501", _voluntary_reliquidation_window),),
            inputs=(Input("type", "4 bill, 5 refund, 8 no change", "choice", RELIQUIDATION_TYPES,
                          default="8"),),
            effect=_reliquidated,
        ),
        TransitionSpec(
            "finalize", LIQUIDATED, "final", Authority.SYSTEM,
            citation="19 U.S.C. 1514(a)",
            summary="final and conclusive: no protest filed in time and no reliquidation window",
            guards=(Guard("windows closed, no open protest", "19 U.S.C. 1514(a)",
                          _windows_closed),),
        ),
    ),
)

# --- the Friday bulletin (bulk liquidation) ----------------------------------------------------

# The bulletin liquidates, by the center's `liquidate`, every entry scheduled for that Friday.
BULLETIN_TRIGGER = "liquidate"
# Checked once for the whole bulletin, on Facts whose data is {"scheduled_for": the bulletin
# day}, before any entry is touched; each entry's own guards then run as for a single liquidation.
BULLETIN_RUN_GUARDS = (
    Guard("a Friday bulletin", "19 CFR 159.9(c)(1)", _bulletin_is_friday),
    Guard("bulletin date reached", "19 CFR 159.9(c)(1)", _bulletin_reached),
)
