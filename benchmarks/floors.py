"""The per-row floor: the same row writes as the engine's, by hand-written statements.

What a floor includes, so the engine/floor ratio means what it says:
- reading what the values depend on (the case row; for the sweep, the due rows and the case's
  pending timer levels), with the minimal statement;
- computing each row's values in plain Python the way the engine does — the transition's effect
  from the rulebook, `timer_rows`/`carry_levels`, the chained event hash;
- the minimal UPDATE/INSERT statements that write identical rows through the driver (psycopg or
  sqlite3, no ORM): set-based per batch for the bulletin and the sweep (PostgreSQL: unnest arrays;
  SQLite: executemany), one transaction per case for single advances.
It leaves out what makes the engine an engine: the shared machine's dispatch, authority and
jurisdiction, guards, entry facts, compare-and-set on the version, and notification.
"""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from typing import Any

from cee_workflow.states import LIFECYCLES
from cee_workflow.states.authority import regime_at
from cee_workflow.states.base import Facts
from cee_workflow.states.calendar import legal_date
from cee_workflow.states.params import RuleParams
from cee_workflow.workflow.advance import event_data, parse_inputs
from cee_workflow.workflow.audit import chain_hash
from cee_workflow.workflow.timers import carry_levels, timer_rows
from cee_workflow.workflow.views import jsonable

LIQUIDATION = LIFECYCLES["liquidation"]
EVENT_COLUMNS = ("case_id", "case_seq", "at", "actor", "authority", "regime", "trigger",
                 "from_state", "to_state", "note", "data", "prev_hash", "hash")
DEADLINE_COLUMNS = ("case_id", "timer", "kind", "state", "armed_version", "last_day", "due_at",
                    "warn_at", "action", "citation", "status", "level", "next_at")
EVENT_TYPES = ("text", "int", "timestamptz", "text", "text", "text", "text", "text", "text",
               "text", "jsonb", "text", "text")
DEADLINE_TYPES = ("text", "text", "text", "text", "int", "date", "timestamptz", "timestamptz",
                  "text", "text", "text", "int", "timestamptz")


class Driver:
    """Hand-written SQL through the DBAPI connection (`%s` placeholders; `?` on SQLite)."""

    def __init__(self, raw, dialect: str, *, scheduled_column: bool = False):
        self.raw, self.pg = raw, dialect == "postgresql"
        self.cursor = raw.cursor()
        # case.scheduled_for, the column copy of data["scheduled_for"] (migration 0003)
        self.scheduled_column = scheduled_column

    def sql(self, text: str) -> str:
        return text if self.pg else text.replace("%s", "?")

    def begin(self) -> None:
        if not self.pg:
            self.cursor.execute("BEGIN IMMEDIATE")

    def commit(self) -> None:
        self.raw.commit() if self.pg else self.cursor.execute("COMMIT")

    def rows(self, text: str, params: Sequence = ()) -> list[tuple]:
        self.cursor.execute(self.sql(text), tuple(self.value(p) for p in params))
        return self.cursor.fetchall()

    def run(self, text: str, params: Sequence = ()) -> None:
        self.cursor.execute(self.sql(text), tuple(self.value(p) for p in params))

    def many(self, text: str, rows: Iterable[Sequence]) -> None:
        self.cursor.executemany(self.sql(text), [tuple(self.value(v) for v in r) for r in rows])

    def value(self, v: Any) -> Any:
        if self.pg:
            if isinstance(v, dict):
                from psycopg.types.json import Jsonb

                return Jsonb(v)
            return v
        if isinstance(v, datetime):
            return v.astimezone(UTC).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
        if isinstance(v, date):
            return v.isoformat()
        if isinstance(v, dict):
            return json.dumps(v)
        return v

    def data(self, v: Any) -> dict[str, Any]:
        return v if isinstance(v, dict) else json.loads(v)

    def instant(self, v: Any) -> datetime:
        if isinstance(v, datetime):
            return v.astimezone(UTC)
        return datetime.fromisoformat(v).replace(tzinfo=UTC)


# --- computing the rows ------------------------------------------------------------------------


def transition_rows(case: dict[str, Any], trigger: str, now: datetime, params: RuleParams, *,
                    actor: str, authority: str, note: str = "",
                    inputs: dict[str, Any] | None = None,
                    pending_levels: dict | None = None) -> dict[str, Any]:
    """The case's new values, its event and its new deadlines, as the engine computes them."""
    today = legal_date(now)
    spec = next(s for s in LIQUIDATION.specs_for(trigger) if case["state"] in s.sources)
    inputs = parse_inputs(spec, inputs or {}, today)  # a legal date not given is today
    facts = Facts(today=today, data=case["data"], inputs=inputs, params=params)
    changes = spec.effect(facts) if spec.effect else {}
    data = {**case["data"], **changes}
    armed = timer_rows(LIQUIDATION, spec.dest, case["id"], case["version"] + 1, data, params)
    if pending_levels:
        carry_levels(armed, pending_levels, params)
    regime = regime_at(today, case["center"], params.apparel_center_implemented_on)
    event = {"case_id": case["id"], "case_seq": case["event_count"] + 1, "at": now,
             "actor": actor, "authority": authority, "regime": regime.name,
             "trigger": trigger, "from_state": case["state"], "to_state": spec.dest,
             "note": note, "data": jsonable(event_data(spec, inputs, changes, None))}
    event["prev_hash"] = case["head_hash"]
    event["hash"] = chain_hash(case["head_hash"], event)
    return {"id": case["id"], "state": spec.dest, "version": case["version"] + 1, "data": data,
            "escalation": max((r["level"] for r in armed), default=0), "head_hash": event["hash"],
            "event_count": case["event_count"] + 1, "event": event, "deadlines": armed}


# --- writing them --------------------------------------------------------------------------


def write_rows(d: Driver, results: list[dict[str, Any]], now: datetime) -> None:
    """UPDATE the cases, INSERT the events, cancel the old pending deadlines, INSERT the new.

    Many cases on PostgreSQL: one statement each over unnest arrays. One case (a single
    advance), or SQLite: plain statements, executemany — the least either database needs."""
    ids = [r["id"] for r in results]
    events = [[r["event"][c] for c in EVENT_COLUMNS] for r in results]
    deadlines = [[row[c] for c in DEADLINE_COLUMNS] for r in results for row in r["deadlines"]]
    scheduled = [r["data"].get("scheduled_for") for r in results]
    if d.pg and len(results) > 1:
        extra = ", scheduled_for = v.scheduled_for" if d.scheduled_column else ""
        d.run('UPDATE cee_case AS c SET state = v.state, version = v.version, data = v.data, '
              "escalation = v.escalation, head_hash = v.head_hash, event_count = v.event_count, "
              f"updated_at = %s{extra} FROM unnest(%s::text[], %s::text[], %s::int[], "
              "%s::jsonb[], %s::int[], %s::text[], %s::int[], %s::date[]) AS v(id, state, "
              "version, data, escalation, head_hash, event_count, scheduled_for) "
              "WHERE c.id = v.id",
              [now, ids, [r["state"] for r in results], [r["version"] for r in results],
               [json.dumps(r["data"]) for r in results], [r["escalation"] for r in results],
               [r["head_hash"] for r in results], [r["event_count"] for r in results],
               [date.fromisoformat(s) if s else None for s in scheduled]])
        for row in events:
            row[10] = json.dumps(row[10])
        _insert_unnest(d, "cee_event", EVENT_COLUMNS, EVENT_TYPES, events)
        d.run("UPDATE cee_deadline SET status = 'cancelled', settled_at = %s "
              "WHERE case_id = ANY(%s) AND status = 'pending'", [now, ids])
        _insert_unnest(d, "cee_deadline", DEADLINE_COLUMNS, DEADLINE_TYPES, deadlines)
        return
    extra = ", scheduled_for = %s" if d.scheduled_column else ""
    d.many('UPDATE cee_case SET state = %s, version = %s, data = %s, escalation = %s, '
           f"head_hash = %s, event_count = %s, updated_at = %s{extra} WHERE id = %s",
           [(r["state"], r["version"], r["data"], r["escalation"], r["head_hash"],
             r["event_count"], now, *([s] if d.scheduled_column else []), r["id"])
            for r, s in zip(results, scheduled, strict=True)])
    d.many(f"INSERT INTO cee_event ({', '.join(EVENT_COLUMNS)}) VALUES "
           f"({', '.join('%s' for _ in EVENT_COLUMNS)})", events)
    d.many("UPDATE cee_deadline SET status = 'cancelled', settled_at = %s "
           "WHERE case_id = %s AND status = 'pending'", [(now, i) for i in ids])
    d.many(f"INSERT INTO cee_deadline ({', '.join(DEADLINE_COLUMNS)}) VALUES "
           f"({', '.join('%s' for _ in DEADLINE_COLUMNS)})", deadlines)


def _insert_unnest(d: Driver, table: str, columns, types, rows: list[list]) -> None:
    if not rows:
        return
    arrays = [list(column) for column in zip(*rows, strict=True)]
    unnest = ", ".join(f"%s::{t}[]" for t in types)
    d.run(f"INSERT INTO {table} ({', '.join(columns)}) SELECT * FROM unnest({unnest})", arrays)


CASE_COLUMNS = 'id, state, version, event_count, head_hash, data, center'


def _case(d: Driver, row: tuple) -> dict[str, Any]:
    keys = ("id", "state", "version", "event_count", "head_hash", "data", "center")
    case = dict(zip(keys, row, strict=True))
    case["data"] = d.data(case["data"])
    return case


# --- the scenarios' floors ------------------------------------------------------------------


def bulletin(d: Driver, day: date, now: datetime, params: RuleParams, officers: dict[str, str],
             batch: int) -> int:
    """Liquidate every entry scheduled for the bulletin of `day`, `batch` cases a transaction,
    center by center (each center's bulletin, as its officer posts it: benchmarks/true_floor)."""
    return sum(_center_bulletin(d, day, now, params, officers, batch, center)
               for center in sorted(officers))


def _center_bulletin(d: Driver, day: date, now: datetime, params: RuleParams,
                     officers: dict[str, str], batch: int, center: str) -> int:
    if d.scheduled_column:  # the indexed column copy (migration 0003)
        where = "scheduled_for = %s"
    else:
        where = ("data->>'scheduled_for' = %s" if d.pg
                 else "json_extract(data, '$.scheduled_for') = %s")
    done, after = 0, ""
    while True:
        d.begin()
        rows = d.rows(f'SELECT {CASE_COLUMNS} FROM cee_case WHERE kind = \'liquidation\' AND '
                      f"state = 'scheduled' AND {where} AND center = %s AND id > %s "
                      "ORDER BY id LIMIT %s",
                      [day if d.scheduled_column else day.isoformat(), center, after, batch])
        if not rows:
            d.commit()
            return done
        results = []
        for row in rows:
            case = _case(d, row)
            results.append(transition_rows(case, "liquidate", now, params,
                                           actor=officers[case["center"]], authority="CENTER",
                                           inputs={"type": "1"}))
        write_rows(d, results, now)
        d.commit()
        done += len(rows)
        after = rows[-1][0]


def advances(d: Driver, case_ids: list[str], now: datetime, params: RuleParams,
             officers: dict[str, str], latencies: list[float] | None = None) -> int:
    """Liquidate each case in its own transaction: read it, write its rows, commit."""
    lock = " FOR UPDATE" if d.pg else ""
    clock = time.perf_counter
    for case_id in case_ids:
        began = clock()
        d.begin()
        case = _case(d, d.rows(f'SELECT {CASE_COLUMNS} FROM cee_case WHERE id = %s{lock}',
                               [case_id])[0])
        write_rows(d, [transition_rows(case, "liquidate", now, params,
                                       actor=officers[case["center"]], authority="CENTER",
                                       inputs={"type": "1"})], now)
        d.commit()
        if latencies is not None:
            latencies.append(clock() - began)
    return len(case_ids)


def sweep(d: Driver, now: datetime, params: RuleParams, limit: int, batch: int) -> int:
    """Fire every due timer (the population's due rows all fire), `batch` per transaction."""
    me = f"{socket.gethostname()}:{os.getpid()}"
    horizon = d.rows("SELECT coalesce(max(id), 0) FROM cee_deadline")[0][0]
    lock = " FOR UPDATE OF c SKIP LOCKED" if d.pg else ""
    done = 0
    while done < limit:
        d.begin()
        due = d.rows(f"SELECT d.id, d.timer, d.due_at, d.action, c.id, c.state, c.version, "
                     f"c.event_count, c.head_hash, c.data, c.center FROM cee_deadline AS d "
                     f'JOIN cee_case AS c ON c.id = d.case_id WHERE d.status = \'pending\' AND '
                     f"d.next_at <= %s AND d.id <= %s ORDER BY d.next_at, d.id LIMIT %s{lock}",
                     [now, horizon, min(batch, limit - done)])
        ids = [row[4] for row in due]
        levels: dict[str, dict] = {i: {} for i in ids}
        if ids:
            marks = ", ".join("%s" for _ in ids)
            for case_id, timer, due_at, level in d.rows(
                    f"SELECT case_id, timer, due_at, level FROM cee_deadline WHERE status = "
                    f"'pending' AND case_id IN ({marks})", ids):
                levels[case_id][(timer, d.instant(due_at))] = level
        results = []
        for _deadline_id, timer, due_at, action, *case_row in due:
            case = _case(d, tuple(case_row))
            results.append(transition_rows(
                case, action, now, params, actor="system", authority="SYSTEM",
                note=f"{timer} due {d.instant(due_at):%Y-%m-%d}",
                pending_levels=levels[case["id"]]))
        fired = [row[0] for row in due]
        if d.pg:
            d.run("UPDATE cee_deadline SET status = 'fired', settled_at = %s, claimed_by = %s, "
                  "next_at = NULL WHERE id = ANY(%s)", [now, me, fired])
        else:
            d.many("UPDATE cee_deadline SET status = 'fired', settled_at = %s, claimed_by = %s, "
                   "next_at = NULL WHERE id = %s", [(now, me, i) for i in fired])
        if results:
            write_rows(d, results, now)
        d.commit()
        done += len(due)
        if len(due) < batch:
            break
    return done
