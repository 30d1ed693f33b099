"""The read-only half of the engine: a case, its history and its deadlines, on SQLAlchemy Core.

`Reader` loads no ORM, no pydantic, no rulebook and no engine, so that a process that only
shows a case (`cee case show`) starts in little more than the time it takes to import
SQLAlchemy. `workflow.Engine` inherits these reads: there is one implementation of each.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

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
from cee_workflow.workflow.views import CaseView, DeadlineView, EventView, Page

if TYPE_CHECKING:
    from collections.abc import Sequence

    import sqlalchemy as sa

    from cee_workflow.workflow.events import Cursor, EventPage

_LIST_HINT = "list cases with `cee case list`"
STREAM_PAGE = 1000  # rows per statement when a whole list is streamed


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
        if current is None:  # made before 0004: the revision is in alembic's default table
            from cee_workflow.commands.diagnose import legacy_revision

            current = legacy_revision(self.db)
        if current != SCHEMA_REVISION:
            where = self.db.url.render_as_string(hide_password=True)
            if current is None:
                raise InvalidInput(f"the database {where} has no cee schema; run `cee db "
                                   "upgrade`")
            from cee_workflow.commands.diagnose import known_revisions

            if current in known_revisions():
                raise InvalidInput(f"the database {where} is at an old schema ({current}; this "
                                   f"cee needs {SCHEMA_REVISION}); run `cee db upgrade` to "
                                   "migrate it")
            raise InvalidInput(f"the database {where} is at schema {current}, which this cee "
                               f"(schema {SCHEMA_REVISION}) does not know: a newer cee migrated "
                               "it; upgrade cee-workflow")

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

    def established_actor(self, text: str | None = None):
        """Who reads a real database: the established identity (PostgreSQL login role, SQLite
        OS user) mapped to its officer, filer or trade party, as `Engine.actor` resolves it;
        `text` (`--as`) may only name it (IdentityRefused). Loads no engine and no rulebook."""
        from cee_workflow.workflow.identity import resolve

        with snapshot(self.db) as connection:
            return resolve(connection, text, simulation=False)

    def _admit(self, actor) -> None:
        """The Engine checks who `actor` is (workflow/engine_registry.py); a Reader cannot."""

    def _read_scope(self, actor, case_id: str | None = None) -> str | reads.Confinement | None:
        """What `actor` is confined to (None: no confinement): a filer its importer's cases, a
        trade party the cases it stands on; with `case_id`, NotPermitted unless the case is
        within it."""
        if actor is None:
            return None
        self._admit(actor)
        from cee_workflow.workflow.parties import read_scope_of

        own = read_scope_of(actor)  # a filer's importer, a party's cases; officers read all
        if case_id is not None and own is not None:
            with snapshot(self.db) as connection:
                _require(connection, case_id, own)
        return own

    def events(self, after: Cursor | str | int | None = None, *, limit: int = 100,
               kinds: Sequence[str] | None = None) -> EventPage:
        """The committed events after `after` in stream order and the cursor to go on from
        (workflow/events.py: lossless with concurrent writers)."""
        from cee_workflow.workflow.events import read_page

        return read_page(self.db, after, limit=limit, kinds=kinds)


    # --- lists, a keyset page at a time (storage.reads) -----------------------------------

    def case_page(self, *, after: str | None = None, limit: int = 50, **filters: Any
                  ) -> Page:
        """Cases in id order after the case id `after`, at most `limit`; `filters`: kind,
        state, center, port, overdue_at (a pending deadline due by that instant),
        min_escalation. The page's `next` is the cursor of the page after it."""
        return read_case_page(self.db, after, limit, filters)

    def iter_cases(self, *, after: str | None = None, **filters: Any) -> Iterator[CaseView]:
        """Every matching case in id order, read STREAM_PAGE at a time (bounded memory)."""
        return iter_case_pages(self.db, after, filters)

    def deadline_page(self, *, after: str | None = None, limit: int = 50,
                      **filters: Any) -> Page:
        """Pending deadlines by due time, then id, after the cursor `after`; `filters`:
        before (due by that instant), kind, center."""
        key = parse_deadline_cursor(after) if after is not None else None
        with snapshot(self.db) as connection:
            rows = reads.deadline_page(connection, after=key, limit=limit + 1, **filters)
        cursor = deadline_cursor(rows[limit - 1]) if len(rows) > limit else None
        return Page(tuple(DeadlineView.of(row) for row in rows[:limit]), cursor)

    def iter_deadlines(self, *, after: str | None = None, **filters: Any
                       ) -> Iterator[DeadlineView]:
        """Every matching pending deadline by due time, STREAM_PAGE at a time."""
        while True:
            page = self.deadline_page(after=after, limit=STREAM_PAGE, **filters)
            yield from page.items
            if page.next is None:
                return
            after = page.next


def read_case_page(db: sa.Engine, after: str | None, limit: int, filters: dict) -> Page:
    with snapshot(db) as connection:
        rows = reads.case_page(connection, after=after, limit=limit + 1, **filters)
    items = tuple(CaseView.of(row, entries) for row, entries in rows[:limit])
    return Page(items, items[-1].id if len(rows) > limit else None)


def iter_case_pages(db: sa.Engine, after: str | None, filters: dict) -> Iterator[CaseView]:
    while True:
        page = read_case_page(db, after, STREAM_PAGE, filters)
        yield from page.items
        if page.next is None:
            return
        after = page.next


def case_filters(now: datetime, *, kind: str | None = None, state: str | None = None,
                 center: str | None = None, port: str | None = None, overdue: bool = False,
                 escalated: bool = False) -> dict[str, Any]:
    """The list filters as storage.reads takes them: `overdue` a pending deadline due by
    `now`, `escalated` level 2 or more. A state no lifecycle (of `kind`) has: InvalidInput.
    The rulebooks load only to check a kind or state given."""
    if kind is not None or state is not None:
        from cee_workflow.states import LIFECYCLES
        from cee_workflow.workflow.suggest import did_you_mean

        if kind is not None and kind not in LIFECYCLES:
            raise InvalidInput(f"unknown case kind {kind!r}"
                               + did_you_mean(kind, LIFECYCLES, what="kinds"))
        kinds = [LIFECYCLES[kind]] if kind is not None else list(LIFECYCLES.values())
        if state is not None and not any(state in lc.state_names for lc in kinds):
            names = sorted({s for lc in kinds for s in lc.state_names})
            raise InvalidInput(f"no {kind or 'case'} state is called {state!r}"
                               + did_you_mean(state, names, what="states"))
    return {"kind": kind, "state": state, "center": center, "port": port,
            "overdue_at": now if overdue else None,
            "min_escalation": 2 if escalated else None}


def deadline_cursor(row) -> str:
    """A deadline list's cursor: the due instant (UTC) and id of the last row shown."""
    return f"{row.due_at.astimezone(UTC):%Y-%m-%dT%H:%M:%S.%f}Z/{row.id}"


def parse_deadline_cursor(text: str) -> tuple[datetime, int]:
    try:
        instant, _, number = text.partition("/")
        due_at = datetime.strptime(instant, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
        return due_at, int(number)
    except ValueError:
        raise InvalidInput(f"--after {text!r} is not a cursor of this list; pass the one its "
                           f"last page printed (or leave --after out to start at the top)"
                           ) from None


def _require(connection: sa.Connection, case_id: str, own: str | None = None) -> sa.Row:
    row = reads.case_row(connection, case_id)
    if row is None:
        raise NotFound("case", case_id, _LIST_HINT)
    if isinstance(own, str) and row.importer != own:
        raise NotPermitted(f"filer for importer {own} may read only its own importer's cases; "
                           f"{case_id} is not one of them", case=case_id)
    if isinstance(own, reads.Confinement) and not reads.case_admitted(connection, case_id, own):
        raise NotPermitted(f"a party may read only the cases it stands on (19 U.S.C. "
                           f"1514(c)(2)); {case_id} is not one of them", case=case_id)
    return row


def _case(connection: sa.Connection, case_id: str, own: str | None = None) -> CaseView:
    return CaseView.of(_require(connection, case_id, own),
                       reads.entries_of(connection, case_id))
