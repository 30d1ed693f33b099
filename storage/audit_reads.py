"""The reads an audit makes: cases with their events and timers a page at a time, the events in
global sequence order (streamed), and what the database says about the numbers it issued."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from cee_workflow.storage.models import Case, CaseEntry, Deadline, Entry, Event, Serial

# One streamed read holds at most this many rows in memory.
STREAM_ROWS = 5_000


def cases_page(session: Session, after: str | None, batch: int) -> list[Case]:
    """Whole case rows in id order, `batch` at a time."""
    statement = select(Case).order_by(Case.id).limit(batch)
    if after is not None:
        statement = statement.where(Case.id > after)
    return list(session.exec(statement))


def deadlines_of_cases(session: Session, ids: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
    """Every deadline row (any status) of the cases, by case, in id order."""
    result: dict[str, list[dict[str, Any]]] = {i: [] for i in ids}
    for row in session.exec(select(Deadline).where(col(Deadline.case_id).in_(ids))
                            .order_by(Deadline.id)):
        result[row.case_id].append(row.model_dump())
    return result


def events_of_cases(session: Session, ids: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
    result: dict[str, list[dict[str, Any]]] = {i: [] for i in ids}
    for row in session.exec(select(Event).where(col(Event.case_id).in_(ids))
                            .order_by(Event.case_id, Event.case_seq)):
        result.setdefault(row.case_id, []).append(row.model_dump())
    return result


def orphan_events(session: Session) -> list[tuple[str, int, int]]:
    """(case, case_seq, seq) of events whose case row is gone."""
    statement = (sa.select(Event.case_id, Event.case_seq, Event.seq)
                 .where(~sa.exists().where(Case.id == Event.case_id))
                 .order_by(Event.seq).limit(100))
    return [tuple(r) for r in session.execute(statement)]


def event_leaves(connection: sa.Connection, upto_seq: int | None = None
                 ) -> Iterator[tuple[int, str, int, str]]:
    """(seq, case, case_seq, hash) of every event in seq order, streamed (bounded memory)."""
    statement = sa.select(Event.seq, Event.case_id, Event.case_seq, Event.hash).order_by(Event.seq)
    if upto_seq is not None:
        statement = statement.where(Event.seq <= upto_seq)
    result = connection.execution_options(stream_results=True,
                                          yield_per=STREAM_ROWS).execute(statement)
    for row in result:
        yield row[0], row[1], row[2], row[3]


def event_leaf(connection: sa.Connection, case_id: str, case_seq: int
               ) -> tuple[int, str, int, str] | None:
    """(seq, case, case_seq, hash) of one event wherever it is numbered now, or None."""
    row = connection.execute(sa.select(Event.seq, Event.case_id, Event.case_seq, Event.hash)
                             .where(Event.case_id == case_id, Event.case_seq == case_seq)
                             ).first()
    return (row[0], row[1], row[2], row[3]) if row else None


def seq_bounds(session: Session) -> tuple[int, int, int]:
    """(count, first seq, last seq) of the events."""
    count, first, last = session.execute(
        sa.select(sa.func.count(), sa.func.min(Event.seq), sa.func.max(Event.seq))).one()
    return count or 0, first or 0, last or 0


def seq_gaps(session: Session, limit: int = 20) -> list[tuple[int, int]]:
    """(last seq before a gap, first seq after it) — at most `limit` of them."""
    following = sa.func.lead(Event.seq).over(order_by=Event.seq).label("following")
    inner = sa.select(Event.seq.label("seq"), following).subquery()
    statement = (sa.select(inner.c.seq, inner.c.following)
                 .where(inner.c.following != inner.c.seq + 1).order_by(inner.c.seq).limit(limit))
    return [(r[0], r[1]) for r in session.execute(statement)]


def issued_seq(session: Session) -> int | None:
    """The last value PostgreSQL's sequence for event seq has handed out (None elsewhere)."""
    if session.get_bind().dialect.name != "postgresql":
        return None
    name = session.execute(sa.text("SELECT pg_get_serial_sequence('cee_event', 'seq')")).scalar()
    if name is None:
        return None
    last, called = session.execute(sa.text(f"SELECT last_value, is_called FROM {name}")).one()
    return last if called else 0


def lock_for_checkpoint(connection: sa.Connection, table: sa.Table) -> int:
    """The last seq of a prefix of events no transaction still writing can extend: on
    PostgreSQL a sequence number is drawn inside the INSERT, under a ROW EXCLUSIVE lock, so
    once SHARE mode is granted every drawn number is committed or rolled back (SQLite writers
    are serialized: what a read sees is already such a prefix)."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f'LOCK TABLE "{table.name}" IN SHARE MODE')
    return connection.execute(sa.select(sa.func.max(table.c.seq))).scalar() or 0


def serials(session: Session) -> list[tuple[str, int]]:
    return [(r.key, r.value) for r in session.exec(select(Serial).order_by(Serial.key))]


def existing_cases(session: Session, ids: Sequence[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(ids), 1000):
        found.update(session.exec(select(Case.id).where(col(Case.id).in_(ids[start:start
                                                                               + 1000]))))
    return found


def entries_without_case(session: Session, prefix: str, limit: int = 20) -> list[str]:
    """Entries whose case `prefix-number` (opened with the entry) is gone."""
    statement = (sa.select(Entry.number)
                 .where(~sa.exists().where(Case.id == sa.literal(prefix + "-") + Entry.number))
                 .order_by(Entry.number).limit(limit))
    return list(session.execute(statement).scalars())


def case_entries_without_case(session: Session, limit: int = 20) -> list[str]:
    statement = (sa.select(CaseEntry.case_id)
                 .where(~sa.exists().where(Case.id == CaseEntry.case_id))
                 .distinct().limit(limit))
    return list(session.execute(statement).scalars())
