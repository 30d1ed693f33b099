"""The read-only half of the engine: a case, its history and its deadlines, on SQLAlchemy Core.

`Reader` loads no ORM, no pydantic, no rulebook and no engine, so that a process that only
shows a case (`cee case show`) starts in little more than the time it takes to import
SQLAlchemy. `workflow.Engine` inherits these reads: there is one implementation of each.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cee_workflow.storage import reads
from cee_workflow.storage.database import (
    SCHEMA_REVISION,
    UnknownDatabase,
    create_db_engine,
    default_url,
    normalize_url,
    schema_revision,
    snapshot,
)
from cee_workflow.workflow.errors import InvalidInput, NotFound, NotPermitted
from cee_workflow.workflow.views import CaseView, DeadlineView, EventView

if TYPE_CHECKING:
    import sqlalchemy as sa

_LIST_HINT = "list cases with `cee case list`"


class Reader:
    """`Reader(url)`: read cases of the database at `url` (default: `CEE_DATABASE_URL`, else
    the user's SQLite file). Each call reads in one transaction, a consistent snapshot."""

    def __init__(self, url: str | None = None) -> None:
        self.url = normalize_url(url or default_url())
        try:
            self.db = create_db_engine(self.url)
        except UnknownDatabase as error:
            raise InvalidInput(str(error)) from None

    def check_schema(self) -> None:
        """InvalidInput unless the database is at the current schema."""
        current = schema_revision(self.db)
        if current != SCHEMA_REVISION:
            state = "has no cee schema" if current is None else f"is at schema {current}"
            raise InvalidInput(f"the database {self.db.url.render_as_string(hide_password=True)}"
                               f" {state}; run `cee db upgrade`")

    def close(self) -> None:
        """Release the database connections."""
        self.db.dispose()

    def get(self, case_id: str, *, actor=None) -> CaseView:
        """The case; NotFound if there is none. Given an `actor` that is a filer, only a case of
        its own importer (else NotPermitted): so for every read below."""
        with snapshot(self.db) as connection:
            return _case(connection, case_id, self._read_scope(actor))

    def history(self, case_id: str, *, actor=None) -> list[EventView]:
        """The case's events, oldest first; NotFound if there is no such case."""
        with snapshot(self.db) as connection:
            _require(connection, case_id, self._read_scope(actor))
            return [EventView.of(row) for row in reads.events_of(connection, case_id)]

    def deadlines(self, case_id: str, *, actor=None) -> list[DeadlineView]:
        """The case's deadlines of every status, by due time; NotFound if there is no case."""
        with snapshot(self.db) as connection:
            _require(connection, case_id, self._read_scope(actor))
            return [DeadlineView.of(row) for row in reads.deadlines_of(connection, case_id)]

    def show(self, case_id: str, *, actor=None
             ) -> tuple[CaseView, list[EventView], list[DeadlineView]]:
        """The case with its history and deadlines, all as of one moment (one transaction)."""
        with snapshot(self.db) as connection:
            case = _case(connection, case_id, self._read_scope(actor))
            return (case, [EventView.of(row) for row in reads.events_of(connection, case_id)],
                    [DeadlineView.of(row) for row in reads.deadlines_of(connection, case_id)])

    def _admit(self, actor) -> None:
        """The Engine checks who `actor` is (workflow/engine_registry.py); a Reader cannot."""

    def _read_scope(self, actor, case_id: str | None = None) -> str | None:
        """The importer a filer `actor` is confined to (None: no confinement); with `case_id`,
        NotPermitted unless the case is that importer's."""
        if actor is None:
            return None
        self._admit(actor)
        own = getattr(actor, "importer", None)  # a Filer's; officers read every case
        if case_id is not None and own is not None:
            with snapshot(self.db) as connection:
                _require(connection, case_id, own)
        return own


def _require(connection: sa.Connection, case_id: str, own: str | None = None) -> sa.Row:
    row = reads.case_row(connection, case_id)
    if row is None:
        raise NotFound("case", case_id, _LIST_HINT)
    if own is not None and row.importer != own:
        raise NotPermitted(f"filer for importer {own} may read only its own importer's cases; "
                           f"{case_id} is not one of them", case=case_id)
    return row


def _case(connection: sa.Connection, case_id: str, own: str | None = None) -> CaseView:
    return CaseView.of(_require(connection, case_id, own),
                       reads.entries_of(connection, case_id))
