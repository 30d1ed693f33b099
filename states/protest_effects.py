"""Protest effects: what each transition writes into the case data (REFERENCE.md §2). Every
legal date written here is the act's own (`Facts.legal`), never the recorded instant.
"""

from __future__ import annotations

from cee_workflow.states.base import Facts
from cee_workflow.states.protest_guards import (
    OF_LIQUIDATION,
    decided_on_for,
    decision_of,
    deemed_denial,
    last_day_for,
    lateness,
    protested,
    set_aside_request_date,
    summons_from,
)
from cee_workflow.states.protest_parties import (
    consolidated_with,
    deemed_exclusion_day,
    party_of,
    role_of,
)

# The reliquidation an allowance implies (19 CFR 173.2(d); REFERENCE.md §1: 4 bill, 5 refund,
# 8 no change): the direction of the change the decision makes to the duties.
RELIQUIDATION_TYPES = {"refund": "5", "bill": "4", "no_change": "8"}


def filed(f: Facts) -> dict:
    late = lateness(f)
    timely = [e for e in f.entries if e.number not in late]
    decision = decision_of(f)
    deadline = min(last_day_for(f, e) for e in timely)
    changes = {
        "filed_on": f.today.isoformat(),
        "protest_deadline": deadline.isoformat(),
        "reason": f.inputs.get("reason"),
        "protested": decision,
        "exclusion": decision == "exclusion",
        "further_review": f.inputs.get("further_review", False),
        "importer": f.entries[0].importer,
        "party": party_of(f),
        "role": role_of(f),
    }
    if f.acting is not None and f.acting.agent:  # 1514(c)(2): filed by its agent
        changes["agent"] = f.acting.agent
    if f.inputs.get("further_review"):
        changes["further_review_filed_on"] = changes["filed_on"]  # with the protest (1515(a))
    for key in ("merchandise", "issues", "demand_mailed_on", "presented_on"):
        if f.inputs.get(key):
            changes[key] = f.inputs[key]
    if decision not in OF_LIQUIDATION:
        changes["decision_date"] = decided_on_for(f, f.entries[0]).isoformat()
    if any(deemed_exclusion_day(f, e, decision) for e in f.entries):
        changes["deemed_exclusion"] = True  # 1499(c)(5)(A)
    group = consolidated_with(f, decision)
    if group:  # 174.15(a): with the first protest on the entry and category, a single protest
        changes["consolidated_with"] = group
    if late:  # 174.13(b): untimely only as to those entries; the others go on
        changes["untimely_entries"] = sorted(late)
        changes["untimely"] = [late[n] for n in sorted(late)]
    return changes


def amended(f: Facts) -> dict:
    changes = {"amended_on": f.today.isoformat(), "amendments": f.data.get("amendments", 0) + 1}
    if "reason" in f.inputs:
        changes["reason"] = f.inputs["reason"]
    if f.inputs.get("further_review") and not f.data.get("further_review"):
        changes["further_review"] = True
        changes["further_review_filed_on"] = f.today.isoformat()
    return changes


def applied_further_review(f: Facts) -> dict:
    """An application for further review filed after the protest: its 30 days run from its own
    date (1515(a); 174.23)."""
    return {"further_review": True,
            "further_review_filed_on": f.legal("applied_on").isoformat()}


def set_aside(f: Facts) -> dict:
    """The denial of further review set aside (1515(c)); a protest denied meanwhile has that
    denial voided, its 2636 clock kept from the original denial."""
    changes = {"further_review_denied_on": None, "set_aside_of": f.data.get(
        "further_review_denied_on"), "set_aside_on": f.today.isoformat(),
        "set_aside_requested_on": set_aside_request_date(f).isoformat(),
        "set_aside_decided_on": f.today.isoformat(),
        "further_review_filed_on": f.today.isoformat()}
    if f.data.get("denied_on"):
        changes.update(voided(f), void_on_request=True)
    return changes


def decided(outcome: str):
    def effect(f: Facts) -> dict:
        on = f.legal("decided_on").isoformat()
        changes = {"decided_on": on, "decision": outcome}
        if outcome != "denied" and protested(f.data) in OF_LIQUIDATION:
            change = f.inputs.get("duties") or "refund"
            changes["reliquidation_type"] = RELIQUIDATION_TYPES[change]
        if outcome in ("denied", "allowed_in_part"):
            changes["denied_on"] = on
            changes["summons_from"] = summons_from(f.data) or on
        if outcome == "allowed" and protested(f.data) in ("exclusion", "redelivery"):
            changes["released_on"] = on  # 1514(a)(4): allowing it releases the merchandise
        return changes
    return effect


def deemed(f: Facts) -> dict:
    denied, _bar, rule = deemed_denial(f.data, f.params)
    on = denied.isoformat()
    return {"decided_on": on, "denied_on": on, "decision": "deemed_denied", "deemed": True,
            "deemed_by": rule, "summons_from": summons_from(f.data) or on}


def voided(f: Facts) -> dict:
    return {"voided_denial_of": f.data.get("denied_on"), "voided_on": f.today.isoformat(),
            "void_on_request": bool(f.inputs.get("on_request")), "denied_on": None,
            "decision": None, "decided_on": None, "deemed": False}


