"""Queries and writes. Plain statements over the tables; the caller owns the transaction."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlmodel import Session, col, select

from cee_workflow.storage import single
from cee_workflow.storage.models import Case, CaseEntry, Deadline, Entry, Event, Serial


def get_case(session: Session, case_id: str, *, for_update: bool = False) -> Case | None:
    statement = select(Case).where(Case.id == case_id)
    if for_update and session.get_bind().dialect.name == "postgresql":
        statement = statement.with_for_update()
    return session.exec(statement).first()


def entries_of_cases(session: Session, case_ids: Sequence[str]) -> dict[str, list[str]]:
    rows = session.exec(select(CaseEntry.case_id, CaseEntry.entry)
                        .where(col(CaseEntry.case_id).in_(case_ids))
                        .order_by(CaseEntry.case_id, CaseEntry.entry))
    result: dict[str, list[str]] = {case_id: [] for case_id in case_ids}
    for case_id, entry in rows:
        result[case_id].append(entry)
    return result


class EntryRow(NamedTuple):
    number: str
    importer: str
    port: str
    entry_date: date
    summary_version: int


class CaseOfEntry(NamedTuple):
    id: str
    state: str
    data: dict[str, Any]


# Built once: the single advance and every bulk batch read entry facts with these.
_ENTRY, _CASE, _CASE_ENTRY = Entry.__table__, Case.__table__, CaseEntry.__table__
_ENTRIES_WITH_CASE = (
    sa.select(_ENTRY.c.number, _ENTRY.c.importer, _ENTRY.c.port, _ENTRY.c.entry_date,
              _ENTRY.c.summary_version, _CASE.c.id, _CASE.c.state, _CASE.c.data)
    .select_from(_ENTRY)
    .join(_CASE_ENTRY, _CASE_ENTRY.c.entry == _ENTRY.c.number, isouter=True)
    .join(_CASE, sa.and_(_CASE.c.id == _CASE_ENTRY.c.case_id,
                         _CASE.c.kind == sa.bindparam("kind")), isouter=True)
    .where(_ENTRY.c.number.in_(sa.bindparam("numbers", expanding=True))))
_OPEN_CASES_NAMING: dict[tuple[tuple[str, tuple[str, ...]], ...], sa.Select] = {}


def entries_with_case(session: Session, numbers: Sequence[str], kind: str
                      ) -> list[tuple[EntryRow, CaseOfEntry | None]]:
    """Each entry with its case of `kind` (its liquidation case), in the order given.

    Plain rows, not ORM objects: the bulk path reads a batch of entries at a time. Read on the
    connection, so a case changed earlier in this transaction (by a compare-and-set, not the
    ORM) is read afresh, never from the session's identity map."""
    rows = single.connection(session).execute(
        _ENTRIES_WITH_CASE, {"kind": kind, "numbers": list(numbers)}).all()
    found: dict[str, tuple[EntryRow, CaseOfEntry | None]] = {}
    for number, importer, port, entry_date, version, case_id, state, data in rows:
        if number not in found or case_id is not None:
            case = CaseOfEntry(case_id, state, data) if case_id is not None else None
            found[number] = (EntryRow(number, importer, port, entry_date, version), case)
    return [found[n] for n in numbers if n in found]


def open_cases_naming(session: Session, numbers: Sequence[str],
                      closed_states: Mapping[str, Iterable[str]],
                      data_of: dict[str, Any] | None = None
                      ) -> dict[str, dict[str, list[str]]]:
    """For each kind of `closed_states` and each entry, the ids of that kind's cases naming the
    entry that are not in its closed states — one statement for every kind. `data_of`, when
    given, receives each such case's data by id (a protest's guards read its peers')."""
    key = tuple((kind, tuple(closed)) for kind, closed in closed_states.items())
    statement = _OPEN_CASES_NAMING.get(key)
    if statement is None:  # a handful of shapes, each built once
        open_of_kind = [sa.and_(_CASE.c.kind == kind, _CASE.c.state.not_in(list(closed)))
                        for kind, closed in key]
        statement = _OPEN_CASES_NAMING[key] = (
            sa.select(_CASE.c.kind, _CASE_ENTRY.c.entry, _CASE.c.id, _CASE.c.data)
            .join(_CASE, _CASE.c.id == _CASE_ENTRY.c.case_id)
            .where(_CASE_ENTRY.c.entry.in_(sa.bindparam("numbers", expanding=True)),
                   sa.or_(*open_of_kind))
            .order_by(_CASE.c.id))
    result: dict[str, dict[str, list[str]]] = {kind: {} for kind in closed_states}
    rows = single.connection(session).execute(statement, {"numbers": list(numbers)})
    for kind, entry, case_id, data in rows:
        result[kind].setdefault(entry, []).append(case_id)
        if data_of is not None:
            data_of[case_id] = data
    return result


def raise_summary_version(session: Session, number: str, from_version: int) -> bool:
    """Entry summary version `from_version` → +1; False if it is no longer `from_version`."""
    result = session.execute(
        sa.update(Entry).where(Entry.number == number, Entry.summary_version == from_version)
        .values(summary_version=from_version + 1)
        .execution_options(synchronize_session=False))
    return result.rowcount == 1


def compare_and_set_case(session: Session, case_id: str, version: int, values: dict[str, Any]
                         ) -> bool:
    """UPDATE … WHERE id AND version: False when another transaction changed the case first."""
    return single.compare_and_set_case(session, case_id, version, values)


def insert_event(session: Session, row: dict[str, Any]) -> int:
    """Append one event; returns its global sequence number."""
    return single.insert_event(session, row)


def pending_levels(session: Session, case_id: str) -> dict[tuple[str, datetime], int]:
    """{(timer, due_at): escalation level} of the case's pending deadlines."""
    rows = session.exec(select(Deadline.timer, Deadline.due_at, Deadline.level)
                        .where(Deadline.case_id == case_id, Deadline.status == "pending"))
    return {(timer, due_at): level for timer, due_at, level in rows}


def cancel_pending_deadlines(session: Session, case_id: str, now: datetime) -> int:
    result = session.execute(
        sa.update(Deadline).where(Deadline.case_id == case_id, Deadline.status == "pending")
        .values(status="cancelled", settled_at=now))
    return result.rowcount


def cancel_pending_returning_levels(session: Session, case_ids: Sequence[str], now: datetime
                                    ) -> dict[str, dict[tuple[str, datetime], int]]:
    """Cancel the cases' pending deadlines; {case: {(timer, due_at): level}} of those escalated
    (the level a deadline running on into the next state keeps)."""
    return single.cancel_pending_returning_levels(session, case_ids, now)


def insert_deadlines(session: Session, rows: list[dict[str, Any]]) -> None:
    single.insert_deadlines(session, rows)


def next_serial(session: Session, key: str) -> int:
    """Atomically increment and return the counter `key` (starting at 1)."""
    # Each dialect's module loads only where it is used: a SQLite process never loads the
    # PostgreSQL dialect.
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    statement = (insert(Serial).values(key=key, value=1)
                 .on_conflict_do_update(index_elements=["key"],
                                        set_={"value": Serial.value + 1})
                 .returning(Serial.value))
    return session.execute(statement).scalar_one()


def list_cases(session: Session, *, kind: str | None = None, state: str | None = None,
               center: str | None = None, port: str | None = None, limit: int | None = None,
               overdue_at: datetime | None = None, min_escalation: int | None = None,
               importer: str | None = None) -> list[Case]:
    statement = select(Case)
    if overdue_at is not None:  # a pending deadline already past its due time
        statement = statement.where(col(Case.id).in_(
            select(Deadline.case_id).where(Deadline.status == "pending",
                                           Deadline.due_at <= overdue_at)))
    if min_escalation is not None:
        statement = statement.where(Case.escalation >= min_escalation)
    for column, value in ((Case.kind, kind), (Case.state, state), (Case.center, center),
                          (Case.port, port), (Case.importer, importer)):
        if value is not None:
            statement = statement.where(column == value)
    statement = statement.order_by(Case.kind, Case.state, Case.id)
    if limit:
        statement = statement.limit(limit)
    return list(session.exec(statement))


def case_ids(session: Session, after: str | None, batch: int) -> list[tuple[str, str]]:
    """(id, head_hash) of cases in id order, `batch` at a time (for audit verification)."""
    statement = select(Case.id, Case.head_hash).order_by(Case.id).limit(batch)
    if after is not None:
        statement = statement.where(Case.id > after)
    return list(session.exec(statement))


def events_of_cases(session: Session, ids: Sequence[str]) -> list[Event]:
    return list(session.exec(select(Event).where(col(Event.case_id).in_(ids))
                             .order_by(Event.case_id, Event.case_seq)))



def max_deadline_id(session: Session) -> int:
    return session.execute(sa.select(sa.func.max(Deadline.id))).scalar() or 0


def claim_due(session: Session, now: datetime, horizon: int, limit: int) -> list[Deadline]:
    """Pending deadlines whose next stage is due by `now`, among rows up to id `horizon`.

    On PostgreSQL the cases are locked FOR UPDATE SKIP LOCKED, case before deadline like every
    advance: concurrent sweeps divide the work instead of queueing, and a case an officer is
    changing is left to the next pass. SQLite serializes writers anyway.
    """
    statement = (select(Deadline).join(Case, Case.id == Deadline.case_id)
                 .where(Deadline.status == "pending", Deadline.next_at <= now,
                        Deadline.id <= horizon)
                 .order_by(Deadline.next_at, Deadline.id).limit(limit)
                 .with_for_update(of=Case, skip_locked=True))
    return list(session.exec(statement))


def settle_deadline(session: Session, deadline_id: int, status: str, now: datetime,
                    claimed_by: str | None = None) -> bool:
    """Compare-and-set pending → `status`: False if it was settled or cancelled already."""
    result = session.execute(
        sa.update(Deadline).where(Deadline.id == deadline_id, Deadline.status == "pending")
        .values(status=status, settled_at=now, claimed_by=claimed_by, next_at=None))
    return result.rowcount == 1


def stage_deadline(session: Session, deadline_id: int, from_level: int, level: int,
                   next_at: datetime | None, claimed_by: str) -> bool:
    """Record an escalation stage taken: the level reached, and when the next one falls due.

    With every stage taken (`next_at` None) the row stays pending — the item is still overdue —
    until its case leaves the state; the sweep no longer picks it up. Compare-and-set on the
    level read (`from_level`): False if another sweep took this stage first."""
    result = session.execute(
        sa.update(Deadline).where(Deadline.id == deadline_id, Deadline.status == "pending",
                                  Deadline.level == from_level)
        .values(level=level, next_at=next_at, claimed_by=claimed_by))
    return result.rowcount == 1


def pending_deadlines(session: Session, *, before: datetime | None = None,
                      kind: str | None = None, center: str | None = None,
                      by_next_stage: bool = False, limit: int | None = None,
                      importer: str | None = None) -> list[tuple[Deadline, Case]]:
    """Pending deadlines with their cases, by due time (or by next stage), filtered."""
    order = Deadline.next_at if by_next_stage else Deadline.due_at
    statement = (select(Deadline, Case).join(Case, Case.id == Deadline.case_id)
                 .where(Deadline.status == "pending"))
    if before is not None:
        statement = statement.where(order <= before)
    if kind is not None:
        statement = statement.where(Deadline.kind == kind)
    if center is not None:
        statement = statement.where(Case.center == center)
    if importer is not None:  # a filer's importer, or a party's reads.Confinement
        from cee_workflow.storage.reads import confined

        statement = statement.where(confined(Case.id, Case.importer, importer))
    statement = statement.order_by(order, Deadline.id)
    if limit:
        statement = statement.limit(limit)
    return list(session.exec(statement))



def entry_parties(session: Session, entries: list[str]) -> frozenset[tuple[str, str]]:
    """(role, party id) of the sureties and consignees the entries record."""
    rows = session.exec(select(Entry.surety, Entry.consignee)
                        .where(col(Entry.number).in_(entries))).all()
    return frozenset({("surety", s) for s, _c in rows if s}
                     | {("consignee", c) for _s, c in rows if c})
