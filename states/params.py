"""Rule parameters: every number the rulebooks use, named, cited and overridable.

Values marked UNCONFIRMED in REFERENCE.md are parameters precisely so that an agency user can set
them without touching a rulebook:
`Engine(url, params=RuleParams(psc_team_review_days=45))`; a dated series is replaced whole
with `RuleParams(series=(Rule(...),))`.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date
from functools import cache

from cee_workflow.states.rules import BY_NAME, Rule, Value


@dataclass(frozen=True)
class RuleParams:
    # Replacement dated series, by rule name: what an agency (or a test) reads differently from
    # states/rules.py, e.g. a cut-over moved to another day. Each value keeps its own source;
    # events record it as an override.
    series: tuple[Rule, ...] = ()

    # 19 U.S.C. 1504(a): an entry not liquidated within 1 year of entry is deemed liquidated.
    liquidation_period_years: int = 1
    # 19 CFR 159.12: each extension is 1 year; at most 3; never beyond 4 years from entry (1504(b)).
    extension_years: int = 1
    max_extensions: int = 3
    max_liquidation_years: int = 4
    # 19 U.S.C. 1504(d): deemed liquidated 6 months after notice that a suspension was removed.
    after_suspension_months: int = 6
    # ACE practice (not law): routine liquidation cycle of 314 days, posted on a Friday bulletin.
    auto_liquidation_days: int = 314
    # 19 U.S.C. 1501 as amended by TFTEA §911: voluntary reliquidation within 90 days.
    voluntary_reliquidation_days: int = 90
    # 19 U.S.C. 1514(c)(3); 19 CFR 174.12(e): protest within 180 days after liquidation,
    # reliquidation or the decision protested (entries made on or after the cut-over below).
    protest_period_days: int = 180
    # 19 CFR 174.21(a): decide within 2 years of filing (directory only: escalate, never decide).
    protest_decision_years: int = 2
    # 19 U.S.C. 1499(c)(5)(B); 19 CFR 174.21(b): an exclusion protest not decided BEFORE the 30th
    # day after filing is denied on that 30th day.
    exclusion_decision_days: int = 30
    # 19 U.S.C. 1515(b); 19 CFR 174.22(d): deemed denied at the close of the 30th day after the
    # accelerated-disposition request was mailed.
    accelerated_disposition_days: int = 30
    # 19 U.S.C. 1515(b); 19 CFR 174.22(a): a request may be made concurrent with or after the
    # filing (0 days); only where EVERY entry of the protest was made before 2004-12-18 must it
    # wait 90 days after filing. A dated series by entry date (states/rules.py).
    accelerated_disposition_min_days: int = 0
    # 19 U.S.C. 1499(c)(5)(A): merchandise not released within 30 days of its presentation for
    # examination is deemed excluded (an exclusion protest lies from then).
    deemed_exclusion_days: int = 30
    # 19 U.S.C. 1515(d): a protestant's request to void a denial within 90 days after it.
    void_request_days: int = 90
    # 19 U.S.C. 1515(a): the center allows or denies an application for further review within
    # 30 days of its filing (escalates: directory, the engine never decides it).
    further_review_decision_days: int = 30
    # 19 U.S.C. 1515(c): a denied AFR may be set aside on a request within 60 days of the denial.
    set_aside_request_days: int = 60
    # 19 U.S.C. 1515(c): a request the Commissioner does not act on within 60 days of it is
    # considered denied.
    set_aside_decision_days: int = 60
    # 28 U.S.C. 2636(a), 19 CFR 174.31: summons within 180 days after denial.
    summons_period_days: int = 180
    # Warning lead times (internal practice; no rule sets them).
    deemed_liquidation_warning_days: int = 60
    protest_decision_warning_days: int = 90
    short_deadline_warning_days: int = 7
    # An overdue item goes to a supervisor of the owning office at its due time, and to the
    # director this many days later if still overdue (internal practice).
    director_escalation_days: int = 30
    # --- post-summary correction (19 CFR 101.9(b); REFERENCE.md §3) ---
    # 82 FR 50656 (2017): within 300 days of entry and at least 15 days before the scheduled
    # liquidation date, whichever is earlier (before 2017: 270 and 20 days).
    psc_days_from_entry: int = 300
    psc_days_before_liquidation: int = 15
    # 84 FR 40430 (2019): an entry extended at the importer's request may take a PSC up to 15 days
    # before the extended liquidation date. Interpreted as REPLACING both limits above for such
    # entries (the point of the 2019 change was PSCs beyond 300 days on extended entries).
    psc_days_before_extended_liquidation: int = 15
    # Service levels (internal targets, no rule sets them: UNCONFIRMED). A PSC still open this
    # many days before its entry's scheduled liquidation escalates; a PSC in team review should
    # be decided within the review days. Trusted traders (C-TPAT, ISA) route to the Partnership
    # division, whose targets are tighter: escalate earlier, decide sooner.
    psc_liquidation_lead_days: int = 30
    psc_liquidation_lead_days_partnership: int = 45
    # A PSC in team review goes to a supervisor this many days before its entry's deemed-
    # liquidation date, and to the director `director_escalation_days` later — still before it.
    psc_deemed_liquidation_lead_days: int = 45
    psc_team_review_days: int = 60
    psc_team_review_days_partnership: int = 30

    # --- prior disclosure (19 U.S.C. 1592(c)(4); 19 CFR 162.74; REFERENCE.md §4) ---
    # 19 CFR 162.74(a)(2): an oral disclosure is confirmed in writing to FP&F within 10 days.
    pd_oral_confirmation_days: int = 10
    # 19 CFR 162.74(b)(4): information unknown at disclosure is supplied within 30 days of it.
    pd_perfection_days: int = 30
    # 19 CFR 162.74(c): tender within 30 days after CBP notifies its calculation of the loss.
    pd_tender_days: int = 30
    # UNCONFIRMED: how long a good-cause extension of a 30-day period runs when the FP&F officer
    # names no date (no rule sets it; 162.74(b)(4) and (c) allow extensions).
    pd_extension_days: int = 30
    # Service levels for CBP's own steps (internal targets, UNCONFIRMED: no rule sets them).
    # Trusted traders' (C-TPAT, ISA) disclosures route to the Partnership division and get
    # tighter targets than Validation & Compliance's.
    pd_loss_calculation_days_partnership: int = 30  # perfected → loss calculated (center)
    pd_loss_calculation_days_validation: int = 60
    pd_referral_days_partnership: int = 10  # tendered → referred to the port's FP&F (center)
    pd_referral_days_validation: int = 30
    pd_fpf_finding_days_partnership: int = 30  # referred → found valid or invalid (port FP&F)
    pd_fpf_finding_days_validation: int = 60
    # 19 CFR 162.74(c): losses over $100,000 go to Headquarters for review.
    pd_headquarters_review_amount: int = 100_000

    # --- authority (REFERENCE.md §0) ---
    # UNCONFIRMED: Delegation Order 14-004 reached center 004 "about November 2015".
    apparel_center_implemented_on: date = date(2015, 11, 1)

    def value(self, name: str, day: date | None) -> Value:
        """The value of rule `name` in force on `day` (the date the rule names), with its
        source: the dated series of states/rules.py, unless this RuleParams sets the field to
        something other than its default, or replaces the series in `series` (overrides,
        recorded as such; a set field wins over a replaced series)."""
        mine = getattr(self, name)
        if mine != _defaults()[name] or name not in BY_NAME:
            return Value(date.min, mine, "RuleParams override" if name in BY_NAME
                         else "internal practice (no rule sets it)")
        for replaced in self.series:
            if replaced.name == name:
                chosen = replaced.at(day)
                return Value(chosen.since, chosen.value, f"RuleParams override: {chosen.source}")
        return BY_NAME[name].at(day)

    def applied(self, name: str, day: date | None) -> dict:
        """`value` as an event records it: name, value, in force since, source, date asked."""
        chosen = self.value(name, day)
        value = chosen.value.isoformat() if isinstance(chosen.value, date) else chosen.value
        return {"value": value, "since": chosen.since_text, "source": chosen.source,
                "on": day.isoformat() if day else None}


@cache
def _defaults() -> dict:
    return {f.name: f.default for f in fields(RuleParams)}


DEFAULT_PARAMS = RuleParams()
