"""The statements of one case's transition, built once: the single advance's hot path.

Each is a Core statement over the tables, built at import, compiled once per dialect by
SQLAlchemy and run on the transaction's DBAPI cursor (`Prepared`), so that an advance pays
neither statement construction, cache-key generation, the ORM's per-statement work nor
SQLAlchemy's per-execution context. Rows come back as plain values: `CaseRow`, not an ORM
object. The caller owns the transaction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from cee_workflow.storage.models import Case, CaseEntry, Deadline, Entry, Event
from cee_workflow.storage.prepared import Prepared

CASE = Case.__table__
CASE_ENTRY = CaseEntry.__table__
DEADLINE = Deadline.__table__
ENTRY = Entry.__table__
EVENT = Event.__table__


@dataclass(slots=True)
class CaseRow:
    """A case row as read (or as just written): the ORM Case's attributes, plain values."""

    id: str
    kind: str
    state: str
    version: int
    importer: str
    port: str
    center: str
    division: str
    escalation: int
    data: dict[str, Any]
    head_hash: str
    event_count: int
    opened_at: datetime
    updated_at: datetime
    scheduled_for: date | None

    @classmethod
    def of(cls, case: Any, **changes: Any) -> CaseRow:
        """A copy of `case` (an ORM Case or a CaseRow) with `changes` applied."""
        return cls(**{name: changes[name] if name in changes else getattr(case, name)
                      for name in CASE_ROW_COLUMNS})


CASE_ROW_COLUMNS = tuple(CaseRow.__dataclass_fields__)
# What the statements run on: a transaction's connection, or a session (flushed first).
On = Session | sa.Connection


@dataclass(slots=True)
class NamingRow:
    """One entry the case names, with one case that names that entry (itself included)."""

    entry: str
    importer: str
    port: str
    entry_date: date
    summary_version: int
    case_id: str | None
    kind: str | None
    state: str | None
    data: dict[str, Any] | None


# The case, each entry it names with the entry's row, and every case naming that entry (the
# entry's liquidation case, its protests and PSCs, the case itself): all a transition's guards
# read, in one statement. Usually one or two rows: entries × the cases naming each.
_NAMING_ENTRY = CASE_ENTRY.alias("naming_entry")
_NAMING_CASE = CASE.alias("naming_case")
_CASE_READ = (
    sa.select(*(CASE.c[name] for name in CASE_ROW_COLUMNS), CASE_ENTRY.c.entry,
              ENTRY.c.importer, ENTRY.c.port, ENTRY.c.entry_date, ENTRY.c.summary_version,
              _NAMING_CASE.c.id, _NAMING_CASE.c.kind, _NAMING_CASE.c.state,
              _NAMING_CASE.c.data)
    .select_from(
        CASE.outerjoin(CASE_ENTRY, CASE_ENTRY.c.case_id == CASE.c.id)
        .outerjoin(ENTRY, ENTRY.c.number == CASE_ENTRY.c.entry)
        .outerjoin(_NAMING_ENTRY, _NAMING_ENTRY.c.entry == CASE_ENTRY.c.entry)
        .outerjoin(_NAMING_CASE, _NAMING_CASE.c.id == _NAMING_ENTRY.c.case_id))
    .where(CASE.c.id == sa.bindparam("case_id"))
    .order_by(CASE_ENTRY.c.entry, _NAMING_CASE.c.id))
_CASE_READ = Prepared(_CASE_READ)
# PostgreSQL: lock the case row first, in a statement of its own. A locking read that waits for
# another transaction re-reads only the locked row when that one commits (READ COMMITTED), so
# the entries' facts joined to it would be those of the statement's older snapshot; read after
# the lock, they are current. SQLite serializes writers already (BEGIN IMMEDIATE).
_LOCK_CASE = Prepared(sa.select(CASE.c.id).where(CASE.c.id == sa.bindparam("case_id"))
                      .with_for_update())
_CANCEL_PENDING = (
    sa.update(DEADLINE)
    .where(DEADLINE.c.case_id.in_(sa.bindparam("case_ids", expanding=True)),
           DEADLINE.c.status == "pending")
    .values(status="cancelled", settled_at=sa.bindparam("now"))
    .returning(DEADLINE.c.case_id, DEADLINE.c.timer, DEADLINE.c.due_at, DEADLINE.c.level))
# One case's: a plain `=` keeps the SQL string cached (an expanding IN is rendered per call).
_CANCEL_PENDING_OF_CASE = (
    sa.update(DEADLINE)
    .where(DEADLINE.c.case_id == sa.bindparam("of_case"), DEADLINE.c.status == "pending")
    .values(status="cancelled", settled_at=sa.bindparam("now"))
    .returning(DEADLINE.c.case_id, DEADLINE.c.timer, DEADLINE.c.due_at, DEADLINE.c.level))
_CANCEL_PENDING_OF_CASE = Prepared(_CANCEL_PENDING_OF_CASE)
_COMPARE_AND_SET = Prepared(sa.update(CASE).where(
    CASE.c.id == sa.bindparam("where_id"), CASE.c.version == sa.bindparam("where_version")))
_INSERT_EVENT = Prepared(sa.insert(EVENT).returning(EVENT.c.seq))
_INSERT_DEADLINES = Prepared(sa.insert(DEADLINE))


def connection(on: On) -> sa.Connection:
    """The session's connection, after flushing what the ORM holds (Core does not autoflush);
    a connection as it is."""
    if isinstance(on, sa.Connection):
        return on
    if on.new or on.dirty or on.deleted:
        on.flush()
    return on.connection()


def case_for_transition(on: On, case_id: str, *, for_update: bool = False
                        ) -> tuple[CaseRow, list[str], list[NamingRow]] | None:
    """The case, the entry numbers it names, and what its guards read of those entries (see
    `_CASE_READ`), in one statement; None if there is no such case. `for_update` locks the case
    row first on PostgreSQL (case before deadline, as everywhere): one statement more."""
    conn = connection(on)
    if for_update and conn.dialect.name == "postgresql":
        locked, _ = _LOCK_CASE.run(conn, {"case_id": case_id})
        if not locked:
            return None
    rows, _ = _CASE_READ.run(conn, {"case_id": case_id})
    if not rows:
        return None
    width = len(CASE_ROW_COLUMNS)
    case = CaseRow(*rows[0][:width])
    naming = [NamingRow(*row[width:]) for row in rows if row[width] is not None]
    return case, list(dict.fromkeys(row.entry for row in naming)), naming


def cancel_pending_returning_levels(on: On, case_ids: Sequence[str], now: datetime
                                    ) -> dict[str, dict[tuple[str, datetime], int]]:
    """Cancel the cases' pending deadlines; {case: {(timer, due_at): level}} of those escalated
    (the level a deadline running on into the next state keeps)."""
    levels: dict[str, dict[tuple[str, datetime], int]] = {}
    if len(case_ids) == 1:
        result, _ = _CANCEL_PENDING_OF_CASE.run(connection(on),
                                                {"of_case": case_ids[0], "now": now})
    else:
        result = connection(on).execute(_CANCEL_PENDING, {"case_ids": list(case_ids), "now": now})
    for case_id, timer, due_at, level in result:
        if level:
            levels.setdefault(case_id, {})[(timer, due_at)] = level
    return levels


def compare_and_set_case(on: On, case_id: str, version: int,
                         values: Mapping[str, Any]) -> bool:
    """UPDATE … WHERE id AND version: False when another transaction changed the case first."""
    _, count = _COMPARE_AND_SET.run(
        connection(on),
        {**values, "version": version + 1, "where_id": case_id, "where_version": version})
    return count == 1


def insert_event(on: On, row: Mapping[str, Any]) -> int:
    """Append one event; returns its global sequence number."""
    rows, _ = _INSERT_EVENT.run(connection(on), row)
    return rows[0][0]


def insert_deadlines(on: On, rows: Sequence[Mapping[str, Any]]) -> None:
    if rows:
        _INSERT_DEADLINES.run(connection(on), list(rows))
