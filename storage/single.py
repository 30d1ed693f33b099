"""The statements of one case's transition, built once: the single advance's hot path.

Each is a Core statement over the tables, built at import and executed on the session's
connection, so that an advance pays neither statement construction, cache-key generation nor
the ORM's per-statement work (about three quarters of its CPU before). Rows come back as plain
values: `CaseRow`, not an ORM object. The caller owns the transaction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from storage.models import Case, CaseEntry, Deadline, Event

CASE = Case.__table__
CASE_ENTRY = CaseEntry.__table__
DEADLINE = Deadline.__table__
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
_CASE_WITH_ENTRIES = (
    sa.select(*(CASE.c[name] for name in CASE_ROW_COLUMNS), CASE_ENTRY.c.entry)
    .select_from(CASE.outerjoin(CASE_ENTRY, CASE_ENTRY.c.case_id == CASE.c.id))
    .where(CASE.c.id == sa.bindparam("case_id"))
    .order_by(CASE_ENTRY.c.entry))
# PostgreSQL locks the case row only (the entries' side of the outer join cannot be locked);
# SQLite serializes writers already.
_CASE_WITH_ENTRIES_LOCKED = _CASE_WITH_ENTRIES.with_for_update(of=CASE)
_CANCEL_PENDING = (
    sa.update(DEADLINE)
    .where(DEADLINE.c.case_id.in_(sa.bindparam("case_ids", expanding=True)),
           DEADLINE.c.status == "pending")
    .values(status="cancelled", settled_at=sa.bindparam("now"))
    .returning(DEADLINE.c.case_id, DEADLINE.c.timer, DEADLINE.c.due_at, DEADLINE.c.level))
_COMPARE_AND_SET = sa.update(CASE).where(CASE.c.id == sa.bindparam("where_id"),
                                         CASE.c.version == sa.bindparam("where_version"))
_INSERT_EVENT = sa.insert(EVENT).returning(EVENT.c.seq)
_INSERT_DEADLINES = sa.insert(DEADLINE)


def connection(session: Session) -> sa.Connection:
    """The session's connection, after flushing what the ORM holds (Core does not autoflush)."""
    if session.new or session.dirty or session.deleted:
        session.flush()
    return session.connection()


def case_with_entries(session: Session, case_id: str, *, for_update: bool = False
                      ) -> tuple[CaseRow, list[str]] | None:
    """The case and the entry numbers it names, in one statement; None if there is no such
    case. `for_update` locks the case row on PostgreSQL (case before deadline, as everywhere)."""
    statement = (_CASE_WITH_ENTRIES_LOCKED
                 if for_update and session.get_bind().dialect.name == "postgresql"
                 else _CASE_WITH_ENTRIES)
    rows = connection(session).execute(statement, {"case_id": case_id}).all()
    if not rows:
        return None
    case = CaseRow(*rows[0][:-1])
    return case, [row[-1] for row in rows if row[-1] is not None]


def cancel_pending_returning_levels(session: Session, case_ids: Sequence[str], now: datetime
                                    ) -> dict[str, dict[tuple[str, datetime], int]]:
    """Cancel the cases' pending deadlines; {case: {(timer, due_at): level}} of those escalated
    (the level a deadline running on into the next state keeps)."""
    levels: dict[str, dict[tuple[str, datetime], int]] = {}
    result = connection(session).execute(_CANCEL_PENDING,
                                         {"case_ids": list(case_ids), "now": now})
    for case_id, timer, due_at, level in result:
        if level:
            levels.setdefault(case_id, {})[(timer, due_at)] = level
    return levels


def compare_and_set_case(session: Session, case_id: str, version: int,
                         values: Mapping[str, Any]) -> bool:
    """UPDATE … WHERE id AND version: False when another transaction changed the case first."""
    result = connection(session).execute(
        _COMPARE_AND_SET,
        {**values, "version": version + 1, "where_id": case_id, "where_version": version})
    return result.rowcount == 1


def insert_event(session: Session, row: Mapping[str, Any]) -> int:
    """Append one event; returns its global sequence number."""
    return connection(session).execute(_INSERT_EVENT, dict(row)).scalar_one()


def insert_deadlines(session: Session, rows: Sequence[Mapping[str, Any]]) -> None:
    if rows:
        connection(session).execute(_INSERT_DEADLINES, list(rows))
