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
from sqlmodel import Session

from cee_workflow.storage.models import Case, Deadline, Event

CASE = Case.__table__
DEADLINE = Deadline.__table__
EVENT = Event.__table__
# What a bulk transition reads of a case (and what `workflow.bulk` hands back to write).
CASE_COLUMNS = ("id", "kind", "state", "version", "importer", "port", "center", "division",
                "escalation", "data", "head_hash", "event_count")
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
    """Compare-and-set a batch of cases; returns the ids updated.

    Each row: id, version (as read), state, data, head_hash, escalation, scheduled_for. A case
    is updated only if it is still at that version and in one of `sources`; a case missing from
    the result changed since it was read. Driver SQL with a fixed text whatever the batch size
    (SQLAlchemy would compile a statement for every batch's VALUES): on PostgreSQL one
    UPDATE … FROM unnest(arrays) … RETURNING, on SQLite one executemany.
    """
    if not rows:
        return set()
    connection = session.connection()
    dialect = connection.dialect
    # The column types' own conversions, as the ORM writes them (SQLite keeps text: the same text).
    as_date = CASE.c.scheduled_for.type.dialect_impl(dialect).bind_processor(dialect) or _same
    as_instant = CASE.c.updated_at.type.dialect_impl(dialect).bind_processor(dialect) or _same
    if dialect.name == "postgresql":
        sql = ('UPDATE cee_case AS c SET state = v.state, data = v.data, '
               "head_hash = v.head_hash, escalation = v.escalation, "
               "scheduled_for = v.scheduled_for, version = c.version + 1, "
               "event_count = c.event_count + 1, updated_at = %s "
               "FROM unnest(%s::text[], %s::int[], %s::text[], %s::jsonb[], %s::text[], "
               "%s::int[], %s::date[]) "
               "AS v (id, version, state, data, head_hash, escalation, scheduled_for) "
               "WHERE c.id = v.id AND c.version = v.version AND c.state = ANY(%s::text[]) "
               "RETURNING c.id")
        params = (as_instant(now), [r["id"] for r in rows], [r["version"] for r in rows],
                  [r["state"] for r in rows], [json.dumps(r["data"]) for r in rows],
                  [r["head_hash"] for r in rows], [r["escalation"] for r in rows],
                  [as_date(r["scheduled_for"]) for r in rows], list(sources))
        return {case_id for (case_id,) in connection.exec_driver_sql(sql, params)}
    marks = ", ".join("?" * len(sources))
    sql = ('UPDATE cee_case SET state = ?, data = ?, head_hash = ?, escalation = ?, '
           "scheduled_for = ?, version = version + 1, event_count = event_count + 1, "
           f"updated_at = ? WHERE id = ? AND version = ? AND state IN ({marks})")
    updated_at = as_instant(now)
    result = connection.exec_driver_sql(sql, [
        (r["state"], json.dumps(r["data"]), r["head_hash"], r["escalation"],
         as_date(r["scheduled_for"]), updated_at, r["id"], r["version"], *sources)
        for r in rows])
    if result.rowcount == len(rows):
        return {r["id"] for r in rows}
    # Some case changed since it was read (unreachable while the batch holds SQLite's write
    # lock): those updated are the ones whose head is now the hash this batch wrote.
    heads = dict(session.execute(sa.select(CASE.c.id, CASE.c.head_hash)
                                 .where(CASE.c.id.in_([r["id"] for r in rows]))).all())
    return {r["id"] for r in rows if heads.get(r["id"]) == r["head_hash"]}


def cancel_pending(session: Session, ids: Sequence[str], now: datetime) -> None:
    """The cases left their states: their pending deadlines end."""
    if ids:
        session.execute(sa.update(DEADLINE)
                        .where(DEADLINE.c.case_id.in_(list(ids)),
                               DEADLINE.c.status == "pending")
                        .values(status="cancelled", settled_at=now))


def insert_events(session: Session, rows: Sequence[dict[str, Any]], *, seqs: bool = True
                  ) -> list[int]:
    """A multi-row INSERT of events; with `seqs`, their global sequence numbers in order.

    PostgreSQL returns them from the batched INSERT. SQLite cannot promise RETURNING's order for
    a multi-row INSERT (SQLAlchemy would fall back to a statement per row), so there the rows go
    in one executemany and, if wanted, the numbers are read back by (case, case_seq).
    """
    if not rows:
        return []
    if _is_postgres(session):
        statement = sa.insert(EVENT)
        if not seqs:
            session.execute(statement, list(rows))
            return []
        statement = statement.returning(EVENT.c.seq, sort_by_parameter_order=True)
        return list(session.execute(statement, list(rows)).scalars())
    session.execute(sa.insert(EVENT), list(rows))
    if not seqs:
        return []
    found = dict(((case_id, case_seq), seq) for seq, case_id, case_seq in session.execute(
        sa.select(EVENT.c.seq, EVENT.c.case_id, EVENT.c.case_seq)
        .where(EVENT.c.case_id.in_({r["case_id"] for r in rows}),
               EVENT.c.case_seq >= min(r["case_seq"] for r in rows))))
    return [found[(r["case_id"], r["case_seq"])] for r in rows]


def insert_deadlines(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        session.execute(sa.insert(DEADLINE), list(rows))


def _same(value: Any) -> Any:
    return value
