"""Who is acting, and whether they may: authority (the rulebook) and jurisdiction (the case).

A port officer acts only on cases of their port; a center officer only on cases of their center.
Authority without jurisdiction is refused with a message that names both. Under Delegation Order
14-004 (2014-09-11 … 2017-01-18) a port director also holds center authority on cases of the port;
the grant records that it was shared.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from cee_workflow.states.authority import DO_14_004, Authority, regime_at
from cee_workflow.states.base import TransitionSpec
from cee_workflow.states.params import DEFAULT_PARAMS, RuleParams
from cee_workflow.workflow.actors import (  # noqa: F401 (re-exported: the actors live there)
    SYSTEM,
    Actor,
    Administrator,
    Filer,
    Officer,
    System,
)
from cee_workflow.workflow.errors import NotPermitted
from cee_workflow.workflow.parties import PARTY_RULE, Party


@dataclass(frozen=True)
class CaseScope:
    """The jurisdictional facts of a case."""

    id: str  # the case id, or what a case not yet opened would be ("a new protest on …")
    importer: str
    port: str
    center: str
    case_id: str | None = None  # the id of an existing case (errors carry it)
    kind: str = ""  # its lifecycle: a trade party's FILER authority reaches protests only
    # (role, party id) of the parties its entries record (surety, consignee): read only when a
    # party acts or reads (workflow/parties.py).
    entry_parties: frozenset[tuple[str, str]] = frozenset()


@dataclass(frozen=True)
class Grant:
    authority: str  # as recorded on the event, e.g. "CENTER" or "CENTER (shared: port director)"
    regime: str


def authorize(spec: TransitionSpec, actor: Actor, case: CaseScope, day: date,
              params: RuleParams = DEFAULT_PARAMS) -> Grant:
    """The grant under which `actor` may take `spec` on `case` on `day`, or NotPermitted.

    The regime is the one in force on `day` for the case's center (REFERENCE.md §0): the port
    alone before the center implemented Delegation Order 14-004, shared until 2017-01-18, the
    center alone from CBP Dec. 16-26 (2017-01-19)."""
    regime = regime_at(day, case.center, params.apparel_center_implemented_on)
    regime_name = regime.name
    action = f"{spec.trigger} on {case.id}"
    if spec.authority is Authority.SYSTEM:
        if actor is not SYSTEM:
            raise NotPermitted(
                f"{action} happens by operation of law (SYSTEM, {spec.citation}); "
                f"{actor.describe()} cannot take it — the scheduler records it when it is due",
                **_fields(spec, case))
        return Grant("SYSTEM", regime_name)
    if actor is SYSTEM:
        raise NotPermitted(f"{action} needs {spec.who} authority; the system acts only by law",
                           **_fields(spec, case))
    if spec.authority is Authority.FILER and isinstance(actor, Party):
        return _party_grant(spec, actor, case, regime_name, action)
    if spec.authority is Authority.FILER:
        if not isinstance(actor, Filer):
            raise NotPermitted(
                f"{action} is the filer's action (FILER, {spec.citation}); "
                f"{actor.describe()} cannot take it",
                **_fields(spec, case))
        if actor.importer != case.importer:
            raise NotPermitted(
                f"{actor.describe()} has no standing on {case.id}: it concerns importer "
                f"{case.importer}; act as filer:{case.importer}",
                **_fields(spec, case))
        return Grant("FILER", regime_name)
    if not isinstance(actor, Officer):
        raise NotPermitted(f"{action} needs {spec.who} authority ({spec.citation}); "
                           + ("a filer cannot take it" if isinstance(actor, Filer | Party)
                              else f"{actor.describe()} cannot take it"),
                           **_fields(spec, case))
    if (spec.authority is Authority.HQ) != (actor.office_kind == "hq"):
        raise NotPermitted(_hq_refusal(spec, actor, action), **_fields(spec, case))
    grant = (Grant("HQ", regime_name) if spec.authority is Authority.HQ
             else _office_grant(spec, actor, case, regime.name, regime, action))
    if spec.unit and actor.unit != spec.unit:
        raise NotPermitted(f"{action} needs {spec.who} authority ({spec.citation}); "
                           f"{actor.describe()} is not in unit {spec.unit}",
                           **_fields(spec, case))
    if spec.role and actor.role.rank < spec.role.rank:
        raise NotPermitted(f"{action} needs a {spec.role.value} ({spec.citation}); "
                           f"{actor.describe()} is not",
                           **_fields(spec, case))
    return grant


def has_standing(actor: Actor, case: CaseScope) -> bool:
    """Whether `actor` has any standing on `case`: a filer only on its own importer's cases, an
    officer only on cases of its port or center (Headquarters on all), an administrator on
    none (the system on all: operation of law)."""
    if actor is SYSTEM:
        return True
    if isinstance(actor, Filer):
        return actor.importer == case.importer
    if isinstance(actor, Party):
        return actor.stands_on(case)
    if isinstance(actor, Officer):  # Headquarters acts nationally, where the law names it
        return actor.office_kind == "hq" or actor.office in (case.port, case.center)
    return False


def require_standing(actor: Actor, case: CaseScope, action: str) -> None:
    """NotPermitted unless `actor` has standing on `case` (has_standing)."""
    if not has_standing(actor, case):
        raise NotPermitted(f"{actor.describe()} has no standing on {case.id}: {action} is not "
                           "yours to take (not your importer, port or center)",
                           case=case.case_id)


def _party_grant(spec: TransitionSpec, actor: Party, case: CaseScope, regime_name: str,
                 action: str) -> Grant:
    """A trade party files and acts on protests only, where it stands (workflow/parties.py)."""
    if case.kind != "protest":
        raise NotPermitted(
            f"{action} is the importer's (FILER, {spec.citation}); {actor.describe()} acts only "
            f"on protests ({PARTY_RULE})", **_fields(spec, case))
    if not actor.stands_on(case):
        raise NotPermitted(
            f"{actor.describe()} has no standing on {case.id} ({PARTY_RULE}): "
            + _why_no_standing(actor), **_fields(spec, case))
    return Grant("FILER", regime_name)


def _why_no_standing(actor: Party) -> str:
    if actor.role == "agent":
        return ("no principal that authorized it stands on these entries; the principal "
                "authorizes it with `cee party authorize`")
    if actor.role in ("consignee", "surety"):
        return f"the entries do not name it as their {actor.role} (`cee entry add --{actor.role}`)"
    return f"it is registered for importer {actor.stands_with}, not this one"


def _hq_refusal(spec: TransitionSpec, actor: Officer, action: str) -> str:
    """Headquarters acts nationally, and only where the law names it (1515(c); 174.26(b)(1))."""
    if spec.authority is Authority.HQ:
        return (f"{action} needs HQ authority (the Commissioner, {spec.citation}); "
                f"{actor.describe()} is not at Headquarters")
    return (f"{action} needs {spec.who} authority ({spec.citation}); {actor.describe()} is at "
            "Headquarters, which acts on protests only where the law names it")


def _fields(spec: TransitionSpec, case: CaseScope) -> dict[str, str | None]:
    return {"case": case.case_id, "trigger": spec.trigger, "rule": spec.citation}


def _office_grant(spec, actor: Officer, case: CaseScope, regime_name, regime, action) -> Grant:
    needs = spec.authority
    if actor.office_kind == "port":
        held = needs is Authority.CENTER and regime.port_holds_center_authority
        shared = (needs is Authority.CENTER
                  and actor.role in regime.port_roles_sharing_center_authority)
        if needs not in (Authority.PORT, Authority.JOINT) and not (shared or held):
            raise NotPermitted(
                f"{action} needs {spec.who} authority ({spec.citation}, {regime.citation}); "
                f"{actor.describe()} holds port authority — center {case.center} decides",
                **_fields(spec, case))
        if actor.office != case.port:
            raise NotPermitted(
                f"{actor.describe()} has {spec.who} authority but no jurisdiction over "
                f"{case.id}, a case of port {case.port}",
                **_fields(spec, case))
        if held:
            # The event's authority column holds 80 characters: the regime's dates and source
            # are in `cee rules` and the matrix.
            return Grant(f"CENTER (held by the port before DO 14-004 at center {case.center})",
                         regime_name)
        if shared:
            return Grant(f"CENTER (shared by port director, {DO_14_004})", regime_name)
        return Grant("PORT" if needs is Authority.PORT else "JOINT (port)", regime_name)
    if regime.port_holds_center_authority and needs is not Authority.PORT:
        raise NotPermitted(
            f"{action}: {DO_14_004} took effect at center {case.center} only on "
            f"{regime.end + timedelta(days=1)}; before it port {case.port} decides "
            f"({regime.citation})", **_fields(spec, case))
    if needs not in (Authority.CENTER, Authority.JOINT):
        raise NotPermitted(
            f"{action} needs {spec.who} authority ({spec.citation}); {actor.describe()} holds "
            f"center authority — port {case.port} acts",
            **_fields(spec, case))
    if actor.office != case.center:
        raise NotPermitted(
            f"{actor.describe()} has {spec.who} authority but no jurisdiction over "
            f"{case.id}, a case of center {case.center}",
            **_fields(spec, case))
    return Grant("CENTER" if needs is Authority.CENTER else "JOINT (center)", regime_name)
