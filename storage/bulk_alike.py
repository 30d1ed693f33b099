"""Set-based writes of a bulk batch whose cases come in groups alike (workflow/bulk_alike.py).

What is the same for a group — the state written, the data changes, the event's fields and
data, the timers armed — goes to the database once per group; per case only what differs:
id, version, event count, head and new hash, escalation, the bulletin day, and deadline rows of
its own where the case's differ (escalation levels carried on). The database merges each case's
data with its group's changes (`data || changes`, a top-level merge like Python's
`{**data, **changes}`).

PostgreSQL: one statement per batch — the compare-and-set UPDATE … FROM, the cancel of the old
deadlines, the INSERT … SELECT of events and of new deadlines as data-modifying CTEs of one
WITH — the rows arriving as arrays in binary. SQLite (no writable CTEs): one executemany per
statement, each case's tuple made of its few values and its group's values converted once.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, NamedTuple

from sqlmodel import Session

from cee_workflow.storage.bulk import CASE, DEADLINE, DEADLINE_TYPES, EVENT

# The deadline columns a group's timer rows give (case_id and armed_version come per case).
TIMER_COLUMNS = tuple(c for c in DEADLINE_TYPES if c not in ("case_id", "armed_version"))


class Group(NamedTuple):
    """What every case of a group writes alike."""

    state: str  # the case's state after the transition
    changes: dict[str, Any]  # merged into the case data
    event_data: str  # the event's data, as canonical JSON text
    actor: str
    authority: str
    regime: str
    trigger: str
    from_state: str
    to_state: str
    note: str
    moves_timers: bool  # the old state's pending deadlines end, the new state's are armed
    timers: tuple[dict[str, Any], ...]  # deadline rows without case_id and armed_version


class Step(NamedTuple):
    """One case's own values."""

    id: str
    version: int  # as read: the compare-and-set's condition
    group: int  # index into the batch's groups
    event_count: int  # as read: the event is number event_count + 1
    head_hash: str  # as read: the event's prev_hash
    hash: str  # the new event's chained hash
    escalation: int
    scheduled_for: date | None  # the case data's bulletin day after the transition
    armed: list[dict[str, Any]] | None  # its own deadline rows, or None: its group's timers


def write_batch(session: Session, groups: Sequence[Group], steps: Sequence[Step],
                sources: Sequence[str], now: datetime, *, seqs: bool = True
                ) -> tuple[set[str], dict[str, int]]:
    """Write the batch; returns the ids updated (a case missing changed since it was read:
    nothing of it is written) and, with `seqs`, {case id: the global seq of its new event}."""
    if not steps:
        return set(), {}
    if session.get_bind().dialect.name == "postgresql":
        return _write_postgresql(session, groups, steps, sources, now)
    return _write_sqlite(session, groups, steps, sources, now, seqs)


# --- PostgreSQL ------------------------------------------------------------------------------

_TIMER_TYPES = {name: DEADLINE_TYPES[name] for name in TIMER_COLUMNS}
_TIMER_ARRAYS = ", ".join(f"%b::{kind}[]" for kind in _TIMER_TYPES.values())
_TIMER_NAMES = ", ".join(TIMER_COLUMNS)
_TIMER_SELECT = ", ".join(f"t.{name}" for name in TIMER_COLUMNS)
_PG_BATCH = f"""
WITH g AS (SELECT n - 1 AS n, state, changes::jsonb AS changes, event_data::jsonb AS event_data,
                  actor, authority, regime, trigger, from_state, to_state, note, moves
           FROM unnest(%b::text[], %b::text[], %b::text[], %b::text[], %b::text[], %b::text[],
                       %b::text[], %b::text[], %b::text[], %b::text[], %b::bool[])
           WITH ORDINALITY AS g (state, changes, event_data, actor, authority, regime, trigger,
                                 from_state, to_state, note, moves, n)),
v AS (SELECT * FROM unnest(%b::text[], %b::int[], %b::int[], %b::int[], %b::text[], %b::text[],
                           %b::int[], %b::date[], %b::bool[])
      WITH ORDINALITY AS v (id, version, grp, event_count, head_hash, hash, escalation,
                            scheduled_for, own_timers, ord)),
t AS (SELECT * FROM unnest(%b::int[], %b::int[], {_TIMER_ARRAYS})
      AS t (grp, n, {_TIMER_NAMES})),
p AS (SELECT * FROM unnest(%b::text[], %b::int[], %b::int[], {_TIMER_ARRAYS})
      AS t (case_id, n, armed_version, {_TIMER_NAMES})),
vg AS MATERIALIZED (SELECT v.id, v.version, v.hash, v.escalation, v.scheduled_for, g.state,
                           g.changes FROM v JOIN g ON g.n = v.grp),
u AS (UPDATE cee_case AS c SET state = vg.state, data = c.data || vg.changes,
             head_hash = vg.hash, escalation = vg.escalation, scheduled_for = vg.scheduled_for,
             version = c.version + 1, event_count = c.event_count + 1, updated_at = %b
      FROM vg
      WHERE c.id = vg.id AND c.version = vg.version AND c.state = ANY(%b::text[])
      RETURNING c.id),
w AS (SELECT v.*, g.moves FROM v JOIN u ON u.id = v.id JOIN g ON g.n = v.grp),
x AS (UPDATE cee_deadline AS d SET status = 'cancelled', settled_at = %b
      FROM w WHERE d.case_id = w.id AND d.status = 'pending' AND w.moves),
e AS (INSERT INTO cee_event (case_id, case_seq, at, actor, authority, regime, "trigger",
                             from_state, to_state, note, data, prev_hash, hash)
      SELECT w.id, w.event_count + 1, %b, g.actor, g.authority, g.regime, g.trigger,
             g.from_state, g.to_state, g.note, g.event_data, w.head_hash, w.hash
      FROM w JOIN g ON g.n = w.grp ORDER BY w.ord
      RETURNING case_id, seq),
a AS (INSERT INTO cee_deadline (case_id, armed_version, {_TIMER_NAMES})
      SELECT case_id, armed_version, {_TIMER_NAMES} FROM (
          SELECT w.ord, t.n, w.id AS case_id, w.version + 1 AS armed_version, {_TIMER_SELECT}
          FROM w JOIN t ON t.grp = w.grp WHERE w.moves AND NOT w.own_timers
          UNION ALL
          SELECT w.ord, t.n, t.case_id, t.armed_version, {_TIMER_SELECT}
          FROM w JOIN p AS t ON t.case_id = w.id WHERE w.moves) AS r
      ORDER BY r.ord, r.n)
SELECT case_id, seq FROM e
"""


def _write_postgresql(session: Session, groups: Sequence[Group], steps: Sequence[Step],
                      sources: Sequence[str], now: datetime) -> tuple[set[str], dict[str, int]]:
    timers = [(n, i, row) for n, group in enumerate(groups) for i, row in enumerate(group.timers)]
    own = [(step, i, row) for step in steps if step.armed is not None
           for i, row in enumerate(step.armed)]
    params: list[Any] = [
        *([getattr(g, name) for g in groups] for name in (
            "state", "changes", "event_data", "actor", "authority", "regime", "trigger",
            "from_state", "to_state", "note", "moves_timers")),
        *([getattr(s, name) for s in steps] for name in (
            "id", "version", "group", "event_count", "head_hash", "hash", "escalation",
            "scheduled_for")),
        [s.armed is not None for s in steps],
        [n for n, _, _ in timers], [i for _, i, _ in timers],
        *([row[name] for _, _, row in timers] for name in TIMER_COLUMNS),
        [row["case_id"] for _, _, row in own], [i for _, i, _ in own],
        [row["armed_version"] for _, _, row in own],
        *([row[name] for _, _, row in own] for name in TIMER_COLUMNS),
        now, list(sources), now, now,
    ]
    params[1] = [json.dumps(changes) for changes in params[1]]
    rows = session.connection().exec_driver_sql(_PG_BATCH, tuple(params)).all()
    seqs = dict(rows)
    return set(seqs), seqs


# --- SQLite ----------------------------------------------------------------------------------


def _write_sqlite(session: Session, groups: Sequence[Group], steps: Sequence[Step],
                  sources: Sequence[str], now: datetime, want_seqs: bool
                  ) -> tuple[set[str], dict[str, int]]:
    connection = session.connection()
    dialect = connection.dialect

    def converter(table, name):
        return table.c[name].type.dialect_impl(dialect).bind_processor(dialect) or _same

    instant, day = converter(CASE, "updated_at")(now), converter(CASE, "scheduled_for")
    marks = ", ".join("?" * len(sources))
    by_keys: dict[tuple[str, ...], list[tuple]] = {}
    changed = [tuple(json.dumps(v) for v in g.changes.values()) for g in groups]
    for step in steps:
        group = groups[step.group]
        by_keys.setdefault(tuple(group.changes), []).append(
            (group.state, *changed[step.group], step.hash, step.escalation,
             day(step.scheduled_for), instant, step.id, step.version, *sources))
    updated = 0
    for keys, rows in by_keys.items():
        merge = "data"
        if keys:  # top-level keys replaced whole, in the order of the changes
            merge = "json_set(data, " + ", ".join(
                f"'$.{json.dumps(key)}', json(?)" for key in keys) + ")"
        result = connection.exec_driver_sql(
            f"UPDATE cee_case SET state = ?, data = {merge}, head_hash = ?, escalation = ?, "
            "scheduled_for = ?, version = version + 1, event_count = event_count + 1, "
            f"updated_at = ? WHERE id = ? AND version = ? AND state IN ({marks})", rows)
        updated += result.rowcount
    kept = list(steps)
    if updated != len(steps):  # unreachable while the batch holds SQLite's write lock
        heads = dict(connection.exec_driver_sql(
            "SELECT id, head_hash FROM cee_case WHERE id IN (SELECT value FROM json_each(?))",
            (json.dumps([s.id for s in steps]),)).all())
        kept = [s for s in steps if heads.get(s.id) == s.hash]
    moving = [s.id for s in kept if groups[s.group].moves_timers]
    if moving:
        connection.exec_driver_sql(
            "UPDATE cee_deadline SET status = 'cancelled', settled_at = ? WHERE status = "
            "'pending' AND case_id IN (SELECT value FROM json_each(?))",
            (instant, json.dumps(moving)))
    at = converter(EVENT, "at")(now)
    # SQLite holds the write lock: the events numbered above the highest now are this batch's.
    mark = connection.exec_driver_sql("SELECT coalesce(max(seq), 0) FROM cee_event").scalar() \
        if want_seqs else 0
    connection.exec_driver_sql(
        'INSERT INTO cee_event (case_id, case_seq, at, actor, authority, regime, "trigger", '
        "from_state, to_state, note, data, prev_hash, hash) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(s.id, s.event_count + 1, at, g.actor, g.authority, g.regime, g.trigger,
          g.from_state, g.to_state, g.note, g.event_data, s.head_hash, s.hash)
         for s in kept for g in (groups[s.group],)])
    _insert_deadlines(connection, groups, kept, converter)
    seqs = dict(connection.exec_driver_sql(
        "SELECT case_id, seq FROM cee_event WHERE seq > ?", (mark,)).all()) \
        if kept and want_seqs else {}
    return {s.id for s in kept}, seqs


def _insert_deadlines(connection, groups: Sequence[Group], kept: Sequence[Step],
                      converter) -> None:
    columns = ("case_id", "armed_version", *TIMER_COLUMNS)
    convert = [converter(DEADLINE, name) for name in TIMER_COLUMNS]
    templates = [[tuple(c(row[name]) for c, name in zip(convert, TIMER_COLUMNS, strict=True))
                  for row in group.timers] for group in groups]
    rows: list[tuple] = []
    for step in kept:
        if not groups[step.group].moves_timers:
            continue
        if step.armed is None:
            rows.extend((step.id, step.version + 1, *values)
                        for values in templates[step.group])
        else:
            rows.extend((row["case_id"], row["armed_version"],
                         *(c(row[name]) for c, name in zip(convert, TIMER_COLUMNS, strict=True)))
                        for row in step.armed)
    if rows:
        connection.exec_driver_sql(
            f"INSERT INTO cee_deadline ({', '.join(columns)}) "
            f"VALUES ({', '.join('?' for _ in columns)})", rows)


def _same(value: Any) -> Any:
    return value
