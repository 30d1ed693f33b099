"""The sweep's set-based claim and settlement: a statement per batch, not per deadline row.

Plain rows in, plain rows out (no ORM objects, so no session synchronization per row). The
caller owns the transaction and decides everything.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlmodel import Session

from cee_workflow.storage.bulk import CASE, CASE_COLUMNS, DEADLINE

# What the sweep reads of a deadline row to act on it.
DEADLINE_COLUMNS = ("id", "case_id", "timer", "state", "action", "level", "warn_at", "due_at",
                    "last_day", "citation", "next_at")
CaseRow = NamedTuple("CaseRow", [(name, Any) for name in CASE_COLUMNS])  # noqa: UP014
DeadlineRow = NamedTuple("DeadlineRow", [(name, Any) for name in DEADLINE_COLUMNS])  # noqa: UP014


def claim_due_with_cases(session: Session, now: datetime, horizon: int, limit: int
                         ) -> list[tuple[DeadlineRow, CaseRow]]:
    """Pending deadlines whose next stage is due by `now` (ids up to `horizon`), each with its
    case as it is now, in one statement (the order of `queries.claim_due`).

    On PostgreSQL the cases are locked FOR UPDATE SKIP LOCKED, case before deadline like every
    advance: concurrent sweeps divide the work instead of queueing. SQLite serializes writers.
    """
    statement = (sa.select(*(DEADLINE.c[name] for name in DEADLINE_COLUMNS),
                           *(CASE.c[name].label(f"case_{name}") for name in CASE_COLUMNS))
                 .select_from(DEADLINE.join(CASE, CASE.c.id == DEADLINE.c.case_id))
                 .where(DEADLINE.c.status == "pending", DEADLINE.c.next_at <= now,
                        DEADLINE.c.id <= horizon)
                 .order_by(DEADLINE.c.next_at, DEADLINE.c.id).limit(limit))
    if session.get_bind().dialect.name == "postgresql":
        statement = statement.with_for_update(of=CASE, skip_locked=True)
    width = len(DEADLINE_COLUMNS)
    return [(DeadlineRow(*row[:width]), CaseRow(*row[width:]))
            for row in session.execute(statement)]


def settle_many(session: Session, ids: Sequence[int], status: str, now: datetime,
                claimed_by: str, *, from_status: str = "pending") -> set[int]:
    """Compare-and-set `from_status` → `status` for the deadline rows `ids`; returns the ids
    settled (a row missing was settled or cancelled already)."""
    if not ids:
        return set()
    result = session.execute(
        sa.update(DEADLINE).where(DEADLINE.c.id.in_(list(ids)), DEADLINE.c.status == from_status)
        .values(status=status, settled_at=now, claimed_by=claimed_by, next_at=None)
        .returning(DEADLINE.c.id))
    return set(result.scalars())
