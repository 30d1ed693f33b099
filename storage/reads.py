"""A case, its entries, events and deadlines, read on a Core connection.

The light path of `cee case show` (workflow.reader): plain table clauses instead of the SQLModel
tables, so a read loads neither the ORM nor pydantic. Each clause names only the columns the
views need, typed as storage.models types them so that values come back exactly as the ORM
gives them (tests/test_reads.py checks the two never drift apart). The caller owns the
connection and its transaction (storage.database.snapshot).
"""

from __future__ import annotations

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
LIGHT_TABLES = (CASE, CASE_ENTRY, EVENT, DEADLINE)

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
