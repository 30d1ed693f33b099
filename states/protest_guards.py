"""Protest guards: what a filing, an amendment and a decision must satisfy (19 U.S.C. 1499(c)(5),
1514–1515; 19 CFR 174.12–174.31; 28 U.S.C. 2636). REFERENCE.md §2. The rulebook that uses them is
states/protest.py; protestants, categories and scope are states/protest_parties.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from cee_workflow.states.base import Facts, iso
from cee_workflow.states.calendar import roll_forward
from cee_workflow.states.liquidation_rules import protest_last_day, protest_period_days
from cee_workflow.states.params import RuleParams
from cee_workflow.states.protest_parties import deemed_exclusion_day, surety_last_day

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


def entries_liquidated(f: Facts) -> str | None:
    if decision_of(f) not in OF_LIQUIDATION:
        return None  # 1514(a)(3), (4), (6), (7): the decision's own date counts, not a liquidation
    for e in f.entries:
        if e.liquidation_state not in PROTESTABLE:
            if e.liquidation_state == "final":
                return (f"entry {e} is final: its protest period has ended and the "
                        "liquidation is conclusive")
            return (f"entry {e} is {e.liquidation_state}, not liquidated; a protest lies "
                    "against a liquidation — before it, file a post-summary correction")
    return None


def one_importer(f: Facts) -> str | None:
    importers = sorted({e.importer for e in f.entries})
    if len(importers) > 1:
        return (f"the entries belong to different importers ({', '.join(importers)}); "
                "file one protest per importer")
    return None


def decision_of(f: Facts) -> str:
    """The decision a filing protests: as named; an exclusion with --exclusion; otherwise the
    latest liquidation of the entries — their reliquidation where every entry was reliquidated
    (1514(c)(3)(A); 1514(d))."""
    if "protested" in f.inputs:
        return f.inputs["protested"]
    if f.inputs.get("exclusion"):
        return "exclusion"
    if f.entries and all(e.liquidation_state == "reliquidated" for e in f.entries):
        return "reliquidation"
    return "liquidation"


def decided_on_for(f: Facts, e) -> date:
    """The date the protested decision was made, for entry `e`: its latest liquidation or
    reliquidation, or the decision's own date (1514(c)(3))."""
    if decision_of(f) in OF_LIQUIDATION:
        return e.liquidated_on
    return deemed_exclusion_day(f, e, decision_of(f)) or f.legal("decision_date")


def last_day_for(f: Facts, e) -> date:
    """The last day to protest for entry `e`: 180 days (90 before 2004-12-18) after the decision,
    rolled forward; a surety's from the demand on its bond when later (1514(c)(3))."""
    return surety_last_day(f, e, protest_last_day(decided_on_for(f, e), f.params, e.entry_date))


def lateness(f: Facts) -> dict[str, str]:
    """The entries the protest is late for: {entry: why} (174.13(b))."""
    late = {}
    for e in f.entries:
        decided = decided_on_for(f, e)
        last = last_day_for(f, e)
        if f.today > last:
            days = protest_period_days(e.entry_date, f.params)
            rule = f.params.value("protest_period_days", e.entry_date).source
            late[e.number] = (f"entry {e}: the {decision_of(f)} of {decided} could be protested "
                              f"until {last} ({days} days, {rule})")
    return late


def filed_in_time(f: Facts) -> str | None:
    late = lateness(f)
    if late and len(late) == len(f.entries):
        first = next(iter(late.values()))
        return (f"{first}; the decision is final unless CBP reliquidates")
    for e in f.entries:
        if decision_of(f) in OF_LIQUIDATION and f.today < e.liquidated_on:
            return f"entry {e} liquidates on {e.liquidated_on}; protest on or after it"
    return None


def no_decision_before_entry(f: Facts) -> str | None:
    if decision_of(f) in OF_LIQUIDATION:
        return None
    for e in f.entries:
        decided = decided_on_for(f, e)
        if decided < e.entry_date:
            return (f"decision_date {decided} is before the entry date {e.entry_date} of entry "
                    f"{e}; give the date of the decision protested")
    return None


def amend_in_time(f: Facts) -> str | None:
    last = iso(f.data["protest_deadline"])
    if f.today > last:
        return f"the period to protest ended on {last}; an amendment is no longer accepted"
    return None


def further_review_not_yet(f: Facts) -> str | None:
    if f.data.get("further_review"):
        return "further review was already applied for"
    return None


def further_review_denied(f: Facts) -> str | None:
    if not f.data.get("further_review_denied_on"):
        return "the application for further review was not denied; there is nothing to set aside"
    return None


def set_aside_request_date(f: Facts) -> date:
    """The date of the protestant's request: given with the transition, else the request on
    record (request_set_aside), else today."""
    return (iso(f.inputs.get("requested_on")) or iso(f.data.get("set_aside_requested_on"))
            or f.today)


def set_aside_in_time(f: Facts) -> str | None:
    """A protestant who believes its application for further review was denied erroneously,
    improperly or without authority may request, within 60 days after the notice of the
    denial, that the Commissioner set the denial aside (1515(c)); the statute gives no
    set-aside without that request."""
    denied = iso(f.data["further_review_denied_on"])
    last = denied + timedelta(days=f.params.set_aside_request_days)
    if set_aside_request_date(f) > last:
        return (f"the request to set aside the denial of further review of {denied} had to be "
                f"made by {last} ({f.params.set_aside_request_days} days, 19 U.S.C. 1515(c))")
    return None


def further_review_requested(f: Facts) -> str | None:
    if not f.data.get("further_review"):
        return ("the protestant did not apply for further review; it must be requested with the "
                "protest or by amendment within the protest period")
    return None


def accelerated_request_allowed(f: Facts) -> str | None:
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


def deemed_date_reached(f: Facts) -> str | None:
    route = deemed_denial(f.data, f.params)
    if route is None:
        return "neither an exclusion protest nor an accelerated-disposition request"
    denied, bar, _rule = route
    if f.today < bar:
        return f"CBP may still decide until {bar - timedelta(days=1)}"
    return None


def not_deemed_denied(f: Facts) -> str | None:
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


def void_in_time(f: Facts) -> str | None:
    if not f.inputs.get("on_request"):
        return None  # CBP's own initiative: 1515(d) sets no period
    denied = iso(f.data["denied_on"])
    last = denied + timedelta(days=f.params.void_request_days)
    if f.today > last:
        return (f"the protestant's request to void the denial of {denied} had to be filed by "
                f"{last} (90 days)")
    return None


def summons_in_time(f: Facts) -> str | None:
    last = summons_last_day(f)
    if f.today > last:
        return (f"the 180 days to contest the denial of {summons_from(f.data)} ended on "
                f"{last}; the denial is final")
    return None


def summons_period_over(f: Facts) -> str | None:
    if not summons_from(f.data):
        return None
    last = summons_last_day(f)
    if f.today <= last:
        return f"the protestant may file a summons until {last}"
    return None


def summons_from(data: Mapping[str, Any]) -> str | None:
    """The original denial (deemed or actual): "all denials of protests are effective from the
    date of original denial for purposes of section 2636" (1515(c))."""
    return data.get("summons_from") or data.get("denied_on")


def summons_last_day(f: Facts):
    return roll_forward(iso(summons_from(f.data))
                        + timedelta(days=f.params.summons_period_days))


