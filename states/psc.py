"""Post-summary correction (PSC) of one unliquidated entry: 19 CFR 101.9(b) (REFERENCE.md §3).

A PSC replaces the whole entry summary. The filer may file one while the entry is unliquidated
and its summary is not under CBP review, within 300 days of entry and at least 15 days before the
scheduled liquidation date, whichever is earlier (82 FR 50656, 2017). An entry extended at the
importer's request takes a PSC up to 15 days before the extended liquidation date instead (84 FR
40430, 2019 — read here as replacing both limits, see RuleParams); an entry whose liquidation is
suspended for AD/CVD is exempt from the 300 days. ACE validates or rejects it (SYSTEM, by the
scheduler); the center may take it into team review and accepts or rejects its changes. Each
accepted PSC raises the summary's version. A PSC still open as its entry's liquidation nears
escalates to the owning office; it blocks the entry's liquidation (states/liquidation.py) unless
a supervisor overrides — it is never silently lost.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from cee_workflow.states.authority import Authority
from cee_workflow.states.base import (
    EntryFacts,
    Facts,
    Guard,
    Input,
    Lifecycle,
    Period,
    StateSpec,
    TimerKind,
    TimerSpec,
    TransitionSpec,
)
from cee_workflow.states.liquidation_rules import HOLDS
from cee_workflow.states.params import RuleParams

OPEN = ("filed", "validated", "team_review")  # filed and not yet resolved
# Only a PSC in the center's team review holds its entry's liquidation: team review is optional,
# and a validated PSC nobody reviews has replaced the summary already (REFERENCE.md §3).
HOLDING = ("team_review",)
CLOSED_BY_LIQUIDATION = ("19 CFR 101.9(b); REFERENCE.md §3: no PSC stays open once its entry "
                         "liquidates — the remedy is a protest (19 U.S.C. 1514(a)(5))")
WINDOW = "19 CFR 101.9(b); 82 FR 50656 (2017)"
EXTENDED_WINDOW = "19 CFR 101.9(b); 84 FR 40430 (2019)"
UNDER_CBP_REVIEW = "19 CFR 101.9(b); ACE: \"PSC not allowed-under CBP Review\""


# --- the filing window -----------------------------------------------------------------------


def filing_limit(entry: EntryFacts, params: RuleParams, filed_on: date | None = None
                 ) -> tuple[date | None, str, str]:
    """(last day a PSC may be filed, which limit sets it, its rule) for `entry`, by the window
    in force on `filed_on` (270/20 days before 82 FR 50656 of 2017-11-01, 300/15 from then).

    The last day is None when no limit runs: an AD/CVD-suspended entry has no 300 days and, while
    suspended, no liquidation date to count back from.
    """
    from_entry = params.value("psc_days_from_entry", filed_on)
    before = params.value("psc_days_before_liquidation", filed_on)
    window = WINDOW if from_entry.value == 300 else f"19 CFR 101.9(b); {from_entry.source}"
    if entry.importer_extended:
        if entry.scheduled_liquidation is None:
            return None, "no liquidation date while suspended", EXTENDED_WINDOW
        days = params.value("psc_days_before_extended_liquidation", filed_on).value
        last = entry.scheduled_liquidation - timedelta(days=days)
        if entry.scheduled_liquidation == entry.liquidation_deadline:
            which = (f"{days} days before the extended liquidation date "
                     f"{entry.scheduled_liquidation}")
        else:  # a center officer set the extended entry for an earlier bulletin
            which = (f"{days} days before the scheduled liquidation date "
                     f"{entry.scheduled_liquidation} of an entry extended at the importer's "
                     "request")
        return last, which, EXTENDED_WINDOW
    limits = []
    if not entry.adcvd_suspended:
        limits.append((entry.entry_date + timedelta(days=from_entry.value),
                       f"{from_entry.value} days from the entry date {entry.entry_date}"))
    if entry.scheduled_liquidation is not None:
        limits.append((entry.scheduled_liquidation - timedelta(days=before.value),
                       f"{before.value} days before the scheduled liquidation date "
                       f"{entry.scheduled_liquidation}"))
    if not limits:
        return None, "none: AD/CVD-suspended (exempt from the 300 days), no liquidation date", \
            window
    last, which = min(limits)  # whichever is earlier
    return last, which, window


def _within(rule: str):
    def check(f: Facts) -> str | None:
        entry = f.entries[0]
        last, which, applies = filing_limit(entry, f.params, f.today)
        if (applies == EXTENDED_WINDOW) != (rule == EXTENDED_WINDOW) or last is None \
                or f.today <= last:
            return None
        return (f"a PSC on entry {entry} could be filed until {last} ({which}); today is "
                f"{f.today} — after liquidation, the remedy is a protest")
    return check


# --- guards ----------------------------------------------------------------------------------


def _entry_unliquidated(f: Facts) -> str | None:
    entry = f.entries[0]
    if entry.liquidation_state not in (*HOLDS, "suspended"):
        return (f"entry {entry} is {entry.liquidation_state}: a PSC corrects an unliquidated "
                "summary — after liquidation, file a protest")
    return None


def _summary_not_under_review(f: Facts) -> str | None:
    entry = f.entries[0]
    if entry.summary_under_review:
        return (f"PSC not allowed: the summary of entry {entry} is under CBP review; file once "
                "the center has finished its review")
    return None


def _no_other_psc(f: Facts) -> str | None:
    entry = f.entries[0]
    if entry.open_pscs:
        return (f"PSC {', '.join(entry.open_pscs)} is still under review on entry {entry}; a PSC "
                "replaces the whole summary — withdraw it or wait for its decision")
    return None


def _validation_problem(f: Facts) -> str | None:
    """Why ACE rejects the PSC at validation (the entry changed since filing), or None."""
    return _entry_unliquidated(f) or _summary_not_under_review(f)


def _fails_validation(f: Facts) -> str | None:
    if _validation_problem(f) is None:
        return "the PSC passes validation; it is validated, not rejected"
    return None


def _changes_acceptable(f: Facts) -> str | None:
    entry = f.entries[0]
    if entry.liquidation_state not in (*HOLDS, "suspended"):
        return (f"entry {entry} has liquidated ({entry.liquidation_state}); its summary can no "
                "longer be replaced — reject the changes (the importer may protest)")
    return None


UNLIQUIDATED = Guard("entry not liquidated", "19 CFR 101.9(b)", _entry_unliquidated)
NOT_UNDER_REVIEW = Guard("summary not under CBP review", UNDER_CBP_REVIEW,
                         _summary_not_under_review)


# --- effects ---------------------------------------------------------------------------------


def _service_level(f: Facts) -> str:
    return "partnership" if f.division == "partnership" else "validation"


def _filed(f: Facts) -> dict[str, Any]:
    entry = f.entries[0]
    last, which, rule = filing_limit(entry, f.params, f.today)
    scheduled = entry.scheduled_liquidation
    return {
        "filed_on": f.today.isoformat(),
        "reason": f.inputs.get("reason"),
        "importer": entry.importer,
        "entry_date": entry.entry_date.isoformat(),
        "corrects_version": entry.summary_version,  # the summary version the PSC replaces
        "scheduled_liquidation": scheduled.isoformat() if scheduled else None,
        "filing_limit": which,
        "last_permitted_day": last.isoformat() if last else None,
        "limit_rule": rule,
        "service_level": _service_level(f),
        "rules_applied": {name: f.params.applied(name, f.today) for name in (
            "psc_days_from_entry", "psc_days_before_liquidation",
            "psc_days_before_extended_liquidation")},
    }


def _review_started(f: Facts) -> dict[str, Any]:
    p = f.params
    days = (p.psc_team_review_days_partnership if f.data.get("service_level") == "partnership"
            else p.psc_team_review_days)
    return {"review_started_on": f.today.isoformat(),
            "review_due_on": (f.today + timedelta(days=days)).isoformat()}


def _validated(f: Facts) -> dict[str, Any]:
    # The validated PSC has replaced the summary: its version is the one that liquidates.
    return {"validated_on": f.today.isoformat(),
            "summary_version": f.entries[0].summary_version + 1}


def _accepted(f: Facts) -> dict[str, Any]:
    return {"decided_on": f.today.isoformat(), "decision": "accepted"}


def liquidation_lead(data: Mapping[str, Any], entries: tuple[EntryFacts, ...],
                     params: RuleParams) -> dict[str, Any]:
    """The escalation date of an open PSC: its service level's lead time before the date its
    entry is set to liquidate now (it follows rescheduling and extensions)."""
    scheduled = entries[0].scheduled_liquidation if entries else None
    # No deemed-liquidation date runs while the entry is suspended (19 U.S.C. 1504(b)).
    deadline = (entries[0].liquidation_deadline
                if entries and entries[0].liquidation_state in HOLDS else None)
    deemed = {"deemed_escalate_on": (deadline - timedelta(
        days=params.psc_deemed_liquidation_lead_days)).isoformat() if deadline else None}
    if scheduled is None:
        return {"escalate_on": None, **deemed}
    lead = (params.psc_liquidation_lead_days_partnership
            if data.get("service_level") == "partnership" else params.psc_liquidation_lead_days)
    return {"escalate_on": (scheduled - timedelta(days=lead)).isoformat(), **deemed}


# --- the rulebook ----------------------------------------------------------------------------

VALIDATION = TimerSpec(
    name="validation",
    kind=TimerKind.PROCESS,
    anchor="filed_on",
    period=lambda p: Period(),
    action="validate",
    otherwise="reject",
    fires="on",
    warn_days=lambda p: None,
    citation="ACE entry summary validation (REFERENCE.md §3)",
    summary="ACE validates the PSC at once, or rejects it if the entry changed meanwhile",
)
LIQUIDATION_LEAD = TimerSpec(
    name="liquidation_lead",
    kind=TimerKind.SERVICE,
    anchor="escalate_on",
    period=lambda p: Period(),
    fires="on",
    citation="service level (RuleParams.psc_liquidation_lead_days); REFERENCE.md §3",
    summary="still open a lead time before the entry's scheduled liquidation: escalate",
)
DEEMED_LEAD = TimerSpec(
    name="deemed_liquidation_lead",
    kind=TimerKind.SERVICE,
    anchor="deemed_escalate_on",
    period=lambda p: Period(),
    fires="on",
    citation="19 U.S.C. 1504(a); REFERENCE.md §3 (a PSC in review never lapses silently into "
             "a deemed liquidation); RuleParams.psc_deemed_liquidation_lead_days",
    summary="still in team review a lead time before the entry's deemed-liquidation date: to a "
            "supervisor, then the director before that date",
)
TEAM_REVIEW = TimerSpec(
    name="team_review",
    kind=TimerKind.SERVICE,
    anchor="review_due_on",
    period=lambda p: Period(),
    citation="service level (RuleParams.psc_team_review_days)",
    summary="team review undecided within the service level: escalate",
)

_RESOLVES = ("liquidation",)  # a resolved PSC no longer blocks its entry's bulletin posting

PSC = Lifecycle(
    kind="psc",
    prefix="PS",
    summary="Post-summary correction of one unliquidated entry (19 CFR 101.9(b))",
    initial="new",
    opening="file",
    min_entries=1,
    max_entries=1,
    timer_data=liquidation_lead,
    states=(
        StateSpec("new", "not yet filed"),
        StateSpec("filed", "filed by the filer; awaiting ACE validation", (VALIDATION,)),
        StateSpec("validated", "validated by ACE: it has replaced the summary (version raised); "
                               "the center may take it into team review"),
        StateSpec("team_review", "in the center's team review: holds the entry's liquidation",
                  (LIQUIDATION_LEAD, DEEMED_LEAD, TEAM_REVIEW)),
        StateSpec("rejected", "rejected by ACE at validation", terminal=True),
        StateSpec("accepted", "changes accepted: the summary's version went up", terminal=True),
        StateSpec("changes_rejected", "changes rejected by the center", terminal=True),
        StateSpec("withdrawn", "withdrawn by the filer", terminal=True),
        StateSpec("closed_by_liquidation", "closed when its entry liquidated; the remedy is a "
                                           "protest", terminal=True),
    ),
    transitions=(
        TransitionSpec(
            "file", ("new",), "filed", Authority.FILER,
            citation=WINDOW,
            summary="file a PSC: unliquidated, not under CBP review, within 300 days of entry "
                    "and 15 days before the scheduled (or extended) liquidation date",
            guards=(
                UNLIQUIDATED,
                NOT_UNDER_REVIEW,
                Guard("one PSC at a time", "19 CFR 101.9(b); REFERENCE.md §3", _no_other_psc),
                Guard("within 300 days and 15 days before liquidation", WINDOW, _within(WINDOW)),
                Guard("15 days before the extended liquidation", EXTENDED_WINDOW,
                      _within(EXTENDED_WINDOW)),
            ),
            inputs=(Input("reason", "what the correction changes"),),
            effect=_filed,
        ),
        TransitionSpec(
            "validate", ("filed",), "validated", Authority.SYSTEM,
            citation="19 CFR 101.9(b); ACE entry summary validation",
            summary="ACE validates the PSC: it replaces the summary, whose version goes up",
            guards=(UNLIQUIDATED, NOT_UNDER_REVIEW),
            effect=_validated,
            raises_summary_version=True,
        ),
        TransitionSpec(
            "reject", ("filed",), "rejected", Authority.SYSTEM,
            citation="19 CFR 101.9(b); ACE entry summary validation",
            summary="ACE rejects the PSC: the entry liquidated or came under CBP review",
            guards=(Guard("fails validation", "19 CFR 101.9(b)", _fails_validation),),
            effect=lambda f: {"rejected_on": f.today.isoformat(),
                              "rejection": _validation_problem(f)},
            rearms=_RESOLVES,
        ),
        TransitionSpec(
            "take_into_review", ("validated",), "team_review", Authority.CENTER,
            citation="19 CFR 101.9(b); ACE team review",
            summary="take the PSC into the center's team review",
            effect=_review_started,
        ),
        TransitionSpec(
            "accept_changes", ("team_review",), "accepted", Authority.CENTER,
            citation="19 CFR 101.9(b)",
            summary="accept the changes the validated PSC made to the summary",
            guards=(Guard("entry not liquidated", "19 CFR 101.9(b)", _changes_acceptable),),
            effect=_accepted,
            rearms=_RESOLVES,
        ),
        TransitionSpec(
            "reject_changes", ("team_review",), "changes_rejected", Authority.CENTER,
            citation="19 CFR 101.9(b)",
            summary="reject the changes: the summary stays as it was",
            inputs=(Input("reason", "why the changes are rejected"),),
            effect=lambda f: {"decided_on": f.today.isoformat(), "decision": "rejected",
                              "rejection": f.inputs.get("reason")},
            rearms=_RESOLVES,
        ),
        TransitionSpec(
            "withdraw", OPEN, "withdrawn", Authority.FILER,
            citation="19 CFR 101.9(b)",
            summary="withdraw the PSC",
            effect=lambda f: {"withdrawn_on": f.today.isoformat()},
            rearms=_RESOLVES,
        ),
        TransitionSpec(
            "close_on_liquidation", OPEN, "closed_by_liquidation", Authority.SYSTEM,
            citation=CLOSED_BY_LIQUIDATION,
            summary="the entry liquidated (by any path): the PSC closes; the remedy is a protest",
            effect=lambda f: {"closed_on": f.today.isoformat(), "closed_by": f.via,
                              "remedy": "protest after liquidation (19 U.S.C. 1514(a)(5))"},
        ),
    ),
)
