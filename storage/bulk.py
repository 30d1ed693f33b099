"""Set-based reads and writes for bulk transitions: a handful of statements per batch.

No ORM objects per row: plain rows in, plain rows out. The caller owns the transaction and
decides everything; these statements only carry the decisions to the tables.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import date, datetime
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlmodel import Session

from cee_workflow.storage.lock_order import neighbours_of
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


def lock_cases(session: Session, ids: Sequence[str], *, neighbours: bool = False
               ) -> list[sa.Row]:
    """The cases' rows, in id order; on PostgreSQL locked FOR UPDATE in that order (case before
    deadline, like every advance and the sweep). SQLite serializes writers already. The ids
    are one parameter (an array; SQLite: a JSON array), so the text is the same every batch.

    With `neighbours` (PostgreSQL), every case naming one of their entries is locked too, in
    the same statement and the same id order: the global lock order (storage/lock_order.py)
    and the batch's own lock in one — only the batch's rows are returned."""
    wanted = _id_list(session)
    if neighbours and _is_postgres(session):
        wanted = sa.union(wanted, neighbours_of(sa.bindparam("ids", type_=ARRAY(sa.String))))
    statement = (sa.select(*(CASE.c[name] for name in CASE_COLUMNS))
                 .where(CASE.c.id.in_(wanted)).order_by(CASE.c.id))
    if _is_postgres(session):
        statement = statement.with_for_update()
    rows = session.execute(statement, {"ids": _id_param(session, ids)}).all()
    if neighbours and _is_postgres(session):
        batch = set(ids)
        rows = [row for row in rows if row.id in batch]
    return rows


def _id_list(session: Session) -> Any:
    """`IN (…)` over one bound list of ids: PostgreSQL unnest(array), SQLite json_each."""
    if _is_postgres(session):
        return sa.select(sa.func.unnest(sa.bindparam("ids", type_=ARRAY(sa.String))))
    return sa.select(sa.column("value")).select_from(
        sa.func.json_each(sa.bindparam("ids", type_=sa.String)))


def _id_param(session: Session, ids: Sequence[str]) -> Any:
    return list(ids) if _is_postgres(session) else json.dumps(list(ids))


class NamingRow(NamedTuple):
    """A batch case, one entry it names with the entry's row, and one case naming that entry
    (the case itself included): what `storage.single.NamingRow` is for a single advance."""

    case_id: str
    entry: str
    importer: str
    port: str
    entry_date: date
    summary_version: int
    naming_id: str | None
    kind: str | None
    state: str | None
    data: dict[str, Any] | None


_NAMING_SQL = (
    "SELECT ce.case_id, ce.entry, e.importer, e.port, e.entry_date, e.summary_version, "
    "nc.id, nc.kind, nc.state, {data} FROM cee_case_entry AS ce "
    "JOIN cee_entry AS e ON e.number = ce.entry "
    "LEFT JOIN cee_case_entry AS ne ON ne.entry = ce.entry "
    "LEFT JOIN cee_case AS nc ON nc.id = ne.case_id WHERE ce.case_id {ids} "
    "ORDER BY ce.case_id, ce.entry, nc.id")


def naming_of_cases(session: Session, ids: Sequence[str], *, own_data: bool = True
                    ) -> list[NamingRow]:
    """For a batch of cases, in one statement of a fixed text: each entry each case names, and
    every case naming that entry — all the batch's guards and timers read of entries (the
    single advance's read, `storage.single.case_for_transition`, for many cases at once).
    Without `own_data`, a case's row naming its own entry comes with data None (the caller
    read it already: it is not sent twice)."""
    connection = session.connection()
    data = "nc.data" if own_data else "CASE WHEN nc.id = ce.case_id THEN NULL ELSE nc.data END"
    if connection.dialect.name == "postgresql":
        return [NamingRow(*row) for row in connection.exec_driver_sql(
            _NAMING_SQL.format(ids="= ANY(%b::text[])", data=data), (list(ids),)).all()]
    rows = connection.exec_driver_sql(
        _NAMING_SQL.format(ids="IN (SELECT value FROM json_each(?))", data=data),
        (json.dumps(list(ids)),)).all()
    return [NamingRow(case_id, entry, importer, port, date.fromisoformat(entry_date), version,
                      naming, kind, state, None if data is None else json.loads(data))
            for case_id, entry, importer, port, entry_date, version, naming, kind, state, data
            in rows]


def escalated_levels(session: Session, ids: Sequence[str], timers: Sequence[str] | None = None
                     ) -> dict[str, dict[tuple[str, datetime], int]]:
    """{case: {(timer, due_at): level}} of the cases' pending deadlines that have escalated;
    with `timers`, only those of these timers (the only ones a transition can carry on: the
    timers its destination arms)."""
    statement = (
        sa.select(DEADLINE.c.case_id, DEADLINE.c.timer, DEADLINE.c.due_at, DEADLINE.c.level)
        .where(DEADLINE.c.case_id.in_(_id_list(session)), DEADLINE.c.status == "pending",
               DEADLINE.c.level > 0))
    values: dict[str, Any] = {"ids": _id_param(session, ids)}
    if timers is not None:
        if not timers:
            return {}
        statement = statement.where(DEADLINE.c.timer.in_(sa.bindparam("timers", expanding=True)))
        values["timers"] = sorted(timers)
    rows = session.execute(statement, values).all()
    levels: dict[str, dict[tuple[str, datetime], int]] = {}
    for case_id, timer, due_at, level in rows:
        levels.setdefault(case_id, {})[(timer, due_at)] = level
    return levels


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
        found = dict(((case_id, case_seq), seq) for case_id, case_seq, seq in _insert_unnest(
            session, "cee_event", EVENT_TYPES, rows, "case_id, case_seq, seq" if seqs else ""))
        return [found[(r["case_id"], r["case_seq"])] for r in rows] if seqs else []
    _insert_many(session, EVENT, rows)
    if not seqs:
        return []
    found = dict(((case_id, case_seq), seq) for seq, case_id, case_seq in session.execute(
        sa.select(EVENT.c.seq, EVENT.c.case_id, EVENT.c.case_seq)
        .where(EVENT.c.case_id.in_({r["case_id"] for r in rows}),
               EVENT.c.case_seq >= min(r["case_seq"] for r in rows))))
    return [found[(r["case_id"], r["case_seq"])] for r in rows]


_BINDS: dict[tuple[str, str], tuple[str, list[str], list[Any]]] = {}


def _insert_many(session: Session, table: sa.Table, rows: Sequence[dict[str, Any]]) -> None:
    """SQLite: one executemany of a fixed INSERT text, each value converted by its column
    type's own bind processor (what the ORM writes), without Core's per-row execution."""
    connection = session.connection()
    dialect = connection.dialect
    columns = list(rows[0])
    key = (table.name, ",".join(columns))
    if key not in _BINDS:
        processors = [table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
                      for name in columns]
        sql = (f"INSERT INTO {table.name} ({', '.join(_quoted(c) for c in columns)}) "
               f"VALUES ({', '.join('?' for _ in columns)})")
        _BINDS[key] = (sql, columns, processors)
    sql, columns, processors = _BINDS[key]
    pairs = list(zip(columns, processors, strict=True))
    connection.exec_driver_sql(sql, [
        tuple(p(row[c]) if p is not None else row[c] for c, p in pairs) for row in rows])


# The columns a bulk transition writes, with their PostgreSQL types (for unnest's arrays).
EVENT_TYPES = {"case_id": "text", "case_seq": "int", "at": "timestamptz", "actor": "text",
               "authority": "text", "regime": "text", "trigger": "text", "from_state": "text",
               "to_state": "text", "note": "text", "data": "jsonb", "prev_hash": "text",
               "hash": "text"}
DEADLINE_TYPES = {"case_id": "text", "timer": "text", "kind": "text", "state": "text",
                  "armed_version": "int", "last_day": "date", "due_at": "timestamptz",
                  "warn_at": "timestamptz", "action": "text", "citation": "text",
                  "status": "text", "level": "int", "next_at": "timestamptz"}


def _insert_unnest(session: Session, table: str, types: dict[str, str],
                   rows: Sequence[dict[str, Any]], returning: str = "") -> list[tuple]:
    """PostgreSQL: the rows in one INSERT … SELECT FROM unnest(arrays), a fixed text whatever
    their number, the arrays sent in binary (no client-side quoting). Every row carries every
    column of `types`; a jsonb column goes as its JSON text."""
    columns = list(types)
    if set(rows[0]) != set(columns):
        raise ValueError(f"{table} rows must give exactly {', '.join(columns)}")
    arrays = []
    for name in columns:
        values = [row[name] for row in rows]
        if types[name] == "jsonb":
            values = [json.dumps(v) for v in values]
        arrays.append(values)
    selected = ", ".join(f"v.{name}::jsonb" if types[name] == "jsonb" else f"v.{name}"
                         for name in columns)
    unnest = ", ".join(f"%b::{'text' if types[n] == 'jsonb' else types[n]}[]" for n in columns)
    sql = (f'INSERT INTO {table} ({", ".join(_quoted(c) for c in columns)}) '
           f"SELECT {selected} FROM unnest({unnest}) AS v ({', '.join(columns)})"
           + (f" RETURNING {returning}" if returning else ""))
    result = session.connection().exec_driver_sql(sql, tuple(arrays))
    return result.all() if returning else []


def _quoted(column: str) -> str:
    return f'"{column}"' if column == "trigger" else column


def _same(value: Any) -> Any:
    return value
