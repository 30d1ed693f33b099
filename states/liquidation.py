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
    Bound,
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
from cee_workflow.states.calendar import (
    add_period,
    bulletin_for,
    roll_forward,
)
from cee_workflow.states.protest_parties import ISSUES, IssueList
from cee_workflow.states.reads import Reads

HOLDS = ("unliquidated", "extended", "scheduled")  # not yet liquidated, clock running
LIQUIDATED = ("liquidated", "reliquidated")

EXTENSION_REASONS = ("01", "02", "03")  # 01 Customs, 02 Importer request, 03 Other
SUSPENSION_REASONS = ("04", "05", "06", "07", "08")  # 04/05 AD/CVD, 06 court, 07 use, 08 statute
# A suspension required by statute or court order exists from the date the law or the order
# imposes it, whether or not CBP has recorded it yet (19 U.S.C. 1504(a), (b); 19 CFR 159.12(f)):
# it may be recorded at any time while the entry is unliquidated, dated from then.
REQUIRED_SUSPENSIONS = ("04", "05", "06", "08")
SUSPENSION = "19 U.S.C. 1504(a), (b); 19 CFR 159.12(f)"
LIFTED = ("19 U.S.C. 1504(d); International Trading Co. v. United States, 412 F.3d 1303 "
          "(Fed. Cir. 2005)")
LIQUIDATION_TYPES = ("1", "2", "3")  # 1 no change, 2 bill, 3 refund (6 auto, 7 deemed: SYSTEM)
RELIQUIDATION_TYPES = ("4", "5", "8")  # 4 bill, 5 refund, 8 no change
ADCVD_SUSPENSIONS = ("04", "05")
PSC_REVIEW = "19 CFR 101.9(b); REFERENCE.md §3 (a PSC under review escalates, never lost)"


def protest_period_days(entry_date: date | None, params) -> int:
    """Days to protest: the dated series by entry date — 180, or 90 for an entry made before
    2004-12-18 (19 U.S.C. 1514(c)(3); 19 CFR 174.12(e); states/rules.py)."""
    return params.value("protest_period_days", entry_date).value


def protest_last_day(decided_on, params, entry_date: date | None = None) -> object:
    """Last day to protest a liquidation (or another decision): 180 days after it — 90 for an
    entry made before 2004-12-18 — rolled forward (1514(c)(3); 174.12(e); T.D. 53961)."""
    return roll_forward(decided_on + timedelta(days=protest_period_days(entry_date, params)))


def nth_deadline(entry_date: date, extensions: int, params) -> date:
    """The liquidation deadline after `extensions` extensions: entry date + (n+1) years, counted
    from the entry date itself so that a 29 February entry keeps 29 February in leap years
    (19 U.S.C. 1504(a), (b); 19 CFR 159.12(a)) — not year on year, which would drift to the
    28th for good."""
    return add_period(entry_date, years=params.liquidation_period_years
                      + extensions * params.extension_years)


def extended_deadline(data: Mapping[str, Any], params) -> date:
    """The deadline the next extension sets. Counted from the entry date (`nth_deadline`);
    after a lifted suspension the period runs from CBP's receipt of the notice (1504(d)), so an
    extension adds its year to that deadline (a reading: 1504(b) extends "the period")."""
    if data.get("suspension_lifted_on"):
        return add_period(iso(data["liquidation_deadline"]), years=params.extension_years)
    return nth_deadline(iso(data["entry_date"]), data.get("extensions", 0) + 1, params)


def auto_bulletin(entry_date: date, params, today: date) -> date:
    """The bulletin the ACE cycle sets the entry for: the bulletin of the week 314 days from
    entry (Wednesday cut-off), or of today if that day has passed (REFERENCE.md §1). The date
    recorded at entry and the date the auto-schedule picks are this one date."""
    due = entry_date + timedelta(days=params.auto_liquidation_days)
    return bulletin_for(max(due, today))


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
    auto = iso(data.get("auto_liquidation_date")) or bulletin_for(
        iso(data["auto_liquidation_from"]))
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


def _suspension_recordable(f: Facts) -> str | None:
    """A required suspension (04/05/06/08) may be recorded late, if it began before the entry
    was deemed liquidated; any other (07 actual use) only within the period, from today."""
    deadline = iso(f.data["liquidation_deadline"])
    start = f.legal("suspended_from")
    if f.inputs["reason"] in REQUIRED_SUSPENSIONS:
        if start > deadline:
            return (f"the suspension from {start} began after the liquidation period ended on "
                    f"{deadline}: the entry was deemed liquidated then (19 U.S.C. 1504(a))")
        return None
    if start != f.today:
        return (f"a suspension for reason {f.inputs['reason']} runs from the day it is recorded "
                f"({f.today}); only 04/05/06/08 (statute or court order) are dated back")
    return _within_liquidation_period(f)


def _required_reason(f: Facts) -> str | None:
    if f.inputs["reason"] not in REQUIRED_SUSPENSIONS:
        return "an entry is recorded suspended only by statute or court order (04/05/06/08)"
    return None


def _extension_timely(f: Facts) -> str | None:
    """A further CBP extension is valid only if its notice is dated before the running period
    ends; an importer's extension needs its written request made before then (19 CFR
    159.12(a)(1)(ii), (b), (d)). Recorded later, the timely act still extends the period."""
    deadline = iso(f.data["liquidation_deadline"])
    if f.inputs["reason"] == "02":
        requested = f.legal("requested_on")
        if requested > deadline:
            return (f"the importer's request of {requested} came after the liquidation period "
                    f"ended on {deadline}: the entry was deemed liquidated then")
    notice = f.legal("notice_on")
    if notice > deadline:
        return (f"an extension noticed on {notice} comes after the liquidation period ended on "
                f"{deadline}: without timely notice the entry was deemed liquidated then")
    return None


def _posting_valid(f: Facts) -> str | None:
    """The date of liquidation is the date it is posted (159.9(c)(1)): not before the bulletin,
    and within the liquidation period."""
    posted, bulletin = f.legal("posted_on"), iso(f.data["scheduled_for"])
    if posted < bulletin:
        return f"posted_on {posted} is before the bulletin of {bulletin}"
    deadline = iso(f.data["liquidation_deadline"])
    if posted > deadline:
        return (f"a posting on {posted} is after the liquidation period ended on {deadline}: "
                "the entry is deemed liquidated by operation of law")
    return None


def _extension_allowed(f: Facts) -> str | None:
    count, p = f.data.get("extensions", 0), f.params
    if count >= p.max_extensions:
        return (f"the entry has been extended {count} times, the most allowed; "
                "liquidate it or let it be deemed liquidated")
    new_deadline = extended_deadline(f.data, p)
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
    # Only a PSC in team review holds the bulletin: a validated PSC nobody reviews has replaced
    # the summary, and the entry liquidates on it (REFERENCE.md §3).
    entry = f.entries[0]
    if entry.pscs_in_review:
        return (f"post-summary correction {', '.join(entry.pscs_in_review)} is in team review on "
                f"entry "
                f"{entry}; accept or reject its changes first, or have a supervisor liquidate "
                "over it (liquidate_over_psc with a reason)")
    return None


def _psc_open(f: Facts) -> str | None:
    if not f.entries[0].pscs_in_review:
        return "no post-summary correction is in team review on this entry; use liquidate"
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
    return auto_bulletin(iso(f.data["entry_date"]), f.params, f.today)


def _recorded(f: Facts) -> dict:
    entry_date = f.entries[0].entry_date
    p = f.params
    return {
        "entry_date": entry_date.isoformat(),
        "liquidation_deadline":
            add_period(entry_date, years=p.liquidation_period_years).isoformat(),
        "auto_liquidation_from":
            (entry_date + timedelta(days=p.auto_liquidation_days)).isoformat(),
        "auto_liquidation_date": auto_bulletin(entry_date, p, f.today).isoformat(),
        "extensions": 0,
        "rules_applied": {"protest_period_days": p.applied("protest_period_days", entry_date)},
    }


def _extended(f: Facts) -> dict:
    deadline = extended_deadline(f.data, f.params)
    return {
        "liquidation_deadline": deadline.isoformat(),
        "extensions": f.data.get("extensions", 0) + 1,
        "extension_reasons": [*f.data.get("extension_reasons", []), f.inputs["reason"]],
        "importer_requested_extension": f.data.get("importer_requested_extension", False)
        or f.inputs["reason"] == "02",
        "scheduled_for": None,
        "extension_notices": [*f.data.get("extension_notices", []),
                              f.legal("notice_on").isoformat()],
        **({"importer_requested_on": f.legal("requested_on").isoformat()}
           if f.inputs["reason"] == "02" else {}),
    }


def _suspended(f: Facts) -> dict:
    return {"suspension_reason": f.inputs["reason"], "suspended_on": f.today.isoformat(),
            "suspended_from": f.legal("suspended_from").isoformat(), "scheduled_for": None}


def _recorded_suspended(f: Facts) -> dict:
    return {**_recorded(f), **_suspended(f),
            "suspended_from": (iso(f.inputs.get("suspended_from"))
                               or f.entries[0].entry_date).isoformat()}


def _lifted(f: Facts) -> dict:
    # 1504(d): 6 months from CBP's receipt of the notice of removal, not from the recording. A
    # lift recorded after those 6 months leaves a deadline in the past: the sweep deems the
    # entry liquidated as of that date, and an officer's liquidation after it is refused.
    notice = f.legal("notice_received_on")
    deadline = add_period(notice, months=f.params.after_suspension_months)
    return {"suspension_lifted_on": f.today.isoformat(),
            "notice_received_on": notice.isoformat(),
            "liquidation_deadline": deadline.isoformat(),
            "rules_applied": {"after_suspension_months": f.params.applied(
                "after_suspension_months", notice)}}


def _liquidated(f: Facts, on, kind: str) -> dict:
    reliquidation_end = on + timedelta(days=f.params.voluntary_reliquidation_days)
    entry_date = iso(f.data["entry_date"])
    protest_end = protest_last_day(on, f.params, entry_date)
    return {
        "liquidated_on": on.isoformat(),
        "original_liquidated_on": on.isoformat(),
        "liquidation_type": kind,
        "protest_deadline": protest_end.isoformat(),
        "finality_date": max(protest_end, reliquidation_end).isoformat(),
        "rules_applied": {"protest_period_days": f.params.applied("protest_period_days",
                                                                  entry_date)},
    }


def _reliquidated(f: Facts) -> dict:
    original = iso(f.data["original_liquidated_on"])
    reliquidation_end = original + timedelta(days=f.params.voluntary_reliquidation_days)
    # A reliquidation opens a new protest period (180 days; 90 for entries before 2004-12-18).
    protest_end = protest_last_day(f.today, f.params, iso(f.data["entry_date"]))
    return {
        "liquidated_on": f.today.isoformat(),
        "reliquidated_on": f.today.isoformat(),
        "liquidation_type": f.inputs["type"],
        "reliquidations": f.data.get("reliquidations", 0) + 1,
        "reliquidated_by": f.via,
        # What this reliquidation changed, when said (1514(d); 174.16); None: not recorded, so
        # a protest of it may raise any question.
        "reliquidated_issues": f.inputs.get("issues"),
        "protest_deadline": protest_end.isoformat(),
        "finality_date": max(protest_end, reliquidation_end).isoformat(),
    }


# --- the rulebook ----------------------------------------------------------------------------

WITHIN_PERIOD = Guard("within liquidation period", "19 U.S.C. 1504(a)", _within_liquidation_period)
NO_OPEN_PSC = Guard("no PSC in team review", PSC_REVIEW, _no_open_psc)
# Liquidating by any path closes the entry's open PSCs in the same transaction (REFERENCE.md §3).
CLOSES_PSCS = (Cascade("psc", "close_on_liquidation"),)
BULLETIN_REACHED = Guard("bulletin date reached", "19 CFR 159.9(c)(1)", _bulletin_reached)
POSTING = Guard("posted on or after the bulletin, within the period", "19 CFR 159.9(c)(1); "
                "19 U.S.C. 1504(a)", _posting_valid)
# A PSC follows its entry's scheduled liquidation: these re-arm its escalation timer.
FOLLOWED_BY = ("psc",)
# What a liquidation's guards and effect read of the case (states/reads.py): the bulletin, the
# liquidation deadline, the entry date (the protest period depends on it, 1514(c)(3)) and
# whether a PSC is in team review on the entry.
LIQUIDATION_READS = Reads(data=("scheduled_for", "liquidation_deadline", "entry_date"),
                          entries=("pscs_in_review",))

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
            "record_suspended_entry", ("new",), "suspended", Authority.JOINT,
            citation="19 U.S.C. 1504(a), (b); 19 CFR 141.68, 159.12(f)",
            summary="record an entry suspended by statute or court order from its entry date "
                    "(AD/CVD type 03 entries) or a later date",
            guards=(Guard("entry date not in the future", "19 CFR 141.68", _entry_not_in_future),
                    Guard("a suspension required by statute or court order", SUSPENSION,
                          _required_reason)),
            inputs=(Input("reason", "04/05 AD/CVD, 06 court order, 08 statute", "choice",
                          REQUIRED_SUSPENSIONS, required=True),
                    LegalDate("suspended_from", "the date the suspension began (default: the "
                              "entry date)", citation=SUSPENSION,
                              not_before=(Bound("the entry date",
                                                lambda f: f.entries[0].entry_date),))),
            effect=_recorded_suspended,
        ),
        TransitionSpec(
            "extend", ("unliquidated", "extended", "scheduled"), "extended", Authority.CENTER,
            citation="19 U.S.C. 1504(b); 19 CFR 159.12",
            summary="extend the liquidation period by 1 year (at most 3 times, 4 years in all)",
            guards=(Guard("notice or request before the period ends",
                          "19 CFR 159.12(a)(1)(ii), (b), (d)", _extension_timely),
                    Guard("at most 3 extensions", "19 CFR 159.12(a), (e)", _extension_allowed)),
            inputs=(Input("reason", "01 Customs, 02 importer request, 03 other", "choice",
                          EXTENSION_REASONS, required=True),
                    LegalDate("notice_on", "the date of CBP's notice of the extension to the "
                              "importer and surety", citation="19 CFR 159.12(b)",
                              not_before=(data_bound("entry_date", "the entry date"),)),
                    LegalDate("requested_on", "the date of the importer's written request "
                              "(reason 02)", citation="19 CFR 159.12(a)(1)(ii)",
                              not_before=(data_bound("entry_date", "the entry date"),))),
            effect=_extended,
            rearms=FOLLOWED_BY,
        ),
        TransitionSpec(
            "suspend", ("unliquidated", "extended", "scheduled"), "suspended", Authority.CENTER,
            citation="19 U.S.C. 1504(b); 19 CFR 159.12(f), (g)",
            summary="suspend liquidation as required by statute or court order (recorded at any "
                    "time while unliquidated, dated from when the suspension began)",
            guards=(Guard("suspension recordable", SUSPENSION, _suspension_recordable),),
            inputs=(Input("reason", "04/05 AD/CVD, 06 court order, 07 actual use, 08 statute",
                          "choice", SUSPENSION_REASONS, required=True),
                    LegalDate("suspended_from", "the date the statute, court order or Commerce "
                              "instruction suspended liquidation", citation=SUSPENSION,
                              not_before=(data_bound("entry_date", "the entry date"),))),
            effect=_suspended,
            rearms=FOLLOWED_BY,
        ),
        TransitionSpec(
            "lift_suspension", ("suspended",), "unliquidated", Authority.CENTER,
            citation=LIFTED,
            summary="suspension removed: liquidate within 6 months of CBP's receipt of the "
                    "notice, or it is deemed liquidated",
            inputs=(LegalDate("notice_received_on", "the date CBP received the notice of removal "
                              "from Commerce, another agency or a court", required=True,
                              citation=LIFTED,
                              not_before=(data_bound("suspended_from", "the suspension"),)),),
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
            guards=(BULLETIN_REACHED, POSTING, NO_OPEN_PSC),
            inputs=(Input("type", "1 no change, 2 bill, 3 refund", "choice", LIQUIDATION_TYPES,
                          default="1"),
                    LegalDate("posted_on", "the date the liquidation was posted on the bulletin",
                              citation="19 CFR 159.9(c)(1)")),
            effect=lambda f: _liquidated(f, f.legal("posted_on"), f.inputs["type"]),
            closes=CLOSES_PSCS,
            reads=LIQUIDATION_READS,
        ),
        TransitionSpec(
            "auto_liquidate", ("scheduled",), "liquidated", Authority.SYSTEM,
            citation="19 CFR 159.9(c)(1)",
            summary="post the liquidation on the scheduled bulletin (type 6, automatic)",
            guards=(WITHIN_PERIOD, BULLETIN_REACHED, NO_OPEN_PSC),
            effect=lambda f: _liquidated(f, iso(f.data["scheduled_for"]), "6"),
            closes=CLOSES_PSCS,
            reads=LIQUIDATION_READS,
        ),
        TransitionSpec(
            "liquidate_over_psc", ("scheduled",), "liquidated", Authority.CENTER,
            role=Role.SUPERVISOR,
            citation="19 CFR 159.9(c)(1); " + PSC_REVIEW,
            summary="a supervisor liquidates on the bulletin although a PSC is under review, "
                    "with the reason recorded",
            guards=(BULLETIN_REACHED, POSTING,
                    Guard("a PSC under review", PSC_REVIEW, _psc_open)),
            inputs=(Input("reason", "why the entry liquidates over the open PSC",
                          required=True),
                    Input("type", "1 no change, 2 bill, 3 refund", "choice", LIQUIDATION_TYPES,
                          default="1"),
                    LegalDate("posted_on", "the date the liquidation was posted on the bulletin",
                              citation="19 CFR 159.9(c)(1)")),
            effect=lambda f: {**_liquidated(f, f.legal("posted_on"), f.inputs["type"]),
                              "liquidated_over_psc": list(f.entries[0].pscs_in_review),
                              "override_reason": f.inputs["reason"]},
            closes=CLOSES_PSCS,
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
            closes=CLOSES_PSCS,
            reads=Reads(data=("liquidation_deadline", "entry_date")),
        ),
        TransitionSpec(
            "reliquidate", LIQUIDATED, "reliquidated", Authority.CENTER,
            citation="19 U.S.C. 1501 (TFTEA §911); 19 CFR 173.2(d)",
            summary="reliquidate: voluntarily within 90 days of liquidation, or on an allowed "
                    "protest",
            guards=(Guard("within 90 days of liquidation, or an allowed protest",
                          "19 U.S.C. 1501", _voluntary_reliquidation_window),),
            inputs=(Input("type", "4 bill, 5 refund, 8 no change", "choice", RELIQUIDATION_TYPES,
                          default="8"),
                    IssueList("issues", "what the reliquidation changes: "
                              f"{', '.join(ISSUES)} (comma-separated; a protest of it may raise "
                              "only these once the original period has run, 1514(d); 174.16; "
                              "an allowed protest gives its own)")),
            effect=_reliquidated,
        ),
        TransitionSpec(
            "finalize", LIQUIDATED, "final", Authority.SYSTEM,
            citation="19 U.S.C. 1514(a)",
            summary="final and conclusive: no protest filed in time and no reliquidation window",
            guards=(Guard("windows closed, no open protest", "19 U.S.C. 1514(a)",
                          _windows_closed),),
            reads=Reads(data=("finality_date",), entries=("open_protests",)),
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
