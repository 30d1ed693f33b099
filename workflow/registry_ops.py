"""Authority over the registry: only an administrator registers or changes offices, officers
and importers, and each change is an event of the registry's hash chain (registry_chain.py),
written in the same transaction as the row it explains.

The first administrator is bootstrapped once, by `cee db upgrade --admin ID` on a database that
has none; a simulation database is created with one (`admin`, identity.SIMULATION_ADMIN), so
that the demo and the tests keep their registry without naming anyone.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from cee_workflow.storage.database import transaction
from cee_workflow.storage.models import Administrator as AdminRow
from cee_workflow.storage.models import Officer as OfficerRow
from cee_workflow.workflow import registry, registry_chain
from cee_workflow.workflow.errors import InvalidInput, NotPermitted
from cee_workflow.workflow.identity import SIMULATION_ADMIN, still_active
from cee_workflow.workflow.jurisdiction import Actor, Administrator

BOOTSTRAP = "bootstrap"  # the actor of the first administrator's event: nobody registered it


def require_admin(connection: sa.Connection, actor: Actor, what: str) -> Administrator:
    if not isinstance(actor, Administrator):
        raise NotPermitted(f"{what} needs a registry administrator; {actor.describe()} is not "
                           "one (an administrator is named by `cee db upgrade --admin ID`)")
    still_active(connection, actor)
    return actor


def _record(session: Session, actor: str, action: str, subject: str, data: dict[str, Any],
            at: datetime) -> None:
    session.flush()
    registry_chain.append(session.connection(), at=at, actor=actor, action=action,
                          subject=subject, data=data)


def add_office(db, actor: Actor, at: datetime, code: str, kind: str, name: str) -> None:
    with transaction(db) as session:
        admin = require_admin(session.connection(), actor, f"registering {kind} {code}")
        registry.add_office(session, code, kind, name)
        _record(session, admin.id, "office.add", code, {"kind": kind, "name": name}, at)


def add_officer(db, actor: Actor, at: datetime, officer_id: str, name: str, office: str,
                unit: str | None, role: str, login: str | None) -> None:
    with transaction(db) as session:
        admin = require_admin(session.connection(), actor, f"registering officer {officer_id!r}")
        row = registry.add_officer(session, officer_id, name, office, unit, role, login)
        _record(session, admin.id, "officer.add", row.id,
                {"name": name, "office": office, "unit": unit, "role": role, "login": row.login,
                 "active": True}, at)


def add_importer(db, actor: Actor, at: datetime, number: str, name: str, center: str,
                 trusted: list[str], login: str | None) -> str:
    with transaction(db) as session:
        admin = require_admin(session.connection(), actor, f"registering importer {number!r}")
        row = registry.add_importer(session, number, name, center, trusted, login)
        _record(session, admin.id, "importer.add", row.number,
                {"name": name, "center": center, "trusted": row.trusted, "login": row.login}, at)
        return row.number


def deactivate_officer(db, actor: Actor, at: datetime, officer_id: str) -> None:
    with transaction(db) as session:
        admin = require_admin(session.connection(), actor,
                              f"deactivating officer {officer_id!r}")
        row = session.get(OfficerRow, officer_id) if registry.valid_officer_id(
            officer_id) else None
        if row is None:
            from cee_workflow.workflow.suggest import did_you_mean

            known = session.exec(select(OfficerRow.id).order_by(OfficerRow.id)).all()
            raise InvalidInput(f"officer {officer_id!r} is not registered"
                               + did_you_mean(officer_id, known, what="officers"))
        if not row.active:
            raise InvalidInput(f"officer {officer_id} is already deactivated")
        row.active = False
        _record(session, admin.id, "officer.deactivate", row.id, {"active": False}, at)


def add_administrator(db, actor: Actor, at: datetime, admin_id: str, name: str,
                      login: str) -> None:
    """Another administrator, named by an administrator."""
    with transaction(db) as session:
        admin = require_admin(session.connection(), actor,
                              f"naming administrator {admin_id!r}")
        if session.get(AdminRow, admin_id) is not None:
            raise InvalidInput(f"administrator {admin_id} is already registered")
        _add_admin(session, admin_id, name, login, admin.id, at)


def officers(db) -> list[dict[str, Any]]:
    with transaction(db, write=False) as session:
        rows = session.exec(select(OfficerRow).order_by(OfficerRow.id))
        return [{"id": r.id, "name": r.name, "office": r.office, "unit": r.unit,
                 "role": r.role, "login": r.login, "active": r.active} for r in rows]


def bootstrap_admin(db, admin_id: str, login: str, at: datetime, name: str | None = None
                    ) -> None:
    """Name the first administrator; refused once there is one (NotPermitted)."""
    with transaction(db) as session:
        existing = session.exec(select(AdminRow.id)).first()
        if existing is not None:
            raise NotPermitted(f"this database already has an administrator ({existing}): the "
                               "first is named once; an administrator registers the rest")
        _add_admin(session, admin_id, name or admin_id, login, BOOTSTRAP, at)


def bootstrap_simulation_admin(session: Session) -> None:
    """A simulation database's administrator (idempotent; storage/migrate.py seed)."""
    if session.exec(select(AdminRow.id)).first() is None:
        _add_admin(session, SIMULATION_ADMIN, "Simulation administrator",
                   f"simulation:{SIMULATION_ADMIN}", BOOTSTRAP, datetime.now(UTC))


def _add_admin(session: Session, admin_id: str, name: str, login: str, by: str,
               at: datetime) -> None:
    if not registry.valid_officer_id(admin_id) or admin_id.lower() in registry.RESERVED_IDS:
        raise InvalidInput(f"administrator id {admin_id!r} must be 1–64 ASCII letters, digits, "
                           "'.', '_' or '-' (not system)")
    if session.get(OfficerRow, admin_id) is not None:
        raise InvalidInput(f"{admin_id} is an officer's id; an administrator needs its own")
    if not registry.valid_login(login):
        raise InvalidInput(f"login {login!r} must be 1–63 characters without spaces or control "
                           "characters (a PostgreSQL role or operating-system user name)")
    if session.exec(select(AdminRow.id).where(AdminRow.login == login)).first() is not None:
        raise InvalidInput(f"login {login!r} is already an administrator's")
    session.add(AdminRow(id=admin_id, name=name, login=login, active=True))
    _record(session, by, "administrator.add", admin_id,
            {"name": name, "login": login, "active": True}, at)

