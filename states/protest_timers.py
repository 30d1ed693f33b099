"""Protest timers: the deadlines a protest's states arm, each with its rule (REFERENCE.md §2), and
the dates they count from that follow other cases or older records (`timer_data`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cee_workflow.states.base import EntryFacts, Period, TimerKind, TimerSpec
from cee_workflow.states.params import RuleParams
from cee_workflow.states.protest_guards import ACCELERATED_RULE, EXCLUSION_RULE, protested
from cee_workflow.states.protest_parties import review_from


def timer_data(data: Mapping[str, Any], entries: tuple[EntryFacts, ...], params: RuleParams
                ) -> dict[str, Any]:
    """The dates the protest's timers count from that follow other cases or older records:
    the 2 years from the last consolidated filing (174.21(a)), the further-review 30 days from
    the application's own date (filed with the protest when recorded before it was dated). (The
    summons window of a denial recorded before `summons_from` reads `denied_on`: its
    `anchor_before`.)"""
    last = review_from(data, entries)
    timers = {"review_from": last.isoformat() if last else data.get("filed_on")}
    if data.get("further_review"):
        timers["further_review_from"] = data.get("further_review_filed_on") or data.get(
            "filed_on")
    return timers



DECISION_LIMIT = TimerSpec(
    name="decision_limit",
    kind=TimerKind.LEGAL,
    anchor="review_from",  # the last filing of a consolidated protest (174.21(a))
    period=lambda p: Period(years=p.protest_decision_years),
    citation="19 CFR 174.21(a), 174.15; Hitachi Home Elecs. v. United States (Fed. Cir. 2011)",
    summary="2 years from filing (from the last filing of consolidated protests): escalate "
            "(directory — a late decision is not deemed allowed)",
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
    anchor="further_review_from",  # the application's own date (with the protest: its filing)
    period=lambda p: Period(days=p.further_review_decision_days),
    citation="19 U.S.C. 1515(a); 19 CFR 174.23",
    summary="application for further review not allowed or denied within 30 days of its "
            "filing: escalate",
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

