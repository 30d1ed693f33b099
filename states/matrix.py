"""The authority matrix: every function the seeds assign, who holds it, and what exercises it.

Pure data (REFERENCE.md §0; seeds 001, 002; Delegation Order 14-004; CBP Dec. 16-26, 81 FR
92978). Each `Function` names its holder — an `Authority`, narrowed to a unit where one applies
(`PORT/fpf`) — its rule, and the transitions of our lifecycles that exercise it as
(lifecycle kind, trigger) pairs. Every transition of every lifecycle maps to exactly one
function, and its authority and unit are the function's holder (tests/test_matrix.py). A role a
transition adds (`CENTER (supervisor)`) narrows who within the holder acts; it is no other holder.

The trade party's acts (FILER) and operation of law (SYSTEM) are functions too, so that the
matrix covers every transition. Functions no lifecycle exercises yet (drawback, CBP Form 28/29,
PEA, sampling, …) are listed with no transitions. Which regimes shared a function follows from
`REGIMES` (`Function.tenures`), the same data the engine grants authority from, so the matrix
cannot say one thing while the engine does another.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from cee_workflow.states.authority import REGIMES, Authority, Regime

# Where each assignment comes from (REFERENCE.md §0 and the seeds it summarizes).
SEED_CENTER = "seed 002 (Delegation Order 14-004); CBP Dec. 16-26"
SEED_PORT = "seed 002 (ports keep sole authority); CBP Dec. 16-26"
SEED_JOINT = "seed 002 (joint authorities of centers and ports)"
TRADE = "the trade party's own act (REFERENCE.md §2–§4)"
LAW = "operation of law or ACE processing (REFERENCE.md §1–§3)"
HQ_SOURCE = "the statute names the Commissioner (19 U.S.C. 1515(c)); 19 CFR 174.26(b)(1)"


@dataclass(frozen=True, order=True)
class Exercise:
    """A transition that exercises a function: `lifecycle.trigger`."""

    lifecycle: str
    trigger: str

    def __str__(self) -> str:
        return f"{self.lifecycle}.{self.trigger}"


@dataclass(frozen=True)
class Tenure:
    """Who held a function under one authority regime (dates inclusive; end None = open)."""

    regime: str
    start: date | None  # None: as far back as the record goes (the port's own regime)
    end: date | None
    citation: str
    held_by: str
    # Port roles that shared the function under this regime (center functions under 14-004).
    shared_with: tuple[str, ...] = ()

    @property
    def period(self) -> str:
        if self.start is None:
            return f"until {self.end}"
        return f"{self.start} … {self.end}" if self.end else f"from {self.start}"


@dataclass(frozen=True)
class Function:
    key: str
    title: str
    holder: Authority
    citation: str  # the rule the function applies
    source: str  # where the seeds or the regulations assign it
    unit: str | None = None  # e.g. "fpf": the port's Fines, Penalties & Forfeitures officer
    exercised_by: tuple[Exercise, ...] = ()
    note: str = ""

    @property
    def who(self) -> str:
        """The holder as transitions write it: CENTER, PORT/fpf, …"""
        return self.holder.value + (f"/{self.unit}" if self.unit else "")

    @property
    def tenures(self) -> tuple[Tenure, ...]:
        """Who held the function under each regime of `REGIMES`, oldest first."""
        return tuple(_tenure(self, regime) for regime in REGIMES)


def _tenure(function: Function, regime: Regime) -> Tenure:
    shared_with: tuple[str, ...] = ()
    if function.holder is Authority.CENTER and regime.port_holds_center_authority:
        held_by = "the port (its officers), before the center implemented DO 14-004"
    elif function.holder is Authority.CENTER:
        shared_with = tuple(f"port {r.value}" for r in regime.port_roles_sharing_center_authority)
        held_by = ("the center, shared with " + " and ".join(f"{r}s" for r in shared_with)
                   if shared_with else "the center alone")
    else:
        held_by = {
            Authority.PORT: "the port" + (f" ({function.unit} unit)" if function.unit else ""),
            Authority.JOINT: "the port or the center",
            Authority.FILER: "the filer (importer of record or its broker); on protests also "
                             "the consignee, surety, payer, drawback claimant or their agent "
                             "(19 U.S.C. 1514(c)(2))",
            Authority.SYSTEM: "operation of law (the engine's scheduler)",
            Authority.HQ: "Headquarters (the Commissioner, Regulations & Rulings)",
        }[function.holder]
    start = None if regime.start == date.min else regime.start
    return Tenure(regime.name, start, regime.end, regime.citation, held_by, shared_with)


def _ex(lifecycle: str, *triggers: str) -> tuple[Exercise, ...]:
    return tuple(Exercise(lifecycle, t) for t in triggers)


def _center(key: str, title: str, citation: str, *exercised: Exercise, note: str = "",
            source: str = SEED_CENTER, unit: str | None = None) -> Function:
    return Function(key, title, Authority.CENTER, citation, source, unit, exercised, note)


def _port(key: str, title: str, citation: str, *exercised: Exercise, unit: str | None = None,
          note: str = "") -> Function:
    return Function(key, title, Authority.PORT, citation, SEED_PORT, unit, exercised, note)


def _joint(key: str, title: str, citation: str, *exercised: Exercise, note: str = "") -> Function:
    return Function(key, title, Authority.JOINT, citation, SEED_JOINT, None, exercised, note)


def _filer(key: str, title: str, citation: str, *exercised: Exercise) -> Function:
    return Function(key, title, Authority.FILER, citation, TRADE, None, exercised)


def _hq(key: str, title: str, citation: str, *exercised: Exercise, note: str = "") -> Function:
    return Function(key, title, Authority.HQ, citation, HQ_SOURCE, None, exercised, note)


def _law(key: str, title: str, citation: str, *exercised: Exercise) -> Function:
    return Function(key, title, Authority.SYSTEM, citation, LAW, None, exercised)


# Kinds named below that other branches are adding (the psc and prior_disclosure rulebooks, and
# the liquidation triggers that couple to PSCs). The matrix maps them now; until they are
# registered in LIFECYCLES the test tolerates them.
MATRIX: tuple[Function, ...] = (
    # --- center (Delegation Order 14-004: shared with port directors; CBP Dec. 16-26: alone) --
    _center("entry_summary_processing",
            "Entry and entry summary processing (quota, warehouse entries and withdrawals, TIB, "
            "FTZ entry summaries, special entry procedures); summary review",
            "19 CFR Part 141, 142",
            *_ex("liquidation", "start_summary_review", "finish_summary_review")),
    _center("rejections", "Entry summary rejections", "seed 002"),
    _center("cancellations", "Entry and entry summary cancellations", "seed 002"),
    _center("census_warnings", "Census warnings", "seed 002"),
    _center("cbp_form_28", "Requests for information (CBP Form 28)", "19 CFR 151.11",
            note="response due 30 days from issue (REFERENCE.md §5)"),
    _center("cbp_form_29", "Notices of action (CBP Form 29)", "seed 002"),
    _center("ad_cvd", "Antidumping and countervailing duty cases", "19 U.S.C. 1671, 1673",
            note="AD/CVD suspensions are the liquidation function's `suspend`"
            " (reasons 04/05)"),
    _center("psc", "Post-summary corrections: review, accept or reject the changes",
            "19 CFR 101.9(b)",
            *_ex("psc", "take_into_review", "accept_changes", "reject_changes")),
    _center("pea", "Post-entry amendments", "seeds 001, 002"),
    _center("liquidations",
            "Liquidation: schedule, extend, suspend, liquidate, reliquidate",
            "19 U.S.C. 1500, 1501, 1504; 19 CFR Part 159",
            *_ex("liquidation", "extend", "suspend", "lift_suspension", "schedule", "liquidate",
                 "reliquidate", "liquidate_over_psc")),
    _center("protests", "Protests: review and decide (allow, deny), further review, void a "
            "denial", "19 U.S.C. 1515; 19 CFR 174.21, 174.24, 174.25",
            *_ex("protest", "grant_further_review", "deny_further_review", "allow",
                 "allow_in_part", "deny", "void_denial")),
    _center("prior_disclosure_validation",
            "Prior disclosure validations: calculate the loss, refer to the port FP&F officer",
            "19 CFR 162.74", *_ex("prior_disclosure", "calculate_loss", "refer_to_fpf"),
            source="seed 001 (centers perform prior disclosure validations)",
            note="feeds the port FP&F officer's decision on validity (19 CFR 162.74(a)(2))"),
    _center("enforcement_investigations",
            "Enforcement: formal investigations (their commencement recorded on a prior "
            "disclosure, which then cannot be valid) and penalty referrals received",
            "19 U.S.C. 1592(c)(4); 19 CFR 162.74(g)",
            *_ex("prior_disclosure", "record_enforcement_investigation"), unit="enforcement",
            note="the port's FP&F records an investigation it commenced (fpf)"),
    _center("recordkeeping", "Recordkeeping", "19 U.S.C. 1508, 1509; 19 CFR Part 163"),
    _center("financial_accounting", "Financial and accounting matters", "seed 002"),
    _center("marking", "Decisions on country of origin marking", "19 U.S.C. 1304; "
            "19 CFR Part 134"),
    _center("rules_of_origin", "Decisions on rules of origin", "19 CFR Part 102"),
    _center("trademarks_copyrights", "Decisions on trademarks and copyrights",
            "19 CFR Part 133"),
    _center("bonds", "Decisions on bonds", "19 CFR Part 113"),
    _center("classification", "Decisions on classification", "19 U.S.C. 1500(b); "
            "19 CFR Part 152"),
    _center("appraisement", "Decisions on appraisement", "19 U.S.C. 1401a, 1500(a); "
            "19 CFR Part 152"),
    # --- port (sole authority) ---------------------------------------------------------------
    _port("cargo", "Admissibility; control, movement, examination and release of cargo",
          "19 CFR Parts 142, 151; 19 U.S.C. 1499",
          *_ex("liquidation", "present_for_examination", "release"),
          note="the presentation for examination starts the 30 days of a deemed exclusion "
               "(19 U.S.C. 1499(c)(5)(A))"),
    _port("export", "Export", "19 CFR Part 192"),
    _port("drawback", "Drawback", "19 U.S.C. 1313; 19 CFR Parts 190, 191",
          note="COAC asked whether to move drawback to the centers (seed 003)"),
    _port("fpf", "Fines, penalties and forfeitures: penalties, petitions, prior disclosure "
          "validity and penalty decisions", "19 U.S.C. 1592, 1618; 19 CFR 162.74(a)(2), "
          "Parts 171, 172", *_ex("prior_disclosure", "find_valid", "find_invalid", "close",
                                 "refer_for_penalty", "extend_period",
                                 "waive_confirmation", "record_investigation"),
          unit="fpf", note="seed 002 lists petitions among center areas too; REFERENCE.md §0 "
                           "keeps them with FP&F"),
    # --- joint (port or center) --------------------------------------------------------------
    _joint("sampling", "Sampling of merchandise", "19 CFR Part 151"),
    _joint("redelivery", "Demands for redelivery of cargo", "19 CFR 141.113"),
    _joint("revenue_collection",
           "Accepting revenue collections: the entry summary filed with estimated duties "
           "deposited, which fixes the time of entry", "19 CFR 141.68, 141.101",
           *_ex("liquidation", "record_entry", "record_suspended_entry"),
           note="recording the entry starts the 1-year liquidation period (19 U.S.C. 1504(a))"),
    _joint("accepting_protests", "Receiving and accepting protests", "19 CFR 174.12",
           *_ex("protest", "accept")),
    # --- the trade party -----------------------------------------------------------------------
    _filer("filing_protests", "Filing, amending and withdrawing protests",
           "19 U.S.C. 1514(c); 19 CFR 174.12, 174.14",
           *_ex("protest", "file", "amend", "apply_further_review", "withdraw")),
    _filer("filing_pscs", "Filing and withdrawing post-summary corrections", "19 CFR 101.9(b)",
           *_ex("psc", "file", "withdraw")),
    _filer("prior_disclosures",
           "Making prior disclosures: disclose, confirm in writing, perfect, tender, withdraw",
           "19 U.S.C. 1592(c)(4); 19 CFR 162.74",
           *_ex("prior_disclosure", "disclose", "confirm_in_writing", "perfect", "tender",
                "withdraw")),
    _filer("summons", "Contesting a denial at the Court of International Trade (summons)",
           "28 U.S.C. 2636(a); 19 CFR 174.31", *_ex("protest", "file_summons")),
    _filer("requests", "Requests to CBP: accelerated disposition of a protest; setting aside "
           "a denial of further review", "19 U.S.C. 1515(b), (c); 19 CFR 174.22",
           *_ex("protest", "request_accelerated_disposition", "request_set_aside")),
    # --- Headquarters ---------------------------------------------------------------------------
    _hq("further_review_set_aside", "Setting aside a denial of further review made contrary to "
        "the regulations (and voiding the protest's denial)", "19 U.S.C. 1515(c); 19 CFR "
        "174.26(b)(1)", *_ex("protest", "set_aside_further_review_denial", "deny_set_aside"),
        note="on the protestant's written request within 60 days after the notice of the "
             "denial"),
    # --- operation of law and ACE ----------------------------------------------------------------
    _law("ace_processing", "ACE processing: the 314-day liquidation cycle, bulletin posting, "
         "PSC validation or rejection, PSCs closed when their entry liquidates",
         "19 CFR 159.9(c)(1), 101.9(b)",
         *_ex("liquidation", "auto_schedule", "auto_liquidate"),
         *_ex("psc", "validate", "reject", "close_on_liquidation")),
    _law("disclosure_tender", "A tender made with a prior disclosure, applied once the loss is "
         "calculated", "19 CFR 162.74(c)", *_ex("prior_disclosure", "apply_disclosure_tender")),
    _law("deemed_liquidation", "Deemed liquidation", "19 U.S.C. 1504(a), (d)",
         *_ex("liquidation", "deem_liquidated")),
    _law("deemed_exclusion", "Deemed exclusion of merchandise not released within 30 days of "
         "its presentation for examination", "19 U.S.C. 1499(c)(5)(A)",
         *_ex("liquidation", "deem_excluded")),
    _law("deemed_denial", "Deemed denial of a protest (exclusion, accelerated disposition) "
         "and of a request to set aside a denial of further review",
         "19 U.S.C. 1499(c)(5)(B), 1515(b), (c); 19 CFR 174.21(b), 174.22(d)",
         *_ex("protest", "deem_denied", "refuse_set_aside")),
    _law("finality", "Finality: a liquidation or a protest decision becomes final and the "
         "case closes", "19 U.S.C. 1514(a); 28 U.S.C. 2636(a); 19 CFR 173.2(d)",
         *_ex("liquidation", "finalize"), *_ex("protest", "close")),
)


def functions_exercised_by(lifecycle: str, trigger: str) -> tuple[Function, ...]:
    """Every function of the matrix that names `lifecycle.trigger` (exactly one, when sound)."""
    wanted = Exercise(lifecycle, trigger)
    return tuple(f for f in MATRIX if wanted in f.exercised_by)


def function_for(lifecycle: str, trigger: str) -> Function:
    """The one function `lifecycle.trigger` exercises; KeyError if none or several."""
    found = functions_exercised_by(lifecycle, trigger)
    if len(found) != 1:
        raise KeyError(f"{lifecycle}.{trigger}")
    return found[0]


def function(key: str) -> Function:
    for candidate in MATRIX:
        if candidate.key == key:
            return candidate
    raise KeyError(key)
