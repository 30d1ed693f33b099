"""Set-based reads and writes for bulk transitions: a handful of statements per batch.

No ORM objects per row: plain rows in, plain rows out. The caller owns the transaction and
decides everything; these statements only carry the decisions to the tables.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlmodel import Session

from storage.models import Case, Deadline, Event

CASE = Case.__table__
DEADLINE = Deadline.__table__
EVENT = Event.__table__
# What a bulk transition reads of a case (and what `workflow.bulk` hands back to write).
CASE_COLUMNS = ("id", "kind", "state", "version", "importer", "port", "center", "escalation",
                "data", "head_hash", "event_count")
SCOPE_COLUMNS = ("id", "kind", "importer", "port", "center")


def _is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def select_ids(session: Session, *, kind: str, states: Sequence[str], center: str | None,
               port: str | None, scheduled_for: date | None, page: int = 10_000
               ) -> Iterator[sa.Row]:
    """(id, kind, importer, port, center) of the matching cases in id order, paged by keyset
    (index ix_case_bulletin), so that no page holds more than `page` rows."""
    conditions = [CASE.c.kind == kind, CASE.c.state.in_(list(states))]
    for column, value in (("center", center), ("port", port), ("scheduled_for", scheduled_for)):
        if value is not None:
            conditions.append(CASE.c[column] == value)
    after: str | None = None
    while True:
        statement = (sa.select(*(CASE.c[name] for name in SCOPE_COLUMNS))
                     .where(*conditions).order_by(CASE.c.id).limit(page))
        if after is not None:
            statement = statement.where(CASE.c.id > after)
        rows = session.execute(statement).all()
        yield from rows
        if len(rows) < page:
            return
        after = rows[-1].id


def scopes_of(session: Session, ids: Sequence[str]) -> list[sa.Row]:
    """(id, kind, importer, port, center) of the given cases that exist."""
    return session.execute(sa.select(*(CASE.c[name] for name in SCOPE_COLUMNS))
                           .where(CASE.c.id.in_(list(ids)))).all()


def lock_cases(session: Session, ids: Sequence[str]) -> list[sa.Row]:
    """The cases' rows, in id order; on PostgreSQL locked FOR UPDATE in that order (case before
    deadline, like every advance and the sweep). SQLite serializes writers already."""
    statement = (sa.select(*(CASE.c[name] for name in CASE_COLUMNS))
                 .where(CASE.c.id.in_(list(ids))).order_by(CASE.c.id))
    if _is_postgres(session):
        statement = statement.with_for_update()
    return session.execute(statement).all()


def escalated_levels(session: Session, ids: Sequence[str]
                     ) -> dict[str, dict[tuple[str, datetime], int]]:
    """{case: {(timer, due_at): level}} of the cases' pending deadlines that have escalated."""
    rows = session.execute(
        sa.select(DEADLINE.c.case_id, DEADLINE.c.timer, DEADLINE.c.due_at, DEADLINE.c.level)
        .where(DEADLINE.c.case_id.in_(list(ids)), DEADLINE.c.status == "pending",
               DEADLINE.c.level > 0))
    levels: dict[str, dict[tuple[str, datetime], int]] = {}
    for case_id, timer, due_at, level in rows:
        levels.setdefault(case_id, {})[(timer, due_at)] = level
    return levels


def compare_and_set_cases(session: Session, rows: Sequence[dict[str, Any]],
                          sources: Sequence[str], now: datetime) -> set[str]:
    """One WITH v AS (VALUES …) UPDATE … FROM v … RETURNING id for a batch of cases.

    Each row: id, version (as read), state, data, head_hash, escalation, scheduled_for. A case
    is updated only if it is still at that version and in one of `sources` (compare-and-set);
    returns the ids updated — a case missing from it changed since it was read.
    """
    if not rows:
        return set()
    postgres = _is_postgres(session)
    values = sa.values(
        sa.column("id", sa.String), sa.column("version", sa.Integer),
        sa.column("state", sa.String), sa.column("data", sa.String),
        sa.column("head_hash", sa.String), sa.column("escalation", sa.Integer),
        sa.column("scheduled_for", sa.Date), name="v",
    ).data([(r["id"], r["version"], r["state"], json.dumps(r["data"]), r["head_hash"],
             r["escalation"], r["scheduled_for"]) for r in rows]).cte("v")
    data = sa.cast(values.c.data, postgresql.JSONB) if postgres else values.c.data
    scheduled = (sa.cast(values.c.scheduled_for, sa.Date) if postgres
                 else values.c.scheduled_for)
    statement = (
        sa.update(CASE)
        .where(CASE.c.id == values.c.id, CASE.c.version == values.c.version,
               CASE.c.state.in_(list(sources)))
        .values(state=values.c.state, data=data, head_hash=values.c.head_hash,
                escalation=values.c.escalation, scheduled_for=scheduled,
                version=CASE.c.version + 1, event_count=CASE.c.event_count + 1,
                updated_at=now)
        .returning(CASE.c.id))
    return set(session.execute(statement).scalars())


def cancel_pending(session: Session, ids: Sequence[str], now: datetime) -> None:
    """The cases left their states: their pending deadlines end."""
    if ids:
        session.execute(sa.update(DEADLINE)
                        .where(DEADLINE.c.case_id.in_(list(ids)),
                               DEADLINE.c.status == "pending")
                        .values(status="cancelled", settled_at=now))


def insert_events(session: Session, rows: Sequence[dict[str, Any]]) -> list[int]:
    """A multi-row INSERT of events; their global sequence numbers, in the order given."""
    if not rows:
        return []
    statement = sa.insert(EVENT).returning(EVENT.c.seq, sort_by_parameter_order=True)
    return list(session.execute(statement, list(rows)).scalars())


def insert_deadlines(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        session.execute(sa.insert(DEADLINE), list(rows))
