"""Who is acting: the established identity, not an assertion (README "Security model").

The established login is what the deployment already authenticates:
- PostgreSQL: the session's login role, `session_user` (not `current_user`, which `SET ROLE`
  changes within the session);
- SQLite (one file, one machine): the operating-system user the process runs as, from its real
  uid (`pwd`), never from environment variables (`USER`, `LOGNAME`), which anyone can set.

A login maps to at most one officer, filer or trade party (the `login` column of
`cee_officer`, `cee_importer` or `cee_party`) and, separately, to at most one registry
administrator (`cee_administrator`):
one person may both keep the registry and act on cases, but the engine always knows which hat
an action needs. On a real database `--as` / `CEE_ACTOR` may only name one of the login's own
identities; on a simulation database (the demo, the tests) they name anyone registered.
"""

from __future__ import annotations

import os

import sqlalchemy as sa

from cee_workflow.states.authority import Role
from cee_workflow.storage.prepared import Prepared
from cee_workflow.storage.types import JSONData
from cee_workflow.workflow.actors import Actor, Administrator, Filer, Officer, Party
from cee_workflow.workflow.errors import IdentityRefused, NotPermitted
from cee_workflow.workflow.identifiers import parse_importer_number

OFFICER = sa.table("cee_officer", *(sa.column(c) for c in (
    "id", "name", "office", "unit", "role", "login", "active")))
OFFICE = sa.table("cee_office", sa.column("code"), sa.column("kind"))
IMPORTER = sa.table("cee_importer", sa.column("number"), sa.column("login"))
ADMIN = sa.table("cee_administrator", *(sa.column(c) for c in ("id", "name", "login", "active")))
PARTY = sa.table("cee_party", *(sa.column(c) for c in (
    "id", "name", "role", "login", "importer", "active")), sa.column("principals", JSONData()))
RESERVED = ("system", "sys")
# The administrator a simulation database is created with (storage/migrate.py seeds it): the
# registry of a demo or a test needs someone to keep it, and nobody's login is real there.
SIMULATION_ADMIN = "admin"


def established_login(db: sa.Engine | sa.Connection) -> str:
    """The PostgreSQL session's login role, or the process's operating-system user."""
    if db.dialect.name == "postgresql":
        if isinstance(db, sa.Connection):
            return db.exec_driver_sql("SELECT session_user").scalar_one()
        with db.connect() as connection:
            return connection.exec_driver_sql("SELECT session_user").scalar_one()
    return os_user()


def os_user() -> str:
    try:
        import pwd

        return pwd.getpwuid(os.getuid()).pw_name
    except (ImportError, KeyError):  # no passwd entry (a container's bare uid), or not POSIX
        import getpass

        return getpass.getuser()


def identities(connection: sa.Connection, login: str) -> tuple[Actor | None, Administrator | None]:
    """The officer or filer and the administrator mapped to `login` (deactivated refused)."""
    officer = connection.execute(sa.select(OFFICER).where(OFFICER.c.login == login)).first()
    filer = connection.execute(sa.select(IMPORTER.c.number)
                               .where(IMPORTER.c.login == login)).first()
    admin = connection.execute(sa.select(ADMIN).where(ADMIN.c.login == login)).first()
    party = connection.execute(sa.select(PARTY).where(PARTY.c.login == login)).first()
    held = [f"officer {officer.id}"] if officer is not None else []
    held += [f"the filer of importer {filer.number}"] if filer is not None else []
    held += [f"party {party.id}"] if party is not None else []
    if len(held) > 1:
        raise IdentityRefused(f"login {login!r} is mapped to {' and to '.join(held)}: an "
                              "administrator must map it to one of them only")
    actor = (_officer(connection, officer) if officer is not None
             else Filer(filer.number) if filer is not None
             else _party(connection, party) if party is not None else None)
    return actor, (_admin(admin) if admin is not None else None)


def by_label(connection: sa.Connection, text: str) -> Actor:
    """An officer id, an administrator id or filer:<importer number> (simulation databases,
    where `--as` names anyone registered); deactivated identities refused."""
    from cee_workflow.workflow.registry import valid_officer_id

    if text.strip().lower() in RESERVED:
        raise NotPermitted("nobody may act as the system: operation of law is the scheduler's")
    if text.startswith("filer:"):
        number = parse_importer_number(text[len("filer:"):])
        found = connection.execute(sa.select(IMPORTER.c.number)
                                   .where(IMPORTER.c.number == number)).first()
        if found is None:
            raise NotPermitted(f"{text}: no such importer is registered; a filer acts for a "
                               "registered importer")
        return Filer(number)
    if text.startswith("party:"):
        row = connection.execute(sa.select(PARTY).where(
            PARTY.c.id == text[len("party:"):])).first()
        if row is None:
            raise NotPermitted(f"{text}: no such party is registered; ask an administrator to "
                               "run `cee party add`")
        return _party(connection, row)
    if valid_officer_id(text):
        row = connection.execute(sa.select(OFFICER).where(OFFICER.c.id == text)).first()
        if row is not None:
            return _officer(connection, row)
        admin = connection.execute(sa.select(ADMIN).where(ADMIN.c.id == text)).first()
        if admin is not None:
            return _admin(admin)
    raise NotPermitted(f"officer {text!r} is not registered; ask an administrator to run "
                       "`cee officer add`")


def resolve(connection: sa.Connection, text: str | None, *, simulation: bool,
            registrar: bool = False) -> Actor:
    """Who acts. `registrar`: the action keeps the registry, so a login's administrator is
    meant when no `--as` is given (else its officer or filer)."""
    if simulation:
        if text:
            return by_label(connection, text)
        actor, admin = identities(connection, established_login(connection))
        if registrar:
            return admin or by_label(connection, SIMULATION_ADMIN)
        if actor is None:
            raise NotPermitted("no actor given: pass --as OFFICER_ID or --as filer:IMPORTER "
                               "(or set CEE_ACTOR)")
        return actor
    login = established_login(connection)
    actor, admin = identities(connection, login)
    mine = [a for a in ((admin, actor) if registrar else (actor, admin)) if a is not None]
    if not mine:
        raise IdentityRefused(
            f"login {login!r} is not mapped to any registered officer, filer or administrator "
            "of this database; ask an administrator to register you with --login "
            f"{login}")
    if not text:
        return mine[0]
    for candidate in mine:
        if candidate.label == text.strip():
            return candidate
    raise IdentityRefused(
        f"--as {text} is refused: this is a real database and your established identity "
        f"(login {login!r}) is {' and '.join(a.label for a in mine)}; drop --as or name "
        "yourself")


_ACTIVE = tuple((kind, Prepared(sa.select(table.c.active).where(table.c.id == sa.bindparam("id"))))
                for kind, table in ((Officer, OFFICER), (Administrator, ADMIN), (Party, PARTY)))


def still_active(connection: sa.Connection, actor: Actor) -> None:
    """IdentityRefused if `actor` was deactivated (checked at the moment it acts)."""
    statement = next((s for kind, s in _ACTIVE if isinstance(actor, kind)), None)
    if statement is None:  # a filer: its importer's login, resolved with it
        return
    if connection.in_transaction():  # every advance asks: prepared, in its transaction
        rows = statement.run(connection, {"id": actor.id})[0]
    else:
        rows = connection.execute(statement.statement, {"id": actor.id}).all()
    if not rows:
        raise IdentityRefused(f"{actor.describe()} is not registered in this database")
    if not rows[0][0]:
        what = ("officer" if isinstance(actor, Officer) else "party" if isinstance(actor, Party)
                else "administrator")
        raise IdentityRefused(f"{what} {actor.id} is deactivated: it may no longer act or read "
                              "as an actor; ask an administrator")


def _officer(connection: sa.Connection, row) -> Officer:
    if not row.active:
        raise IdentityRefused(f"officer {row.id} is deactivated: it may no longer act or read "
                              "as an actor; ask an administrator")
    kind = connection.execute(sa.select(OFFICE.c.kind)
                              .where(OFFICE.c.code == row.office)).scalar_one()
    return Officer(id=row.id, name=row.name, office=row.office, office_kind=kind, unit=row.unit,
                   role=Role(row.role))


def _admin(row) -> Administrator:
    if not row.active:
        raise IdentityRefused(f"administrator {row.id} is deactivated; ask another "
                              "administrator")
    return Administrator(id=row.id, name=row.name)


def _party(connection: sa.Connection, row, *, principal: bool = False) -> Party:
    """A trade party; an agent with the principals that authorized it (no sub-agency)."""
    if not row.active:
        raise IdentityRefused(f"party {row.id} is deactivated: it may no longer act or read "
                              "as an actor; ask an administrator")
    principals: list[Actor] = []
    if row.role == "agent" and not principal:
        for label in row.principals or ():
            if label.startswith("filer:"):
                principals.append(Filer(label[len("filer:"):]))
                continue
            found = connection.execute(sa.select(PARTY).where(
                PARTY.c.id == label[len("party:"):])).first()
            if found is not None and found.active and found.role != "agent":
                principals.append(_party(connection, found, principal=True))
    return Party(id=row.id, name=row.name, role=row.role, stands_with=row.importer,
                 principals=tuple(principals))
