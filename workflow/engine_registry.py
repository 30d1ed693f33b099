"""The engine's registry and identity half: who keeps the registry, and who is acting.

`Engine` inherits it. Registry changes are an administrator's (workflow/registry_ops.py), each an
event of the registry's chain; actors are resolved from the established identity
(workflow/identity.py) and, on a real database, only an actor the engine resolved may act.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from cee_workflow.storage.database import transaction
from cee_workflow.workflow.jurisdiction import SYSTEM, Actor


class RegistryMixin:
    """Needs `db`, `clock`, `is_simulation()` (and its cache, `_simulation`),
    `_require_real_time()` and `_resolved` (a dict the engine's __init__ makes)."""

    def add_office(self, code: str, kind: str, name: str, *, actor: Actor | None = None
                   ) -> None:
        """Register a port (4 digits, Schedule D) or a center (3 digits); an administrator's
        act (`actor`, default: the established administrator)."""
        from cee_workflow.workflow import registry_ops

        registry_ops.add_office(self.db, self._registrar(actor), self._registry_now(), code,
                                kind, name)

    def offices(self) -> list[dict[str, str]]:
        from sqlmodel import select

        from cee_workflow.storage.models import Office
        with transaction(self.db, write=False) as session:
            rows = session.exec(select(Office).order_by(Office.kind, Office.code))
            return [{"code": o.code, "kind": o.kind, "name": o.name} for o in rows]

    def add_officer(self, officer_id: str, *, name: str, office: str, unit: str | None = None,
                    role: str = "officer", login: str | None = None,
                    actor: Actor | None = None) -> None:
        """Register an officer (`login`: the database role or OS user that is them)."""
        from cee_workflow.workflow import registry_ops

        registry_ops.add_officer(self.db, self._registrar(actor), self._registry_now(),
                                 officer_id, name, office, unit, role, login)

    def deactivate_officer(self, officer_id: str, *, actor: Actor | None = None) -> None:
        """Deactivate an officer: refused from then on everywhere (an administrator's act)."""
        from cee_workflow.workflow import registry_ops

        registry_ops.deactivate_officer(self.db, self._registrar(actor), self._registry_now(),
                                        officer_id)

    def add_administrator(self, admin_id: str, *, name: str, login: str,
                          actor: Actor | None = None) -> None:
        """Name another registry administrator (an administrator's act)."""
        from cee_workflow.workflow import registry_ops

        registry_ops.add_administrator(self.db, self._registrar(actor), self._registry_now(),
                                       admin_id, name, login)

    def officers(self) -> list[dict[str, Any]]:
        from cee_workflow.workflow import registry_ops

        return registry_ops.officers(self.db)

    def add_importer(self, number: str, *, name: str, center: str,
                     trusted: Iterable[str] = (), login: str | None = None,
                     actor: Actor | None = None) -> str:
        from cee_workflow.workflow import registry_ops

        return registry_ops.add_importer(self.db, self._registrar(actor), self._registry_now(),
                                         number, name, center, list(trusted), login)

    def add_party(self, party_id: str, *, name: str, role: str, login: str | None = None,
                  importer: str | None = None, actor: Actor | None = None) -> dict[str, Any]:
        """Register a trade party who may protest (19 U.S.C. 1514(c)(2)): a consignee, surety,
        payer, drawback claimant or agent (workflow/parties.py); `importer`: a payer's or
        drawback claimant's. An administrator's act."""
        from cee_workflow.workflow import registry_parties

        return registry_parties.add_party(self.db, self._registrar(actor), self._registry_now(),
                                          party_id, name, role, login, importer)

    def authorize_agent(self, agent_id: str, *, principal: str, actor: Actor | None = None
                        ) -> dict[str, Any]:
        """Record that `principal` (filer:NUMBER or party:ID) authorized the agent to protest
        for it. An administrator's act."""
        from cee_workflow.workflow import registry_parties

        return registry_parties.authorize_agent(self.db, self._registrar(actor),
                                                self._registry_now(), agent_id, principal)

    def parties(self) -> list[dict[str, Any]]:
        from cee_workflow.workflow import registry_parties

        return registry_parties.parties(self.db)

    def actor(self, text: str | None = None) -> Actor:
        """Who is acting. On a real database: the established identity (PostgreSQL login role,
        SQLite OS user) mapped to its officer, filer, party or administrator; `text` (`--as`) may
        only name it (IdentityRefused). On a simulation database: `text` names anyone registered
        (an officer id, an administrator id, filer:<importer number> or party:<id>)."""
        return self._resolve(text, registrar=False)

    def registrar(self, text: str | None = None) -> Actor:
        """As `actor`, for a registry change: without `text` the login's administrator (on a
        simulation database, `admin`)."""
        return self._resolve(text, registrar=True)

    def _resolve(self, text: str | None, *, registrar: bool) -> Actor:
        from cee_workflow.workflow.identity import resolve

        with self._identity_reads() as connection:
            simulation = self.is_simulation()
            found = resolve(connection, text, simulation=simulation, registrar=registrar)
        if len(self._resolved) > 1024:  # forget the actors nobody holds any more
            self._resolved = {k: r for k, r in self._resolved.items() if r() is not None}
        self._resolved[id(found)] = weakref.ref(found)
        return found

    def recognize(self, actor: Actor) -> Actor:
        """Accept `actor` — resolved by a `Reader` or another `Engine` of this database — as
        resolved by this engine, once this engine has resolved the established identity
        itself and found the same actor (else IdentityRefused): a hand-made `Officer` that
        happens to be the login's is as good as the login's own, and no other is."""
        from cee_workflow.workflow.actors import Administrator
        from cee_workflow.workflow.errors import IdentityRefused

        found = self._resolve(actor.label, registrar=isinstance(actor, Administrator))
        if found != actor:
            raise IdentityRefused(f"{actor.describe()} is not the established identity of this "
                                  "database's login; get it from engine.actor()")
        self._resolved[id(actor)] = weakref.ref(actor)
        return actor

    def _admit(self, actor: Actor, *, active_check: bool = True) -> None:
        """On a real database only actors this engine resolved act (a hand-made `Officer` is
        refused); on every database a deactivated one is refused (`active_check=False`: the
        caller checks that in its own transaction, identity.still_active)."""
        if actor is SYSTEM:
            return
        from cee_workflow.workflow.errors import IdentityRefused
        from cee_workflow.workflow.identity import still_active

        known = self._resolved.get(id(actor))
        simulation = self._simulation  # read once per engine (Engine.is_simulation)
        if simulation is None:
            with self._identity_reads():  # its faults typed (a locked SQLite file says so)
                simulation = self.is_simulation()
        if not simulation and (known is None or known() is not actor):
            raise IdentityRefused(
                f"{actor.describe()} was not resolved by this engine: on a real database the "
                "actor is the established identity; get it from engine.actor()")
        if active_check:
            with self._identity_reads() as connection:
                still_active(connection, actor)

    @contextmanager
    def _identity_reads(self) -> Iterator[sa.Connection]:
        """A read-only connection (SQLite: a deferred BEGIN, so that resolving who acts never
        waits for another writer's lock), its database faults typed as the engine's."""
        from cee_workflow.workflow.errors import database_fault

        try:
            with self.db.execution_options(sqlite_begin="DEFERRED").connect() as connection:
                yield connection
        except sa.exc.DBAPIError as error:
            raise (database_fault(error) or error) from error

    def _registrar(self, actor: Actor | None) -> Actor:
        if actor is None:
            return self.registrar()
        self._admit(actor)
        return actor

    def _registry_now(self) -> datetime:
        self._require_real_time()
        return self.clock.now()
