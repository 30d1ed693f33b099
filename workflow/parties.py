"""Trade parties other than the importer who may protest, and the cases they stand on
(19 U.S.C. 1514(c)(2); 19 CFR 174.12(a); REFERENCE.md §2).

A party is registered by an administrator (`cee party add`, an event of the registry's hash
chain) and mapped to a login like officers and filers (workflow/identity.py): it acts as
`party:ID`, never by naming itself in an input. Its FILER authority reaches protests only: the
other lifecycles' FILER actions (a PSC, an extension request, a prior disclosure) stay the
importer's. Readings chosen where the law does not say how the engine knows:

- Consignee and surety (1514(c)(2)(A): "the importers or consignees shown on the entry papers,
  or their sureties"): the entry records them (`cee entry add --consignee ID --surety ID`); the
  party stands on the cases of those entries only. A surety protests any decision on them; its
  own 180 days run from the demand on its bond (1514(c)(3), states/protest_parties.py).
- Payer (1514(c)(2)(B): "any person paying any charge or exaction"): the engine records no
  payments, so the registry does — a payer is registered for the importer whose charges it pays
  (`--importer`), and stands on that importer's cases; it protests only decisions that assess a
  charge (a liquidation, a reliquidation, a charge or exaction), not an exclusion or a drawback
  refusal.
- Drawback claimant (1514(a)(6), (c)(2)): registered for the importer whose drawback it claims;
  it protests only a refusal to pay a drawback claim.
- Agent (1514(c)(2): "or their agent"; 174.12(a)): stands only for a principal that authorized
  it — an administrator records the authorization (`cee party authorize AGENT --for filer:NUMBER
  | party:ID`, a registry event). It acts for the first of its principals (by label) that stands
  on the case; the filing records the principal as the protestant, with `agent` naming it. No
  sub-agency: an agent's principal is the importer or a non-agent party.
- "Amendments only by the original filer" (174.14) and the protestant's other acts on its
  protest (further review, accelerated disposition, set-aside and void requests, withdrawal,
  summons): only the protestant of record, or its authorized agent. In a consolidated protest
  each party acts on its own filing (174.15: one protest, filed by several; each amends its own).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cee_workflow.states.base import Acting
    from cee_workflow.storage.reads import Confinement
    from cee_workflow.workflow.jurisdiction import CaseScope

PARTY_ROLES = ("consignee", "surety", "payer", "drawback_claimant", "agent")
PARTY_RULE = "19 U.S.C. 1514(c)(2); 19 CFR 174.12(a)"
# Named on the entry papers (cee_entry.consignee, cee_entry.surety): 1514(c)(2)(A).
ENTRY_ROLES = ("consignee", "surety")
# Registered for the importer whose charges they pay or whose drawback they claim.
IMPORTER_ROLES = ("payer", "drawback_claimant")
# The decisions each role may protest (states/protest_guards.DECISIONS); a role not named: all.
DECISIONS_OF_ROLE = {
    "payer": ("liquidation", "reliquidation", "charge"),  # 1514(c)(2)(B): a charge it paid
    "drawback_claimant": ("drawback_refusal",),  # 1514(a)(6)
}


@dataclass(frozen=True)
class Party:
    """A registered trade party acting on protests (`party:ID`)."""

    id: str
    name: str
    role: str  # one of PARTY_ROLES
    stands_with: str | None = None  # a payer's or drawback claimant's importer
    principals: tuple[Any, ...] = ()  # an agent's: Filer or non-agent Party actors

    @property
    def label(self) -> str:
        return f"party:{self.id}"

    def describe(self) -> str:
        return f"{self.role.replace('_', ' ')} {self.label} ({self.name})"

    def stands_on(self, case: CaseScope) -> bool:
        """Whether the party may protest (and read) the case: see the module's readings."""
        if self.role in ENTRY_ROLES:
            return (self.role, self.id) in case.entry_parties
        if self.role in IMPORTER_ROLES:
            return self.stands_with == case.importer
        return self.principal_on(case) is not None

    def principal_on(self, case: CaseScope) -> Any | None:
        """An agent's principal that stands on the case (the first by label), or None."""
        for principal in sorted(self.principals, key=lambda p: p.label):
            standing = (principal.importer == case.importer if not isinstance(principal, Party)
                        else principal.stands_on(case))
            if standing:
                return principal
        return None


def read_scope_of(actor: Any) -> str | Confinement | None:
    """What a reader is confined to: a filer its importer's cases (the importer number); a
    party the cases it stands on (a Confinement); officers and the rest, nothing."""
    from cee_workflow.workflow.actors import Filer

    if isinstance(actor, Filer):
        return actor.importer
    if not isinstance(actor, Party):
        return None
    importers: set[str] = set()
    entry_parties: set[tuple[str, str]] = set()
    for who in (actor.principals if actor.role == "agent" else (actor,)):
        if isinstance(who, Filer):
            importers.add(who.importer)
        elif who.role in ENTRY_ROLES:
            entry_parties.add((who.role, who.id))
        elif who.stands_with:
            importers.add(who.stands_with)
    from cee_workflow.storage.reads import Confinement  # SQLAlchemy: not at start-up

    return Confinement(tuple(sorted(importers)), tuple(sorted(entry_parties)))


def needs_entry_parties(actor: Any, entries: list[str]) -> bool:
    """Whether judging `actor` on a case of these entries reads the entries' parties."""
    return isinstance(actor, Party) and bool(entries)


def with_entry_parties(session: Any, scope: CaseScope, entries: list[str], actor: Any
                       ) -> CaseScope:
    """`scope` with the parties its entries record (surety, consignee), read only when a trade
    party is judged on it."""
    if not needs_entry_parties(actor, entries):
        return scope
    from dataclasses import replace

    from cee_workflow.storage import queries

    return replace(scope, entry_parties=queries.entry_parties(session, entries))


def acting_of(actor: Any, scope: CaseScope) -> Acting | None:
    """The protestant a FILER actor files or acts as: the importer, the party, or an agent's
    principal on the case (the filing records it from the actor, never from an input)."""
    from cee_workflow.states.base import Acting
    from cee_workflow.workflow.actors import Filer

    if isinstance(actor, Filer):
        return Acting(actor.importer)
    if not isinstance(actor, Party):
        return None
    if actor.role != "agent":
        return Acting(actor.id, actor.role)
    principal = actor.principal_on(scope)
    if principal is None:
        return None
    if isinstance(principal, Party):
        return Acting(principal.id, principal.role, agent=actor.id)
    return Acting(principal.importer, agent=actor.id)
