"""Liquidation of an entry: 19 U.S.C. 1500, 1501, 1504; 19 CFR Part 159 (REFERENCE.md §1).

One case per entry, opened when the entry is recorded. The liquidation deadline is 1 year from
entry (1504(a)), moved by extensions (1504(b), 159.12) and reset to 6 months after a suspension is
lifted (1504(d)); past it the entry is deemed liquidated by operation of law. Data dates are ISO.
The case also records the merchandise's presentation for examination and release, and its
deemed exclusion (1499(c)(5)(A)): states/liquidation_exclusion.py. Periods, guards and effects:
states/liquidation_rules.py.
"""

from __future__ import annotations

from cee_workflow.states.authority import Authority, Role
from cee_workflow.states.base import (
    STAY,
    Bound,
    Cascade,
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
from cee_workflow.states.liquidation_exclusion import DEEMED_EXCLUSION
from cee_workflow.states.liquidation_exclusion import TRANSITIONS as EXAMINATION
from cee_workflow.states.liquidation_rules import (
    EXTENSION_REASONS,
    HOLDS,
    LIFTED,
    LIQUIDATED,
    LIQUIDATION_TYPES,
    PSC_REVIEW,
    RELIQUIDATION_TYPES,
    REQUIRED_SUSPENSIONS,
    SUSPENSION,
    SUSPENSION_REASONS,
    auto_bulletin_day,
    auto_schedule_possible,
    bulletin_date_valid,
    bulletin_is_friday,
    bulletin_reached,
    effect_extended,
    effect_lifted,
    effect_liquidated,
    effect_recorded,
    effect_recorded_suspended,
    effect_reliquidated,
    effect_suspended,
    entry_not_in_future,
    extension_allowed,
    extension_timely,
    liquidation_period_over,
    no_open_psc,
    posting_valid,
    psc_open,
    required_reason,
    summary_review,
    suspension_recordable,
    voluntary_reliquidation_window,
    windows_closed,
    within_liquidation_period,
)
from cee_workflow.states.protest_parties import ISSUES, IssueList
from cee_workflow.states.reads import Reads

WITHIN_PERIOD = Guard("within liquidation period", "19 U.S.C. 1504(a)", within_liquidation_period)
NO_OPEN_PSC = Guard("no PSC in team review", PSC_REVIEW, no_open_psc)
# Liquidating by any path closes the entry's open PSCs in the same transaction (REFERENCE.md §3).
CLOSES_PSCS = (Cascade("psc", "close_on_liquidation"),)
BULLETIN_REACHED = Guard("bulletin date reached", "19 CFR 159.9(c)(1)", bulletin_reached)
POSTING = Guard("posted on or after the bulletin, within the period", "19 CFR 159.9(c)(1); "
                "19 U.S.C. 1504(a)", posting_valid)
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
                  (DEEMED_LIQUIDATION, AUTO_SCHEDULE, DEEMED_EXCLUSION)),
        StateSpec("extended", "liquidation extended (19 CFR 159.12)",
                  (DEEMED_LIQUIDATION, DEEMED_EXCLUSION)),
        StateSpec("suspended", "liquidation suspended; no clock runs (19 U.S.C. 1504(b))",
                  (DEEMED_EXCLUSION,)),
        StateSpec("scheduled", "set for a Friday bulletin",
                  (BULLETIN, DEEMED_LIQUIDATION, DEEMED_EXCLUSION)),
        StateSpec("liquidated", "liquidated (types 1, 2, 3, 6 auto, 7 deemed)",
                  (FINALIZATION, DEEMED_EXCLUSION)),
        StateSpec("reliquidated", "reliquidated (types 4, 5, 8)",
                  (FINALIZATION, DEEMED_EXCLUSION)),
        StateSpec("final", "protest and reliquidation windows closed", terminal=True),
    ),
    transitions=(
        TransitionSpec(
            "record_entry", ("new",), "unliquidated", Authority.JOINT,
            citation="19 U.S.C. 1504(a); 19 CFR 141.68",
            summary="record the entry; the 1-year liquidation period starts at the entry date",
            guards=(Guard("entry date not in the future", "19 CFR 141.68", entry_not_in_future),),
            effect=effect_recorded,
        ),
        TransitionSpec(
            "record_suspended_entry", ("new",), "suspended", Authority.JOINT,
            citation="19 U.S.C. 1504(a), (b); 19 CFR 141.68, 159.12(f)",
            summary="record an entry suspended by statute or court order from its entry date "
                    "(AD/CVD type 03 entries) or a later date",
            guards=(Guard("entry date not in the future", "19 CFR 141.68", entry_not_in_future),
                    Guard("a suspension required by statute or court order", SUSPENSION,
                          required_reason)),
            inputs=(Input("reason", "04/05 AD/CVD, 06 court order, 08 statute", "choice",
                          REQUIRED_SUSPENSIONS, required=True),
                    LegalDate("suspended_from", "the date the suspension began (default: the "
                              "entry date)", citation=SUSPENSION,
                              not_before=(Bound("the entry date",
                                                lambda f: f.entries[0].entry_date),))),
            effect=effect_recorded_suspended,
        ),
        TransitionSpec(
            "extend", ("unliquidated", "extended", "scheduled"), "extended", Authority.CENTER,
            citation="19 U.S.C. 1504(b); 19 CFR 159.12",
            summary="extend the liquidation period by 1 year (at most 3 times, 4 years in all)",
            guards=(Guard("notice or request before the period ends",
                          "19 CFR 159.12(a)(1)(ii), (b), (d)", extension_timely),
                    Guard("at most 3 extensions", "19 CFR 159.12(a), (e)", extension_allowed)),
            inputs=(Input("reason", "01 Customs, 02 importer request, 03 other", "choice",
                          EXTENSION_REASONS, required=True),
                    LegalDate("notice_on", "the date of CBP's notice of the extension to the "
                              "importer and surety", citation="19 CFR 159.12(b)",
                              not_before=(data_bound("entry_date", "the entry date"),)),
                    LegalDate("requested_on", "the date of the importer's written request "
                              "(reason 02)", citation="19 CFR 159.12(a)(1)(ii)",
                              not_before=(data_bound("entry_date", "the entry date"),))),
            effect=effect_extended,
            rearms=FOLLOWED_BY,
        ),
        TransitionSpec(
            "suspend", ("unliquidated", "extended", "scheduled"), "suspended", Authority.CENTER,
            citation="19 U.S.C. 1504(b); 19 CFR 159.12(f), (g)",
            summary="suspend liquidation as required by statute or court order (recorded at any "
                    "time while unliquidated, dated from when the suspension began)",
            guards=(Guard("suspension recordable", SUSPENSION, suspension_recordable),),
            inputs=(Input("reason", "04/05 AD/CVD, 06 court order, 07 actual use, 08 statute",
                          "choice", SUSPENSION_REASONS, required=True),
                    LegalDate("suspended_from", "the date the statute, court order or Commerce "
                              "instruction suspended liquidation", citation=SUSPENSION,
                              not_before=(data_bound("entry_date", "the entry date"),))),
            effect=effect_suspended,
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
            effect=effect_lifted,
            rearms=FOLLOWED_BY,
        ),
        TransitionSpec(
            "schedule", ("unliquidated", "extended"), "scheduled", Authority.CENTER,
            citation="19 CFR 159.9",
            summary="set the entry for a Friday liquidation bulletin",
            guards=(WITHIN_PERIOD,
                    Guard("a Friday within the period", "19 CFR 159.9", bulletin_date_valid)),
            inputs=(Input("date", "the Friday bulletin date", "date", required=True),),
            effect=lambda f: {"scheduled_for": f.inputs["date"]},
            rearms=FOLLOWED_BY,
        ),
        TransitionSpec(
            "auto_schedule", ("unliquidated",), "scheduled", Authority.SYSTEM,
            citation="ACE 314-day liquidation cycle (REFERENCE.md §1)",
            summary="schedule for the bulletin of the week 314 days from entry (Wednesday cut-off)",
            guards=(WITHIN_PERIOD, Guard("bulletin within the period", "19 U.S.C. 1504(a)",
                                         auto_schedule_possible)),
            effect=lambda f: {"scheduled_for": auto_bulletin_day(f).isoformat()},
            rearms=FOLLOWED_BY,
            # the guards and effect read the period's end and the entry date (states/reads.py):
            # the sweep decides its auto-schedules once per entry date
            reads=Reads(data=("liquidation_deadline", "entry_date")),
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
            effect=lambda f: effect_liquidated(f, f.legal("posted_on"), f.inputs["type"]),
            closes=CLOSES_PSCS,
            reads=LIQUIDATION_READS,
        ),
        TransitionSpec(
            "auto_liquidate", ("scheduled",), "liquidated", Authority.SYSTEM,
            citation="19 CFR 159.9(c)(1)",
            summary="post the liquidation on the scheduled bulletin (type 6, automatic)",
            guards=(WITHIN_PERIOD, BULLETIN_REACHED, NO_OPEN_PSC),
            effect=lambda f: effect_liquidated(f, iso(f.data["scheduled_for"]), "6"),
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
                    Guard("a PSC under review", PSC_REVIEW, psc_open)),
            inputs=(Input("reason", "why the entry liquidates over the open PSC",
                          required=True),
                    Input("type", "1 no change, 2 bill, 3 refund", "choice", LIQUIDATION_TYPES,
                          default="1"),
                    LegalDate("posted_on", "the date the liquidation was posted on the bulletin",
                              citation="19 CFR 159.9(c)(1)")),
            effect=lambda f: {**effect_liquidated(f, f.legal("posted_on"), f.inputs["type"]),
                              "liquidated_over_psc": list(f.entries[0].pscs_in_review),
                              "override_reason": f.inputs["reason"]},
            closes=CLOSES_PSCS,
        ),
        TransitionSpec(
            "start_summary_review", HOLDS + ("suspended",), STAY, Authority.CENTER,
            citation="19 CFR 101.9(b); ACE: \"PSC not allowed-under CBP Review\"",
            summary="open CBP review of the entry summary (no PSC may be filed meanwhile)",
            guards=(Guard("summary not under review", "19 CFR 101.9(b)",
                          summary_review(opening=True)),),
            effect=lambda f: {"summary_under_review": True,
                              "summary_review_started_on": f.today.isoformat()},
        ),
        TransitionSpec(
            "finish_summary_review", HOLDS + ("suspended",), STAY, Authority.CENTER,
            citation="19 CFR 101.9(b)",
            summary="close CBP review of the entry summary (PSCs may be filed again)",
            guards=(Guard("summary under review", "19 CFR 101.9(b)",
                          summary_review(opening=False)),),
            effect=lambda f: {"summary_under_review": False,
                              "summary_review_finished_on": f.today.isoformat()},
        ),
        TransitionSpec(
            "deem_liquidated", HOLDS, "liquidated", Authority.SYSTEM,
            citation="19 U.S.C. 1504(a), (d); 19 CFR 159.9(c)(2)(i)",
            summary="deemed liquidated at the entered rate, value and duties (type 7)",
            guards=(Guard("liquidation period over", "19 U.S.C. 1504(a)",
                          liquidation_period_over),),
            effect=lambda f: {**effect_liquidated(f, iso(f.data["liquidation_deadline"]), "7"),
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
                          "19 U.S.C. 1501", voluntary_reliquidation_window),),
            inputs=(Input("type", "4 bill, 5 refund, 8 no change", "choice", RELIQUIDATION_TYPES,
                          default="8"),
                    IssueList("issues", "what the reliquidation changes: "
                              f"{', '.join(ISSUES)} (comma-separated; a protest of it may raise "
                              "only these once the original period has run, 1514(d); 174.16; "
                              "an allowed protest gives its own)")),
            effect=effect_reliquidated,
        ),
        TransitionSpec(
            "finalize", LIQUIDATED, "final", Authority.SYSTEM,
            citation="19 U.S.C. 1514(a)",
            summary="final and conclusive: no protest filed in time and no reliquidation window",
            guards=(Guard("windows closed, no open protest", "19 U.S.C. 1514(a)",
                          windows_closed),),
            reads=Reads(data=("finality_date",), entries=("open_protests",)),
        ),
        *EXAMINATION,  # presentation for examination, release, deemed exclusion (1499(c)(5)(A))
    ),
)

# --- the Friday bulletin (bulk liquidation) ----------------------------------------------------

# The bulletin liquidates, by the center's `liquidate`, every entry scheduled for that Friday.
BULLETIN_TRIGGER = "liquidate"
# Checked once for the whole bulletin, on Facts whose data is {"scheduled_for": the bulletin
# day}, before any entry is touched; each entry's own guards then run as for a single liquidation.
BULLETIN_RUN_GUARDS = (
    Guard("a Friday bulletin", "19 CFR 159.9(c)(1)", bulletin_is_friday),
    Guard("bulletin date reached", "19 CFR 159.9(c)(1)", bulletin_reached),
)
