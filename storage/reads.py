"""A case, its entries, events and deadlines, read on a Core connection.

The light path of `cee case show` (workflow.reader): plain table clauses instead of the SQLModel
tables, so a read loads neither the ORM nor pydantic. Each clause names only the columns the
views need, typed as storage.models types them so that values come back exactly as the ORM
gives them (tests/test_reads.py checks the two never drift apart). The caller owns the
connection and its transaction (storage.database.snapshot).
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from cee_workflow.storage.types import JSONData, UTCDateTime

CASE = sa.table(
    "cee_case",
    sa.column("id", sa.String), sa.column("kind", sa.String), sa.column("state", sa.String),
    sa.column("version", sa.Integer), sa.column("importer", sa.String),
    sa.column("port", sa.String), sa.column("center", sa.String),
    sa.column("division", sa.String), sa.column("escalation", sa.Integer),
    sa.column("data", JSONData), sa.column("opened_at", UTCDateTime),
    sa.column("updated_at", UTCDateTime),
)
CASE_ENTRY = sa.table("cee_case_entry", sa.column("case_id", sa.String),
                      sa.column("entry", sa.String))
EVENT = sa.table(
    "cee_event",
    sa.column("seq", sa.BigInteger), sa.column("case_id", sa.String),
    sa.column("case_seq", sa.Integer), sa.column("at", UTCDateTime),
    sa.column("actor", sa.String), sa.column("authority", sa.String),
    sa.column("regime", sa.String), sa.column("trigger", sa.String),
    sa.column("from_state", sa.String), sa.column("to_state", sa.String),
    sa.column("note", sa.String), sa.column("data", JSONData), sa.column("hash", sa.String),
)
DEADLINE = sa.table(
    "cee_deadline",
    sa.column("id", sa.Integer), sa.column("case_id", sa.String), sa.column("timer", sa.String),
    sa.column("kind", sa.String), sa.column("state", sa.String),
    sa.column("last_day", sa.Date), sa.column("due_at", UTCDateTime),
    sa.column("warn_at", UTCDateTime), sa.column("action", sa.String),
    sa.column("citation", sa.String), sa.column("status", sa.String),
    sa.column("level", sa.Integer), sa.column("next_at", UTCDateTime),
)
ENTRY_PARTIES = sa.table("cee_entry", sa.column("number", sa.String),
                         sa.column("surety", sa.String), sa.column("consignee", sa.String))
LIGHT_TABLES = (CASE, CASE_ENTRY, EVENT, DEADLINE)


@dataclass(frozen=True)
class Confinement:
    """The cases a trade party may read (workflow/parties.py): those of `importers`, and those
    naming an entry that records it — (column, party id) pairs of cee_entry: ("surety", id),
    ("consignee", id)."""

    importers: tuple[str, ...] = ()
    entry_parties: tuple[tuple[str, str], ...] = ()


def confined(case_id, case_importer, scope: str | Confinement):
    """The condition on a case's (id, importer) columns that keeps a reader to `scope`: a
    filer's importer number, or a party's Confinement."""
    if isinstance(scope, str):
        return case_importer == scope
    conditions = [case_importer.in_(scope.importers)] if scope.importers else []
    if scope.entry_parties:
        named = sa.or_(*(getattr(ENTRY_PARTIES.c, column) == party
                         for column, party in scope.entry_parties))
        conditions.append(sa.exists().where(
            CASE_ENTRY.c.case_id == case_id, ENTRY_PARTIES.c.number == CASE_ENTRY.c.entry,
            named))
    return sa.or_(*conditions) if conditions else sa.false()


def case_admitted(connection: sa.Connection, case_id: str, scope: str | Confinement) -> bool:
    """Whether the case is within the reader's scope."""
    return connection.execute(sa.select(CASE.c.id).where(
        CASE.c.id == case_id, confined(CASE.c.id, CASE.c.importer, scope))).first() is not None

# Built once; the statement cache compiles each once per database engine.
_CASE_ID = sa.bindparam("case_id")
_CASE = sa.select(CASE).where(CASE.c.id == _CASE_ID)
_ENTRIES = (sa.select(CASE_ENTRY.c.entry).where(CASE_ENTRY.c.case_id == _CASE_ID)
            .order_by(CASE_ENTRY.c.entry))
_EVENTS = sa.select(EVENT).where(EVENT.c.case_id == _CASE_ID).order_by(EVENT.c.case_seq)
# The order `cee case show` has always listed deadlines in: by due time, then as armed.
_DEADLINES = (sa.select(DEADLINE).where(DEADLINE.c.case_id == _CASE_ID)
              .order_by(DEADLINE.c.due_at, DEADLINE.c.id))


def case_row(connection: sa.Connection, case_id: str) -> sa.Row | None:
    """The case's row (the columns of CASE), or None."""
    return connection.execute(_CASE, {"case_id": case_id}).first()


def entries_of(connection: sa.Connection, case_id: str) -> list[str]:
    """The entry numbers the case names, in number order."""
    return list(connection.execute(_ENTRIES, {"case_id": case_id}).scalars())


def events_of(connection: sa.Connection, case_id: str) -> list[sa.Row]:
    """The case's events, oldest first (by case_seq)."""
    return list(connection.execute(_EVENTS, {"case_id": case_id}))


def deadlines_of(connection: sa.Connection, case_id: str) -> list[sa.Row]:
    """The case's deadlines of every status, by due time, then id."""
    return list(connection.execute(_DEADLINES, {"case_id": case_id}))


# --- lists at national scale: keyset pages, never a parameter per row -------------------------
#
# Every list is read a page at a time, ordered by a key that no write changes (a case's id; a
# deadline's due time and id), each page starting after the last key of the one before. A page
# is one statement with a fixed handful of parameters whatever the size of the result, and with
# the indexes of storage.models it is an index range scan (tests/test_reads_paging.py checks the
# plans). Rows inserted while a list is paged appear at most once; rows that existed when it
# began appear exactly once.

def _case_conditions(kind: str | None = None, state: str | None = None,
                     center: str | None = None, port: str | None = None, overdue_at=None,
                     min_escalation: int | None = None, importer: str | None = None) -> list:
    conditions = [column == value for column, value in
                  ((CASE.c.kind, kind), (CASE.c.state, state), (CASE.c.center, center),
                   (CASE.c.port, port)) if value is not None]
    if importer is not None:  # a filer's importer, or a party's Confinement
        conditions.append(confined(CASE.c.id, CASE.c.importer, importer))
    if min_escalation is not None:
        conditions.append(CASE.c.escalation >= min_escalation)
    if overdue_at is not None:  # a pending deadline already past its due time
        conditions.append(sa.exists().where(DEADLINE.c.case_id == CASE.c.id,
                                            DEADLINE.c.status == "pending",
                                            DEADLINE.c.due_at <= overdue_at))
    return conditions


def case_page_statement(*, after: str | None, limit: int, **filters) -> sa.Select:
    """The statement of `case_page` (tests/test_reads_paging.py reads its plan)."""
    conditions = _case_conditions(**filters)
    if after is not None:
        conditions.append(CASE.c.id > after)
    page = sa.select(CASE).where(*conditions).order_by(CASE.c.id).limit(limit).subquery()
    return (sa.select(page, CASE_ENTRY.c.entry)
            .select_from(page.outerjoin(CASE_ENTRY, CASE_ENTRY.c.case_id == page.c.id))
            # by case id only: the page's index order runs through the join (no Sort node);
            # a case's few entries are put in order by `case_page`
            .order_by(page.c.id))


def case_page(connection: sa.Connection, *, after: str | None, limit: int,
              kind: str | None = None, state: str | None = None, center: str | None = None,
              port: str | None = None, overdue_at=None, min_escalation: int | None = None,
              importer: str | None = None) -> list[tuple[sa.Row, list[str]]]:
    """Up to `limit` cases in id order after the id `after`, each with its entry numbers: one
    statement (the page's cases joined to their entries), whatever the number of matches."""
    statement = case_page_statement(after=after, limit=limit, kind=kind, state=state,
                                    center=center, port=port, overdue_at=overdue_at,
                                    min_escalation=min_escalation, importer=importer)
    result: list[tuple[sa.Row, list[str]]] = []
    for row in connection.execute(statement):
        if not result or result[-1][0].id != row.id:
            result.append((row, []))
        if row.entry is not None:
            result[-1][1].append(row.entry)
    for _, entries in result:
        entries.sort()
    return result


def deadline_page(connection: sa.Connection, *, after: tuple | None, limit: int,
                  before=None, kind: str | None = None, center: str | None = None,
                  importer: str | None = None) -> list[sa.Row]:
    """Up to `limit` pending deadlines by (due time, id) after the key `after`, filtered — an
    index range scan of ix_cee_deadline_pending_due."""
    return list(connection.execute(deadline_page_statement(after=after, limit=limit,
                                                           before=before, kind=kind,
                                                           center=center, importer=importer)))


def deadline_page_statement(*, after: tuple | None, limit: int, before=None,
                            kind: str | None = None, center: str | None = None,
                            importer: str | None = None) -> sa.Select:
    """The statement of `deadline_page`."""
    statement = sa.select(DEADLINE).where(DEADLINE.c.status == "pending")
    if before is not None:
        statement = statement.where(DEADLINE.c.due_at <= before)
    if kind is not None:
        statement = statement.where(DEADLINE.c.kind == kind)
    if center is not None:
        statement = statement.where(sa.exists().where(CASE.c.id == DEADLINE.c.case_id,
                                                      CASE.c.center == center))
    if importer is not None:  # a filer reads its own importer's deadlines only
        statement = statement.where(sa.exists().where(
            CASE.c.id == DEADLINE.c.case_id, confined(CASE.c.id, CASE.c.importer, importer)))
    if after is not None:
        due_at, deadline_id = after
        statement = statement.where(DEADLINE.c.due_at >= due_at, sa.or_(
            DEADLINE.c.due_at > due_at, DEADLINE.c.id > deadline_id))
    return statement.order_by(DEADLINE.c.due_at, DEADLINE.c.id).limit(limit)
