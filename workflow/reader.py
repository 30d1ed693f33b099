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
from cee_workflow.workflow.errors import InvalidInput, NotFound
from cee_workflow.workflow.views import CaseView, DeadlineView, EventView

if TYPE_CHECKING:
    from collections.abc import Sequence

    import sqlalchemy as sa

    from cee_workflow.workflow.events import Cursor, EventPage

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

    def get(self, case_id: str) -> CaseView:
        """The case; NotFound if there is none."""
        with snapshot(self.db) as connection:
            return _case(connection, case_id)

    def history(self, case_id: str) -> list[EventView]:
        """The case's events, oldest first; NotFound if there is no such case."""
        with snapshot(self.db) as connection:
            _require(connection, case_id)
            return [EventView.of(row) for row in reads.events_of(connection, case_id)]

    def deadlines(self, case_id: str) -> list[DeadlineView]:
        """The case's deadlines of every status, by due time; NotFound if there is no case."""
        with snapshot(self.db) as connection:
            _require(connection, case_id)
            return [DeadlineView.of(row) for row in reads.deadlines_of(connection, case_id)]

    def show(self, case_id: str) -> tuple[CaseView, list[EventView], list[DeadlineView]]:
        """The case with its history and deadlines, all as of one moment (one transaction)."""
        with snapshot(self.db) as connection:
            case = _case(connection, case_id)
            return (case, [EventView.of(row) for row in reads.events_of(connection, case_id)],
                    [DeadlineView.of(row) for row in reads.deadlines_of(connection, case_id)])

    def events(self, after: Cursor | str | int | None = None, *, limit: int = 100,
               kinds: Sequence[str] | None = None) -> EventPage:
        """The committed events after `after` in stream order and the cursor to go on from
        (workflow/events.py: lossless with concurrent writers)."""
        from cee_workflow.workflow.events import read_page

        return read_page(self.db, after, limit=limit, kinds=kinds)


def _require(connection: sa.Connection, case_id: str) -> sa.Row:
    row = reads.case_row(connection, case_id)
    if row is None:
        raise NotFound("case", case_id, _LIST_HINT)
    return row


def _case(connection: sa.Connection, case_id: str) -> CaseView:
    return CaseView.of(_require(connection, case_id), reads.entries_of(connection, case_id))
