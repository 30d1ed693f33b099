"""Registering trade parties who may protest, and an agent's principals (workflow/parties.py
for who they are and where they stand). An administrator's acts, each an event of the
registry's hash chain (workflow/registry_chain.py) in the same transaction as the row.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, func, select

from cee_workflow.storage.database import transaction
from cee_workflow.storage.models import Administrator, Importer, Party
from cee_workflow.storage.models import Officer as OfficerRow
from cee_workflow.workflow import registry
from cee_workflow.workflow.errors import InvalidInput, NotFound
from cee_workflow.workflow.identifiers import parse_importer_number
from cee_workflow.workflow.jurisdiction import Actor
from cee_workflow.workflow.parties import IMPORTER_ROLES, PARTY_ROLES, PARTY_RULE


def add_party(db, actor: Actor, at: datetime, party_id: str, name: str, role: str,
              login: str | None, importer: str | None) -> dict[str, Any]:
    from cee_workflow.workflow.registry_ops import _record, require_admin

    with transaction(db) as session:
        admin = require_admin(session.connection(), actor, f"registering party {party_id!r}")
        row = _new_party(session, party_id, name, role, login, importer)
        data = {"name": row.name, "role": row.role, "login": row.login,
                "importer": row.importer, "principals": [], "active": True}
        _record(session, admin.id, "party.add", row.id, data, at)
        return {"id": row.id, **data}


def authorize_agent(db, actor: Actor, at: datetime, agent_id: str, principal: str
                    ) -> dict[str, Any]:
    """Record that `principal` (filer:NUMBER or party:ID) authorized agent `agent_id` to
    protest for it (19 U.S.C. 1514(c)(2); 19 CFR 174.12(a))."""
    from cee_workflow.workflow.registry_ops import _record, require_admin

    with transaction(db) as session:
        admin = require_admin(session.connection(), actor, f"authorizing agent {agent_id!r}")
        agent = _party(session, agent_id)
        if agent.role != "agent":
            raise InvalidInput(f"party {agent_id} is a {agent.role}, not an agent: only an "
                               "agent acts for a principal")
        label = _principal(session, principal)
        if label in agent.principals:
            raise InvalidInput(f"agent {agent_id} is already authorized by {label}")
        agent.principals = sorted({*agent.principals, label})
        session.add(agent)
        _record(session, admin.id, "party.authorize", agent.id,
                {"principals": list(agent.principals)}, at)
        return {"id": agent.id, "principals": list(agent.principals)}


def parties(db) -> list[dict[str, Any]]:
    with transaction(db, write=False) as session:
        return [{"id": p.id, "name": p.name, "role": p.role, "login": p.login,
                 "importer": p.importer, "principals": list(p.principals), "active": p.active}
                for p in session.exec(select(Party).order_by(Party.id))]


def entry_party(session: Session, party_id: str | None, role: str) -> str | None:
    """The party an entry records as its `role` (surety, consignee): registered, in that role."""
    if party_id is None:
        return None
    row = _party(session, party_id)
    if row.role != role:
        raise InvalidInput(f"party {party_id} is registered as a {row.role}, not a {role}")
    return row.id


def _new_party(session: Session, party_id: str, name: str, role: str, login: str | None,
               importer: str | None) -> Party:
    if not registry.valid_officer_id(party_id) or party_id.lower() in registry.RESERVED_IDS:
        raise InvalidInput(f"party id {party_id!r} must be 1–64 ASCII letters, digits, '.', '_' "
                           "or '-', starting with a letter or digit (not system)")
    taken = (session.exec(select(Party.id).where(func.lower(Party.id) == party_id.lower()))
             .first())
    if taken is not None:
        raise InvalidInput(f"party {taken} is already registered (ids are unique regardless "
                           "of case)")
    if role not in PARTY_ROLES:
        raise InvalidInput(f"role {role!r} must be one of {', '.join(PARTY_ROLES)} "
                           f"({PARTY_RULE})")
    if role in IMPORTER_ROLES and importer is None:
        raise InvalidInput(f"a {role} is registered for the importer it stands with: give "
                           "--importer NUMBER")
    if role not in IMPORTER_ROLES and importer is not None:
        raise InvalidInput(f"--importer is for a payer or a drawback claimant, not a {role} "
                           "(a surety or consignee is recorded on the entry: `cee entry add "
                           "--surety/--consignee`; an agent is authorized: `cee party "
                           "authorize`)")
    if importer is not None:
        importer = registry.importer(session, importer).number
    if session.get(OfficerRow, party_id) is not None or session.get(Administrator,
                                                                     party_id) is not None:
        raise InvalidInput(f"{party_id} is an officer's or administrator's id; a party needs "
                           "its own")
    row = Party(id=party_id, name=name, role=role, login=registry.check_login(session, login),
                importer=importer, principals=[], active=True)
    session.add(row)
    session.flush()
    return row


def _party(session: Session, party_id: str) -> Party:
    row = session.get(Party, party_id) if registry.valid_officer_id(party_id) else None
    if row is None:
        raise NotFound("party", party_id, "list them with `cee party list`")
    return row


def _principal(session: Session, text: str) -> str:
    if text.startswith("filer:"):
        number = parse_importer_number(text[len("filer:"):])
        if session.get(Importer, number) is None:
            raise NotFound("importer", number, "register it with `cee importer add`")
        return f"filer:{number}"
    if text.startswith("party:"):
        row = _party(session, text[len("party:"):])
        if row.role == "agent":
            raise InvalidInput(f"party {row.id} is itself an agent: an agent acts for the "
                               "importer or a party, not for another agent")
        return f"party:{row.id}"
    raise InvalidInput(f"--for {text!r} must be filer:IMPORTER_NUMBER or party:ID")
