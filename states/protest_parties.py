"""Who protests, and what about: protestants and their roles (19 U.S.C. 1514(c)(2); 19 CFR
174.12(a)), one protest per entry per category with consolidation (1514(c)(1); 174.15;
174.21(a)), the issues a protest raises and the reliquidation scope (1514(d); 174.16), a surety's
own period (1514(c)(3)) and a deemed exclusion (1499(c)(5)(A)). REFERENCE.md §2.

Readings chosen (the law leaves them open; see the report of issue #10):
- "Category" is the decision protested (1514(a)) together with the category of merchandise the
  protest names (174.15: "one category of merchandise covered by an entry"; none named = the
  whole entry, which overlaps every category).
- A second protest by the same party on the same entry and category is refused, naming the
  first and pointing to an amendment (1514(c)(1): one protest per entry); one by another party
  is consolidated with the first open one: a single protest whose 2 years run from the last
  filing (174.15(a); 174.21(a)).
- A surety may protest within the ordinary period, or within 180 days (90 for entries before
  2004-12-18) of the mailing of the demand on its bond, whichever ends later (1514(c)(3)).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from cee_workflow.states.base import EntryFacts, Facts, Input, ProtestOnEntry, iso

# The persons who may protest (19 U.S.C. 1514(c)(2)(A)–(F); 19 CFR 174.12(a)).
ROLES = ("importer", "consignee", "surety", "payer", "seeking_entry", "exporter_producer",
         "drawback_claimant", "agent")
ROLES_RULE = "19 U.S.C. 1514(c)(2); 19 CFR 174.12(a)"
# What a protest objects to, per decision (1514(a)(1)–(7); 174.13(a)(6)): a reliquidation
# reopens only the questions it involved (1514(d); 174.16).
ISSUES = ("value", "classification", "rate", "charges", "quantity", "admissibility",
          "drawback", "preference", "other")
ONE_PROTEST_RULE = "19 U.S.C. 1514(c)(1); 19 CFR 174.15(a)"
SCOPE_RULE = "19 U.S.C. 1514(d); 19 CFR 174.16"
SURETY_RULE = "19 U.S.C. 1514(c)(3); 19 CFR 174.12(e)"
DEEMED_EXCLUSION_RULE = "19 U.S.C. 1499(c)(5)(A)"


@dataclass(frozen=True)
class IssueList(Input):
    """A comma-separated list of ISSUES, kept as a sorted list."""

    kind: str = "text"

    def parse(self, raw: Any) -> Any:
        items = raw if isinstance(raw, list | tuple) else str(raw).split(",")
        names = sorted({str(i).strip() for i in items if str(i).strip()})
        wrong = [n for n in names if n not in ISSUES]
        if wrong or not names:
            raise ValueError(f"{self.name} must be a comma-separated list of "
                             f"{', '.join(ISSUES)}, not {raw!r}")
        return names


def protest_on_entry(case_id: str, data: Mapping[str, Any]) -> ProtestOnEntry:
    """An open protest as its peers see it; protests recorded before roles and categories
    existed read as the importer's, on the liquidation, for the whole entry."""
    from cee_workflow.states.protest_guards import protested
    return ProtestOnEntry(
        id=case_id, protested=protested(data), merchandise=data.get("merchandise") or "",
        party=data.get("party") or data.get("importer") or "",
        role=data.get("role") or "importer", filed_on=iso(data.get("filed_on")),
        consolidated_with=data.get("consolidated_with"))


# What each role may protest, where the law limits it (the decisions of DECISIONS; a role not
# named: any decision on the entries it stands on). Readings: workflow/parties.py.
DECISIONS_OF_ROLE = {
    "payer": ("liquidation", "reliquidation", "charge"),  # 1514(c)(2)(B): a charge it paid
    "drawback_claimant": ("drawback_refusal",),  # 1514(a)(6): its drawback claim
}


def party_of(f: Facts) -> str:
    """The protestant: the acting party (the importer's number, a party's id, or an agent's
    principal); for facts made without an actor, the party named, or the importer."""
    if f.acting is not None:
        return f.acting.party
    return f.inputs.get("party") or (f.entries[0].importer if f.entries else f.importer or "")


def role_of(f: Facts) -> str:
    if f.acting is not None:
        return f.acting.role
    return f.inputs.get("role") or "importer"


def protestant_is_the_actor(f: Facts) -> str | None:
    """The filing records the party and role of the established actor (1514(c)(2); 174.12(a)):
    a `role` or `party` input may only confirm it."""
    if f.acting is None:
        return importer_is_the_importer(f)
    given_role, given_party = f.inputs.get("role"), f.inputs.get("party")
    if given_role and given_role != f.acting.role:
        return (f"the protestant is {f.acting.party} (role {f.acting.role}), not a "
                f"{given_role}: "
                "the role is the acting party's — act as the party that holds it "
                "(--as party:ID), or leave role out")
    if given_party and given_party != f.acting.party:
        return (f"the protestant is {f.acting.party}, not {given_party}: a filing is the acting "
                f"party's — {given_party} files as itself (--as), or leave party out")
    return None


def role_may_protest(f: Facts, decision: str) -> str | None:
    allowed = DECISIONS_OF_ROLE.get(role_of(f))
    if allowed is not None and decision not in allowed:
        return (f"a {role_of(f).replace('_', ' ')} may protest only a "
                f"{' or '.join(allowed)}, not a {decision} ({ROLES_RULE})")
    return None


def original_filer(f: Facts) -> str | None:
    """Only the protestant of record — or its authorized agent — amends the protest or takes
    its other acts on it (174.14; readings: workflow/parties.py); a protest recorded before
    parties were named was the importer's."""
    first = f.data.get("party") or f.data.get("importer")
    given = f.acting.party if f.acting is not None else f.inputs.get("party")
    if f.acting is not None and f.inputs.get("party") and f.inputs["party"] != given:
        given = f.inputs["party"]
    if given and first and given != first:
        return (f"protest filed by {first}: only the original protestant (or its authorized "
                f"agent) may amend it or act on it; {given} files its own protest (it is "
                "consolidated with this one, 19 CFR 174.15)")
    return None


def _same_category(mine: tuple[str, str], theirs: ProtestOnEntry) -> bool:
    decision, merchandise = mine
    if theirs.protested != decision:
        return False
    return not merchandise or not theirs.merchandise or merchandise == theirs.merchandise


def _peers(f: Facts, decision: str) -> list[tuple[EntryFacts, ProtestOnEntry]]:
    mine = (decision, f.inputs.get("merchandise") or "")
    return [(e, p) for e in f.entries for p in e.protests if _same_category(mine, p)]


def one_protest_per_category(f: Facts, decision: str) -> str | None:
    """A second protest by the same party on the same entry and category is refused
    (1514(c)(1); 174.15): the first one is amended instead (174.14)."""
    party = party_of(f)
    for entry, peer in _peers(f, decision):
        if peer.party == party:
            return (f"entry {entry} already has protest {peer.id} by {party} on the "
                    f"{decision}{_of_merchandise(peer)} (filed {peer.filed_on}); only one "
                    f"protest per entry and category — amend {peer.id} instead (19 CFR 174.14)")
    return None


def consolidated_with(f: Facts, decision: str) -> str | None:
    """The first open protest another party filed on the same entry and category: the new one
    is treated with it as a single protest (174.15(a))."""
    peers = [p for _e, p in _peers(f, decision)]
    if not peers:
        return None
    first = min(peers, key=lambda p: (p.filed_on or date.min, p.id))
    return first.consolidated_with or first.id


def _of_merchandise(peer: ProtestOnEntry) -> str:
    return f" ({peer.merchandise})" if peer.merchandise else ""


def review_from(data: Mapping[str, Any], entries: tuple[EntryFacts, ...]) -> date | None:
    """The day the 2 years to decide run from: the filing of the last open protest on the same
    entry and category — those are one consolidated protest (174.15(a); 174.21(a)). A protest
    alone, or recorded before categories existed, counts from its own filing."""
    own = iso(data.get("filed_on"))
    mine = (data.get("protested") or ("exclusion" if data.get("exclusion") else "liquidation"),
            data.get("merchandise") or "")
    days = [own] if own else []
    days += [p.filed_on for e in entries for p in e.protests
             if p.filed_on and _same_category(mine, p)]
    return max(days) if days else None


def surety_last_day(f: Facts, entry: EntryFacts, ordinary: date) -> date:
    """A surety's own limit: 180 days (90 before 2004-12-18) from the mailing of the demand on
    its bond, when later than the ordinary one (1514(c)(3))."""
    from cee_workflow.states.calendar import roll_forward
    from cee_workflow.states.liquidation_rules import protest_period_days
    demand = iso(f.inputs.get("demand_mailed_on"))
    if role_of(f) != "surety" or demand is None:
        return ordinary
    own = roll_forward(demand + timedelta(days=protest_period_days(entry.entry_date, f.params)))
    return max(ordinary, own)


def importer_is_the_importer(f: Facts) -> str | None:
    """Protesting as the importer means being the importer shown on the entry papers
    (1514(c)(2)(A)); any other party names its own role (consignee, surety, agent, …)."""
    party = f.inputs.get("party")
    importer = f.entries[0].importer if f.entries else None
    if role_of(f) == "importer" and party and importer and party != importer:
        others = ", ".join(r for r in ROLES if r != "importer")
        return (f"the importer of record of these entries is {importer}, not {party}; "
                f"file with the role {party} holds ({others})")
    return None


def demand_only_for_a_surety(f: Facts) -> str | None:
    if f.inputs.get("demand_mailed_on") and role_of(f) != "surety":
        return (f"demand_mailed_on is the date of a demand on a surety's bond; file with "
                f"role=surety, or leave it out (the protestant is {role_of(f)})")
    return None


def deemed_exclusion_day(f: Facts, entry: EntryFacts, decision: str) -> date | None:
    """The date of a deemed exclusion the protest of `entry` names (1499(c)(5)(A)): the 30th
    day after the presentation its liquidation case records (states/liquidation_exclusion.py)
    — for an exclusion protest naming no exclusion notice (`decision_date`) — or, for a
    presentation not recorded there, the one given at filing (`presented_on`, as before)."""
    from cee_workflow.states.liquidation_exclusion import exclusion_day

    given = iso(f.inputs.get("presented_on"))
    if given is not None:
        return given + timedelta(days=f.params.deemed_exclusion_days)
    if (entry.presented_on is None or decision != "exclusion"
            or f.inputs.get("decision_date") is not None):
        return None
    return entry.deemed_excluded_on or exclusion_day(entry.presented_on, entry.released_on,
                                                     f.params)


def deemed_exclusion_reached(f: Facts, decision: str) -> str | None:
    """An exclusion protest of merchandise not released lies only once it is deemed excluded,
    at the end of the 30th day after presentation; merchandise released within them was not
    excluded (1499(c)(5)(A))."""
    given = f.inputs.get("presented_on")
    if given and decision != "exclusion":
        return (f"presented_on dates a deemed exclusion (1499(c)(5)(A)); give it with "
                f"protested=exclusion, not {decision}")
    for entry in f.entries:
        if given and entry.presented_on is not None and iso(given) != entry.presented_on:
            return (f"entry {entry} records its presentation for examination on "
                    f"{entry.presented_on}, not {given}; leave presented_on out")
        recorded = (entry.presented_on is not None and decision == "exclusion"
                    and f.inputs.get("decision_date") is None)
        if not (given or recorded):
            continue  # an exclusion notice (decision_date), or no presentation at all
        presented = iso(given) or entry.presented_on
        day = deemed_exclusion_day(f, entry, decision)
        if day is None:
            return (f"the merchandise of entry {entry} presented on {presented} was released "
                    f"on {entry.released_on}, within {f.params.deemed_exclusion_days} days: it "
                    "was not excluded (19 U.S.C. 1499(c)(5)(A)); protest an exclusion notice "
                    "with its decision_date")
        if f.today <= day:
            return (f"merchandise presented on {presented} is deemed excluded only if not "
                    f"released within {f.params.deemed_exclusion_days} days, at the end of "
                    f"{day}; protest from {day + timedelta(days=1)}")
    return None


def issues_in_scope(f: Facts, decision: str) -> str | None:
    """A protest of a reliquidation raises only questions involved in that reliquidation; the
    others stay bound to the original liquidation's period (1514(d); 174.16)."""
    if decision != "reliquidation":
        return None
    from cee_workflow.states.liquidation_rules import protest_last_day
    issues = f.inputs.get("issues") or ()
    for entry in f.entries:
        involved = entry.reliquidated_issues
        if involved is None or entry.original_liquidated_on is None:
            continue  # what the reliquidation changed was not recorded: all its questions
        outside = [i for i in issues if i not in involved]
        last = protest_last_day(entry.original_liquidated_on, f.params, entry.entry_date)
        if outside and f.today > last:
            return (f"entry {entry}: the reliquidation changed only {', '.join(involved)}; "
                    f"{', '.join(outside)} belonged to the liquidation of "
                    f"{entry.original_liquidated_on}, protestable until {last} — drop them or "
                    "protest only what the reliquidation changed")
    return None


def consolidated_group(case_id: str, f: Facts, data: Mapping[str, Any]) -> tuple[str, ...]:
    """The other open protests consolidated with this one (same entry and category, any party):
    one request for accelerated disposition covers them all (19 CFR 174.22(e))."""
    root = data.get("consolidated_with") or case_id
    return tuple(sorted({p.id for e in f.entries for p in e.protests
                         if (p.consolidated_with or p.id) == root} - {case_id}))
