"""Protest: 19 U.S.C. 1514–1515; 19 CFR Part 174 (REFERENCE.md §2).

A protest names the decision it protests (1514(a)) and is filed within 180 days after it (the
latest liquidation or reliquidation of each entry, or the decision's own date; 90 days for
entries before 2004-12-18; a surety's from the demand on its bond), day 1 being the day after, a
last day on a weekend or holiday rolling to the next business day (T.D. 53961). One protest per
entry and category; another party's is consolidated with it (174.15). The center decides; the
2-year limit (from the last consolidated filing) is directory (Hitachi, Fed. Cir. 2011): it
escalates, it never decides. Exclusion protests and accelerated-disposition requests are deemed
denied after 30 days, and deemed denials bind (1515(c)).

Guards: states/protest_guards.py; effects: states/protest_effects.py; protestants, categories
and scope: states/protest_parties.py.
"""

from __future__ import annotations

from typing import Any

from cee_workflow.states.authority import Authority
from cee_workflow.states.base import (
    STAY,
    Bound,
    Cascade,
    Guard,
    Input,
    LegalDate,
    Lifecycle,
    StateSpec,
    TransitionSpec,
    data_bound,
)
from cee_workflow.states.protest_effects import (
    RELIQUIDATION_TYPES,
    amended,
    applied_further_review,
    decided,
    deemed,
    filed,
    set_aside,
    voided,
)
from cee_workflow.states.protest_guards import (
    DECISIONS,
    OF_LIQUIDATION,
    RESOLVED,
    accelerated_request_allowed,
    amend_in_time,
    decision_of,
    deemed_date_reached,
    entries_liquidated,
    filed_in_time,
    further_review_denied,
    further_review_not_yet,
    further_review_requested,
    no_decision_before_entry,
    not_deemed_denied,
    one_importer,
    protested,
    set_aside_in_time,
    summons_in_time,
    summons_period_over,
    void_in_time,
)
from cee_workflow.states.protest_parties import (
    DEEMED_EXCLUSION_RULE,
    ISSUES,
    ONE_PROTEST_RULE,
    ROLES,
    ROLES_RULE,
    SCOPE_RULE,
    SURETY_RULE,
    IssueList,
    consolidated_group,
    deemed_exclusion_reached,
    demand_only_for_a_surety,
    issues_in_scope,
    one_protest_per_category,
    original_filer,
    protestant_is_the_actor,
    role_may_protest,
)
from cee_workflow.states.protest_set_aside import (
    SET_ASIDE_BY_HQ,
    SET_ASIDE_DEEMED_REFUSAL,
    SET_ASIDE_INPUTS,
    SET_ASIDE_RULE,
    considered_denied,
    no_request_pending,
    not_considered_denied,
    refused,
    request_pending,
    requested,
    sixty_days_passed,
)
from cee_workflow.states.protest_timers import (
    ACCELERATED_DEEMED_DENIAL,
    CLOSING,
    DECISION_LIMIT,
    EXCLUSION_DEEMED_DENIAL,
    FURTHER_REVIEW_DECISION,
    SUMMONS_WINDOW,
    timer_data,
)

__all__ = ["PROTEST", "RESOLVED"]

PENDING = ("filed", "accepted", "further_review")
UNDECIDED = (*PENDING, "accelerated")
DECIDABLE = ("accepted", "further_review", "accelerated")


def _earliest_liquidation(f) -> Any:
    days = [e.liquidated_on for e in f.entries if e.liquidated_on]
    return min(days) if days else None


# --- the rulebook ----------------------------------------------------------------------------

_UNDECIDED_TIMERS = (DECISION_LIMIT, EXCLUSION_DEEMED_DENIAL, FURTHER_REVIEW_DECISION)
# Before further review is granted, a denied application may be the subject of a request to set
# aside its denial (1515(c)).
_PENDING_TIMERS = (*_UNDECIDED_TIMERS, SET_ASIDE_DEEMED_REFUSAL)
_DECIDED_ON = LegalDate("decided_on", "the date of CBP's decision", citation="19 CFR 174.21",
                        not_before=(data_bound("filed_on", "the filing of the protest"),))
_BINDS = Guard("no deemed denial has passed", "19 U.S.C. 1515(c); 1499(c)(5)(B); 19 CFR "
               "174.21(b), 174.22(d)", not_deemed_denied)
# An allowed protest of a liquidation reliquidates its timely entries in the same transaction,
# with the type the decision implies (19 CFR 173.2(d): 5 refund, 4 bill, 8 no change), the
# protest's number recorded on the reliquidation (`via`); an allowed exclusion protest releases
# the merchandise instead.
_RELIQUIDATE = tuple(
    Cascade("liquidation", "reliquidate", inputs=(("type", kind),),
            data_inputs=(("issues", "issues"),),
            when=lambda data, kind=kind: protested(data) in OF_LIQUIDATION
            and (data.get("reliquidation_type") or "5") == kind,
            skip="untimely_entries")
    for kind in RELIQUIDATION_TYPES.values())
_DUTIES = Input("duties", "the change the decision makes to the duties: refund (type 5), bill "
                "(type 4) or no_change (type 8) (19 CFR 173.2(d))", "choice",
                tuple(RELIQUIDATION_TYPES), default="refund")
_DECIDE = "19 U.S.C. 1515(a); 19 CFR 174.21(a)"
# The protestant's acts on its protest: the party of record, or its authorized agent (174.14
# for an amendment; the engine's reading for the others, workflow/parties.py).
_BY_PROTESTANT = Guard("the original protestant, or its agent", "19 CFR 174.14; " + ROLES_RULE,
                       original_filer)

PROTEST = Lifecycle(
    kind="protest",
    prefix="PR",
    summary="Protest of a CBP decision (19 U.S.C. 1514–1515; 19 CFR Part 174)",
    initial="new",
    opening="file",
    timer_data=timer_data,
    states=(
        StateSpec("new", "not yet filed"),
        StateSpec("filed", "filed by the protestant", _PENDING_TIMERS),
        StateSpec("accepted", "received and accepted at a port or center", _PENDING_TIMERS),
        StateSpec("further_review", "application for further review granted", _UNDECIDED_TIMERS),
        StateSpec("accelerated", "accelerated disposition requested",
                  (DECISION_LIMIT, ACCELERATED_DEEMED_DENIAL, EXCLUSION_DEEMED_DENIAL)),
        StateSpec("allowed", "allowed in full; entries reliquidated", (CLOSING,)),
        StateSpec("allowed_in_part", "allowed in part; entries reliquidated", (SUMMONS_WINDOW,)),
        StateSpec("denied", "denied, or deemed denied", (SUMMONS_WINDOW,
                                                         SET_ASIDE_DEEMED_REFUSAL)),
        StateSpec("litigation", "summons filed at the Court of International Trade",
                  terminal=True),
        StateSpec("withdrawn", "withdrawn by the protestant", terminal=True),
        StateSpec("closed", "decided and closed", terminal=True),
    ),
    transitions=(
        TransitionSpec(
            "file", ("new",), "filed", Authority.FILER,
            citation="19 U.S.C. 1514(c); 19 CFR 174.12, 174.15; T.D. 53961",
            summary="file within 180 days after the decision protested (the latest liquidation "
                    "of each entry, or the decision's date; a surety's from the demand on its "
                    "bond); 90 for entries before 2004-12-18; one protest per entry and category",
            guards=(
                Guard("a liquidated entry for a protest of a liquidation", "19 U.S.C. 1514(a)(5)",
                      entries_liquidated),
                Guard("one importer", "19 CFR 174.12(a)", one_importer),
                Guard("the protestant is the acting party, in the role it holds", ROLES_RULE,
                      protestant_is_the_actor),
                Guard("a decision the protestant's role may protest", ROLES_RULE,
                      lambda f: role_may_protest(f, decision_of(f))),
                Guard("a demand on the bond only for a surety", SURETY_RULE,
                      demand_only_for_a_surety),
                Guard("a deemed exclusion only after 30 days", DEEMED_EXCLUSION_RULE,
                      lambda f: deemed_exclusion_reached(f, decision_of(f))),
                Guard("decision not before the entry", "19 CFR 174.12(e)",
                      no_decision_before_entry),
                Guard("within 180 days of the decision (90 before 2004-12-18)",
                      "19 U.S.C. 1514(c)(3); 19 CFR 174.12(e), 174.13(b); T.D. 53961",
                      filed_in_time),
                Guard("one protest per entry and category", ONE_PROTEST_RULE,
                      lambda f: one_protest_per_category(f, decision_of(f))),
                Guard("a reliquidation's own questions", SCOPE_RULE,
                      lambda f: issues_in_scope(f, decision_of(f))),
            ),
            inputs=(Input("reason", "what is protested and why"),
                    Input("protested", "the decision protested (19 U.S.C. 1514(a))", "choice",
                          DECISIONS),
                    LegalDate("decision_date", "the date of the decision protested when it is "
                              "not a liquidation (e.g. the exclusion notice; default: today — "
                              "for an exclusion of merchandise whose presentation the entry "
                              "records, the 30th day after it, 19 U.S.C. 1499(c)(5)(A))",
                              citation="19 U.S.C. 1514(c)(3); 19 CFR 174.12(e)",
                              today_by_default=False),
                    Input("exclusion", "a protest of an exclusion", "bool", default=False),
                    Input("further_review", "apply for further review", "bool",
                          default=False),
                    Input("role", f"the protestant's role ({ROLES_RULE}): "
                          f"{', '.join(ROLES)} (default: the acting party's; another is "
                          "refused)", "choice", ROLES),
                    Input("party", "who protests (default: the acting party — the importer "
                          "number, party id, or an agent's principal; another is refused)"),
                    Input("merchandise", "the category of merchandise protested (174.15; "
                          "default: the whole entry)"),
                    IssueList("issues", f"what the protest objects to: {', '.join(ISSUES)} "
                              "(comma-separated; 174.13(a)(6), 174.16)"),
                    LegalDate("demand_mailed_on", "a surety's protest: the date the demand on "
                              "its bond was mailed (180 days run from it)",
                              citation=SURETY_RULE, today_by_default=False,
                              not_before=(Bound("the liquidation", _earliest_liquidation),)),
                    LegalDate("presented_on", "an exclusion protest of merchandise not released "
                              "whose presentation the entry does not record "
                              "(present_for_examination on its liquidation case): the date it "
                              "was presented for examination (deemed excluded 30 days later)",
                              citation=DEEMED_EXCLUSION_RULE, today_by_default=False)),
            effect=filed,
            rearms=("protest",),  # the 2 years of a consolidated protest run from this filing
        ),
        TransitionSpec(
            "amend", PENDING, STAY, Authority.FILER,
            citation="19 CFR 174.14; 19 U.S.C. 1514(c)(1)",
            summary="amend the protest (its grounds, or apply for further review) before the "
                    "protest period ends; only the original protestant, and not once accelerated "
                    "disposition was requested",
            guards=(Guard("within the protest period", "19 CFR 174.14", amend_in_time),
                    _BY_PROTESTANT),
            inputs=(Input("reason", "the amended grounds"),
                    Input("further_review", "apply for further review", "bool"),
                    Input("party", "who amends (default: the original protestant)")),
            effect=amended,
            restarts_timers=True,  # an application for further review arms its 30 days
        ),
        TransitionSpec(
            "apply_further_review", PENDING, STAY, Authority.FILER,
            citation="19 U.S.C. 1515(a); 19 CFR 174.23, 174.24",
            summary="apply for further review after filing, within the protest period; the "
                    "center's 30 days run from the application's date",
            guards=(_BY_PROTESTANT,
                    Guard("within the protest period", "19 CFR 174.24", amend_in_time),
                    Guard("not applied for yet", "19 CFR 174.24", further_review_not_yet)),
            inputs=(LegalDate("applied_on", "the date of the application for further review",
                              citation="19 U.S.C. 1515(a)",
                              not_before=(data_bound("filed_on", "the filing of the protest"),)),),
            effect=applied_further_review,
            restarts_timers=True,
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
                          further_review_requested),),
        ),
        TransitionSpec(
            "allow", DECIDABLE, "allowed", Authority.CENTER,
            citation=_DECIDE + "; 19 CFR 173.2(d)",
            summary="allow in full; the entries are reliquidated in the same transaction",
            guards=(_BINDS,),
            inputs=(_DECIDED_ON, _DUTIES),
            effect=decided("allowed"),
            cascades=_RELIQUIDATE,
        ),
        TransitionSpec(
            "allow_in_part", DECIDABLE, "allowed_in_part", Authority.CENTER,
            citation=_DECIDE + "; 19 CFR 173.2(d), 174.30",
            summary="allow in part, deny the rest; the entries are reliquidated",
            guards=(_BINDS,),
            inputs=(_DECIDED_ON, _DUTIES),
            effect=decided("allowed_in_part"),
            cascades=_RELIQUIDATE,
        ),
        TransitionSpec(
            "deny", DECIDABLE, "denied", Authority.CENTER,
            citation=_DECIDE + "; 19 CFR 174.30",
            summary="deny the protest (notice of denial with reasons)",
            guards=(_BINDS,),
            inputs=(_DECIDED_ON,),
            effect=decided("denied"),
        ),
        TransitionSpec(
            "request_accelerated_disposition", PENDING, "accelerated", Authority.FILER,
            citation="19 U.S.C. 1515(b); 19 CFR 174.22",
            summary="request accelerated disposition by certified or registered mail, with or "
                    "after the filing (deemed denied at the close of the 30th day after mailing)",
            guards=(_BY_PROTESTANT,
                    Guard("90 days after filing where every entry is before 2004-12-18",
                          "19 U.S.C. 1515(b); 19 CFR 174.22(a)", accelerated_request_allowed)),
            inputs=(LegalDate("mailed_on", "the day the request was mailed (certified or "
                              "registered mail)", citation="19 CFR 174.22(d)",
                              not_before=(data_bound("filed_on", "the filing of the protest"),)),),
            effect=lambda f: {"accelerated_requested_on": f.legal("mailed_on").isoformat()},
            # 19 CFR 174.22(e): one request covers the protests consolidated with this one.
            cascades=(Cascade("protest", "request_accelerated_disposition",
                              data_inputs=(("mailed_on", "accelerated_requested_on"),),
                              targets=consolidated_group),),
        ),
        TransitionSpec(
            "deem_denied", UNDECIDED, "denied", Authority.SYSTEM,
            citation="19 U.S.C. 1499(c)(5)(B), 1515(b); 19 CFR 174.21(b), 174.22(d)",
            summary="deemed denied on its legal day: the 30th day after filing an exclusion "
                    "protest, or the 30th after an accelerated-disposition request was mailed",
            guards=(Guard("the deemed-denial day reached", "19 U.S.C. 1499(c)(5)(B), 1515(b)",
                          deemed_date_reached),),
            effect=deemed,
        ),
        TransitionSpec(
            "deny_further_review", ("filed", "accepted"), STAY, Authority.CENTER,
            citation="19 U.S.C. 1515(a); 19 CFR 174.23, 174.27",
            summary="deny the application for further review (the protest is then decided "
                    "without it)",
            guards=(Guard("further review requested", "19 CFR 174.25",
                          further_review_requested),),
            restarts_timers=True,
            effect=lambda f: {"further_review_denied_on": f.today.isoformat()},
        ),
        TransitionSpec(
            "set_aside_further_review_denial", ("filed", "accepted"), STAY, Authority.HQ,
            citation="19 U.S.C. 1515(c); 19 CFR 174.26(b)(1)",
            summary="the Commissioner (Headquarters) sets aside a denial of further review, on "
                    "the protestant's written request made within 60 days after the notice of "
                    "the denial",
            guards=(Guard("further review denied", "19 U.S.C. 1515(c)", further_review_denied),
                    Guard("requested within 60 days of the denial", "19 U.S.C. 1515(c)",
                          set_aside_in_time),
                    Guard("the request not considered denied", SET_ASIDE_RULE,
                          not_considered_denied)),
            inputs=SET_ASIDE_BY_HQ,
            restarts_timers=True,
            effect=set_aside,
        ),
        TransitionSpec(
            "set_aside_further_review_denial", ("denied",), "accepted", Authority.HQ,
            citation="19 U.S.C. 1515(c); 19 CFR 174.26(b)(1)",
            summary="set aside a denial of further review and void the protest's denial; the "
                    "2636 clock of the original denial runs on",
            guards=(Guard("further review denied", "19 U.S.C. 1515(c)", further_review_denied),
                    Guard("requested within 60 days of the denial", "19 U.S.C. 1515(c)",
                          set_aside_in_time),
                    Guard("the request not considered denied", SET_ASIDE_RULE,
                          not_considered_denied)),
            inputs=SET_ASIDE_BY_HQ,
            effect=set_aside,
        ),
        TransitionSpec(
            "request_set_aside", ("filed", "accepted", "denied"), STAY, Authority.FILER,
            citation=SET_ASIDE_RULE,
            summary="ask the Commissioner (Headquarters) in writing to set aside the denial of "
                    "further review, within 60 days after its notice; considered denied if "
                    "not acted on within 60 days",
            guards=(_BY_PROTESTANT,
                    Guard("further review denied", SET_ASIDE_RULE, further_review_denied),
                    Guard("requested within 60 days of the denial", SET_ASIDE_RULE,
                          set_aside_in_time),
                    Guard("no request pending", SET_ASIDE_RULE, no_request_pending)),
            inputs=SET_ASIDE_INPUTS,
            restarts_timers=True,
            effect=requested,
        ),
        TransitionSpec(
            "deny_set_aside", ("filed", "accepted", "denied"), STAY, Authority.HQ,
            citation=SET_ASIDE_RULE,
            summary="refuse the request to set aside the denial of further review",
            guards=(Guard("a request pending", SET_ASIDE_RULE, request_pending),
                    Guard("the request not considered denied", SET_ASIDE_RULE,
                          not_considered_denied)),
            restarts_timers=True,
            effect=refused,
        ),
        TransitionSpec(
            "refuse_set_aside", ("filed", "accepted", "denied"), STAY, Authority.SYSTEM,
            citation=SET_ASIDE_RULE,
            summary="the request to set aside is considered denied: Headquarters did not act "
                    "within 60 days of it",
            guards=(Guard("60 days after the request", SET_ASIDE_RULE, sixty_days_passed),),
            restarts_timers=True,
            effect=considered_denied,
        ),
        TransitionSpec(
            "void_denial", ("denied",), "accepted", Authority.CENTER,
            citation="19 U.S.C. 1515(d)",
            summary="void a denial made contrary to proper instructions, on CBP's initiative or "
                    "on the protestant's request within 90 days; the 2636 clock of the original "
                    "denial runs on",
            guards=(Guard("requested within 90 days of the denial", "19 U.S.C. 1515(d)",
                          void_in_time),),
            inputs=(Input("on_request", "voided on the protestant's request (within 90 days)",
                          "bool", default=False),),
            effect=voided,
        ),
        TransitionSpec(
            "withdraw", UNDECIDED, "withdrawn", Authority.FILER,
            citation="19 CFR 174.12",
            summary="withdraw the protest",
            guards=(_BY_PROTESTANT,),
            effect=lambda f: {"withdrawn_on": f.today.isoformat()},
            rearms=("liquidation",),
        ),
        TransitionSpec(
            "file_summons", ("denied", "allowed_in_part"), "litigation", Authority.FILER,
            citation="28 U.S.C. 2636(a); 19 CFR 174.31",
            summary="contest the denial at the Court of International Trade within 180 days",
            guards=(_BY_PROTESTANT,
                    Guard("within 180 days of denial", "28 U.S.C. 2636(a)", summons_in_time)),
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
            guards=(Guard("summons period over", "28 U.S.C. 2636(a)", summons_period_over),),
            rearms=("liquidation",),
        ),
    ),
)
