"""The legal numbers as dated series with their sources (OpenFisca-style; REFERENCE.md §0–§4).

When the law changes, a rule gains a new dated value with its source — never an edited constant.
The value used is the one in force on the date the rule names (the entry date, the filing date,
the act's legal date). A value without a found source says UNCONFIRMED. `RuleParams` (params.py)
reads these series; a field set explicitly on a `RuleParams` overrides its series (tests,
simulations, an agency's own reading).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

UNCONFIRMED = "UNCONFIRMED"
ALWAYS = date.min  # a value in force as far back as the engine reads


@dataclass(frozen=True)
class Value:
    """One value of a rule, in force from `since` until the next value's `since`."""

    since: date
    value: Any
    source: str  # the citation; starts with UNCONFIRMED where no source was found

    @property
    def since_text(self) -> str:
        return "always" if self.since == ALWAYS else self.since.isoformat()


@dataclass(frozen=True)
class Rule:
    """A legal number as a dated series: `values` oldest first."""

    name: str  # the RuleParams field it feeds
    summary: str
    unit: str  # days | years | months | date | amount
    by: str  # the date that selects the value: "entry date", "filing date", "the act's date"
    values: tuple[Value, ...]

    def __post_init__(self):
        days = [v.since for v in self.values]
        if not days or days != sorted(days) or len(set(days)) != len(days):
            raise ValueError(f"rule {self.name}: values must be dated, oldest first, distinct")

    def at(self, day: date | None) -> Value:
        """The value in force on `day` (None: the latest)."""
        if day is None:
            return self.values[-1]
        chosen = self.values[0]
        for value in self.values:
            if value.since <= day:
                chosen = value
        return chosen

    @property
    def dated(self) -> bool:
        """Whether the law changed the value at least once."""
        return len(self.values) > 1


def _one(value: Any, source: str) -> tuple[Value, ...]:
    return (Value(ALWAYS, value, source),)


# The date protests went from 90 to 180 days, and accelerated disposition from "90 days after
# filing" to "at any time": entries made on or after 2004-12-18 (Miscellaneous Trade and
# Technical Corrections Act of 2004, Pub. L. 108-429, §2103; 19 CFR 174.12(e), 174.22(a)).
MTTCA_2004 = date(2004, 12, 18)
# The PSC window went from 270/20 to 300/15 days with the general notice of 1 Nov 2017.
PSC_NOTICE_2017 = date(2017, 11, 1)

RULES: tuple[Rule, ...] = (
    # --- liquidation (19 U.S.C. 1500, 1501, 1504; 19 CFR Part 159) ---
    Rule("liquidation_period_years", "deemed liquidated if not liquidated within this of entry",
         "years", "entry date", _one(1, "19 U.S.C. 1504(a)")),
    Rule("extension_years", "each extension of the liquidation period", "years",
         "entry date", _one(1, "19 U.S.C. 1504(b); 19 CFR 159.12(a)")),
    Rule("max_extensions", "extensions allowed at most", "count", "entry date",
         _one(3, "19 U.S.C. 1504(b); 19 CFR 159.12(e)")),
    Rule("max_liquidation_years", "liquidation period at most, extensions included", "years",
         "entry date", _one(4, "19 U.S.C. 1504(b); 19 CFR 159.12(e)")),
    Rule("after_suspension_months",
         "deemed liquidated this long after CBP receives notice that a suspension was removed",
         "months", "notice received", _one(6, "19 U.S.C. 1504(d); International Trading Co. v. "
                                           "United States, 412 F.3d 1303 (Fed. Cir. 2005)")),
    Rule("auto_liquidation_days", "ACE routine liquidation cycle (posts on a Friday bulletin)",
         "days", "entry date", _one(314, "ACE practice (REFERENCE.md §1); not law")),
    Rule("voluntary_reliquidation_days", "voluntary reliquidation within this of liquidation",
         "days", "liquidation date",
         _one(90, "19 U.S.C. 1501 as amended by TFTEA §911 (Pub. L. 114-125)")),
    # --- protest (19 U.S.C. 1514-1515; 19 CFR Part 174) ---
    Rule("protest_period_days", "protest within this after liquidation or the decision",
         "days", "entry date", (
             Value(ALWAYS, 90, "19 U.S.C. 1514(c)(3) before Pub. L. 108-429; 19 CFR 174.12(e) "
                               "(entries made before 2004-12-18)"),
             Value(MTTCA_2004, 180, "19 U.S.C. 1514(c)(3) as amended by Pub. L. 108-429 §2103; "
                                    "19 CFR 174.12(e)"))),
    Rule("protest_decision_years", "decide a protest within this of filing (directory only)",
         "years", "filing date", _one(2, "19 CFR 174.21(a); Hitachi (Fed. Cir. 2011)")),
    Rule("exclusion_decision_days", "an exclusion protest is deemed denied on this day",
         "days", "filing date", _one(30, "19 U.S.C. 1499(c)(5)(B); 19 CFR 174.21(b)")),
    Rule("deemed_exclusion_days", "merchandise not released within this of its presentation "
         "for examination is deemed excluded", "days", "presentation date",
         _one(30, "19 U.S.C. 1499(c)(5)(A)")),
    Rule("accelerated_disposition_days",
         "deemed denied at the close of this day after mailing a request for accelerated "
         "disposition", "days", "mailing date", _one(30, "19 U.S.C. 1515(b); 19 CFR 174.22(d)")),
    Rule("accelerated_disposition_min_days",
         "accelerated disposition may be requested only this long after filing", "days",
         "entry date", (
             Value(ALWAYS, 90, "19 U.S.C. 1515(b) before Pub. L. 108-429; 19 CFR 174.22(a) "
                               "(entries made before 2004-12-18)"),
             Value(MTTCA_2004, 0, "19 U.S.C. 1515(b) as amended by Pub. L. 108-429; 19 CFR "
                                  "174.22(a): at any time concurrent with or after filing"))),
    Rule("void_request_days", "a protestant may request that a denial be voided within this "
         "after it", "days", "denial date", _one(90, "19 U.S.C. 1515(d)")),
    Rule("further_review_decision_days", "an application for further review is allowed or "
         "denied within this of its filing (directory: escalates)", "days", "filing date",
         _one(30, "19 U.S.C. 1515(a); 19 CFR 174.23")),
    Rule("set_aside_request_days", "a denial of further review may be set aside on a request "
         "made within this of the denial", "days", "denial date",
         _one(60, "19 U.S.C. 1515(c)")),
    Rule("set_aside_decision_days", "a request to set aside a denial of further review not "
         "acted on within this of the request is considered denied", "days", "request date",
         _one(60, "UNCONFIRMED: 19 U.S.C. 1515(c) (as amended by Pub. L. 103-182 §617); the "
                  "'considered denied' sentence not found in a quoted text")),
    Rule("summons_period_days", "summons to the Court of International Trade within this of "
         "the denial", "days", "denial date", _one(180, "28 U.S.C. 2636(a); 19 CFR 174.31")),
    # --- post-summary correction (19 CFR 101.9(b); REFERENCE.md §3) ---
    Rule("psc_days_from_entry", "a PSC is filed within this of entry", "days", "filing date", (
        Value(ALWAYS, 270, "19 CFR 101.9(b) test notices before 82 FR 50656 (REFERENCE.md §3)"),
        Value(PSC_NOTICE_2017, 300, "82 FR 50656 (general notice, 1 Nov 2017)"))),
    Rule("psc_days_before_liquidation",
         "a PSC is filed at least this before the scheduled liquidation date", "days",
         "filing date", (
             Value(ALWAYS, 20, "19 CFR 101.9(b) test notices before 82 FR 50656 "
                               "(REFERENCE.md §3)"),
             Value(PSC_NOTICE_2017, 15, "82 FR 50656 (general notice, 1 Nov 2017)"))),
    Rule("psc_days_before_extended_liquidation",
         "an entry extended at the importer's request takes a PSC up to this before the "
         "extended liquidation date", "days", "filing date", (
             Value(ALWAYS, 15, "84 FR 40430 (2019)"),)),
    # --- prior disclosure (19 U.S.C. 1592(c)(4); 19 CFR 162.74) ---
    Rule("pd_oral_confirmation_days", "an oral disclosure is confirmed in writing within this",
         "days", "disclosure date", _one(10, "19 CFR 162.74(a)(2)")),
    Rule("pd_perfection_days", "information unknown at disclosure is supplied within this",
         "days", "disclosure date", _one(30, "19 CFR 162.74(b)(4)")),
    Rule("pd_tender_days", "tender within this after CBP notifies its calculation of the loss",
         "days", "notice date", _one(30, "19 CFR 162.74(c)")),
    Rule("pd_headquarters_review_amount",
         "a loss above this goes to Headquarters for review", "amount", "disclosure date",
         _one(100_000, "19 CFR 162.74(c)")),
    # --- authority (REFERENCE.md §0) ---
    Rule("apparel_center_implemented_on",
         "Delegation Order 14-004 implemented at center 004 (Apparel, Footwear & Textiles)",
         "date", "the action's date",
         _one(date(2015, 11, 1), f"{UNCONFIRMED}: 'about November 2015' (trade press summaries "
                                 "of DO 14-004); a parameter")),
)

BY_NAME: dict[str, Rule] = {rule.name: rule for rule in RULES}


def rule(name: str) -> Rule:
    """The rule called `name`; KeyError if there is none."""
    return BY_NAME[name]
