"""The true floor of the sweep's set-based fires: due timers fired by set-based statements.

As for the bulletin (benchmarks/true_floor.py), Python computes once what many fires share and
the database does the per-case work. A fire's values depend on the case's entry date (the
effect: the bulletin it is scheduled for), on the timer and its due instant (the event's note)
and on the escalation levels its pending deadlines reached (a deadline running on into the new
state keeps its level: `carry_levels`). So the floor reads the distinct combinations among the
due timers (one statement), computes one representative fire of each in Python (the per-row
floor's `transition_rows`), and then, per batch, fires every due timer in one statement on
PostgreSQL (data-modifying CTEs: lock the due rows' cases, mark the timers fired, update the
cases, insert the events with the hash chained in SQL, cancel the other pending deadlines, arm
the new ones); on SQLite, a temporary table of the batch and five statements.
"""

from __future__ import annotations

import json
import os
import socket
from datetime import UTC, datetime
from typing import Any

from benchmarks.floors import Driver, _case, transition_rows
from benchmarks.true_floor import (
    TIMER_KEYS,
    _canonical,
    canonical_parts,
    hash_sql,
    register_sha256,
)
from cee_workflow.states.authority import regime_at
from cee_workflow.states.calendar import legal_date
from cee_workflow.states.params import RuleParams

# The escalated pending deadlines of a case, as one text (part of a fire's group key).
PG_SIG = ("coalesce((SELECT string_agg(x.timer || '@' || x.due_at::text || '=' || x.level, ',' "
          "ORDER BY x.timer, x.due_at) FROM cee_deadline AS x WHERE x.case_id = {case} AND "
          "x.status = 'pending' AND x.level > 0), '')")
SQLITE_SIG = ("coalesce((SELECT group_concat(s, ',') FROM (SELECT x.timer || '@' || x.due_at "
              "|| '=' || x.level AS s FROM cee_deadline AS x WHERE x.case_id = {case} AND "
              "x.status = 'pending' AND x.level > 0 ORDER BY x.timer, x.due_at)), '')")


def _key(d: Driver, case: str, deadline: str) -> str:
    """The SQL of a due timer's group: entry date, timer, due instant, action, escalations."""
    if d.pg:
        return (f"({case}.data->>'entry_date') || '|' || {deadline}.timer || '|' || "
                f"{deadline}.due_at::text || '|' || {deadline}.action || '|' || "
                + PG_SIG.format(case=f"{case}.id"))
    return (f"json_extract({case}.data, '$.entry_date') || '|' || {deadline}.timer || '|' || "
            f"{deadline}.due_at || '|' || {deadline}.action || '|' || "
            + SQLITE_SIG.format(case=f"{case}.id"))


def groups(d: Driver, now: datetime, horizon: int, params: RuleParams) -> list[dict[str, Any]]:
    """Each distinct kind of fire among the due timers, computed once on a representative."""
    found = d.rows(f"SELECT {_key(d, 'c', 'd')} AS k, min(c.id), min(d.timer), min(d.due_at), "
                   "min(d.action) FROM cee_deadline AS d JOIN cee_case AS c ON c.id = d.case_id "
                   "WHERE d.status = 'pending' AND d.next_at <= %s AND d.id <= %s GROUP BY k",
                   [now, horizon])
    out = []
    for key, case_id, timer, due_at, action in found:
        case = _case(d, d.rows("SELECT id, state, version, event_count, head_hash, data, center "
                               "FROM cee_case WHERE id = %s", [case_id])[0])
        levels = {(t, d.instant(at)): level for t, at, level in d.rows(
            "SELECT timer, due_at, level FROM cee_deadline WHERE status = 'pending' AND "
            "case_id = %s", [case_id])}
        note = f"{timer} due {d.instant(due_at):%Y-%m-%d}"
        computed = transition_rows(case, action, now, params, actor="system",
                                   authority="SYSTEM", note=note, pending_levels=levels)
        event = computed["event"]
        out.append({"key": key, "state": computed["state"],
                    "changes": {k: v for k, v in computed["data"].items()
                                if case["data"].get(k) != v},
                    "evdata": _canonical(event["data"]), "escalation": computed["escalation"],
                    "note": note, "trigger": action, "from_state": case["state"],
                    "timers": [{k: row[k] for k in TIMER_KEYS}
                               for row in computed["deadlines"]]})
    return out


def sweep(d: Driver, now: datetime, params: RuleParams, limit: int, batch: int,
          officers: dict[str, str]) -> int:
    """Fire every due timer (the population's due rows all fire), `batch` per transaction."""
    me = f"{socket.gethostname()}:{os.getpid()}"
    d.begin()
    horizon = d.rows("SELECT coalesce(max(id), 0) FROM cee_deadline")[0][0]
    found = groups(d, now, horizon, params)
    d.commit()
    if not found:
        return 0
    today = legal_date(now)
    regimes = {c: regime_at(today, c, params.apparel_center_implemented_on).name
               for c in officers}
    first = found[0]
    if any((g["trigger"], g["from_state"], g["state"]) != (
            first["trigger"], first["from_state"], first["state"]) for g in found):
        raise ValueError("the true sweep floor expects one kind of fire (the population's "
                         "auto-schedule)")
    # The note varies per group: the database quotes it with the other per-case values.
    parts = canonical_parts(at=now, authority="SYSTEM", from_state=first["from_state"],
                            note="", to_state=first["state"], trigger=first["trigger"])
    parts["after_regime_before"] = f',"from_state":{_canonical(first["from_state"])}'
    run = _sweep_pg if d.pg else _sweep_sqlite
    return run(d, now, horizon, limit, batch, me, found, regimes, parts, first)


def _hash(pg: bool, case: str, parts: tuple[str, str, str]) -> str:
    # {"actor":"system",…,"from_state":…,"note":N,"regime":R,…}: the note is per group, so the
    # part before the regime is built around it
    return hash_sql(pg, head=f"{case}.head_hash", actor="'system'", case_id=f"{case}.id",
                    seq=f"{case}.event_count + 1", data="g.evdata", regime="k.regime",
                    parts=(parts[0], f"{parts[1]} || ',\"note\":' || "
                           + ("to_json(g.note::text)::text" if pg else "json_quote(g.note)")
                           + " || ',\"regime\":'", parts[2]))


PG_SWEEP = """
WITH g AS (SELECT * FROM unnest(%(g_key)s::text[], %(g_changes)s::jsonb[], %(g_evdata)s::text[],
                                %(g_escalation)s::int[], %(g_note)s::text[])
           AS g (key, changes, evdata, escalation, note)),
k AS (SELECT * FROM unnest(%(k_center)s::text[], %(k_regime)s::text[]) AS k (center, regime)),
t AS (SELECT * FROM unnest(%(t_key)s::text[], %(t_n)s::int[], %(t_timer)s::text[],
                           %(t_kind)s::text[], %(t_last_day)s::date[],
                           %(t_due_at)s::timestamptz[], %(t_warn_at)s::timestamptz[],
                           %(t_action)s::text[], %(t_citation)s::text[], %(t_level)s::int[],
                           %(t_next_at)s::timestamptz[])
      AS t (key, n, timer, kind, last_day, due_at, warn_at, action, citation, level, next_at)),
due AS (SELECT d.id AS deadline_id, d.timer, d.due_at, d.action, c.id, c.version,
               c.event_count, c.head_hash, c.center, c.data
        FROM cee_deadline AS d JOIN cee_case AS c ON c.id = d.case_id
        WHERE d.status = 'pending' AND d.next_at <= %(now)s AND d.id <= %(horizon)s
        ORDER BY d.next_at, d.id LIMIT %(batch)s FOR UPDATE OF c SKIP LOCKED),
b AS (SELECT due.*, KEY AS key FROM due),
h AS (SELECT b.*, g.changes, g.evdata, g.escalation, g.note, k.regime, HASH AS hash
      FROM b JOIN g USING (key) JOIN k USING (center)),
f AS (UPDATE cee_deadline AS x SET status = 'fired', settled_at = %(now)s,
             claimed_by = %(me)s, next_at = NULL FROM h WHERE x.id = h.deadline_id),
u AS (UPDATE cee_case AS c SET state = %(to_state)s, version = h.version + 1,
             data = c.data || h.changes, escalation = h.escalation, head_hash = h.hash,
             event_count = h.event_count + 1, updated_at = %(now)s,
             scheduled_for = ((c.data || h.changes)->>'scheduled_for')::date
      FROM h WHERE c.id = h.id),
e AS (INSERT INTO cee_event (case_id, case_seq, at, actor, authority, regime, trigger,
                             from_state, to_state, note, data, prev_hash, hash)
      SELECT id, event_count + 1, %(now)s, 'system', 'SYSTEM', regime, %(trigger)s,
             %(from_state)s, %(to_state)s, note, evdata::jsonb, head_hash, hash
      FROM h ORDER BY deadline_id),
x AS (UPDATE cee_deadline AS d SET status = 'cancelled', settled_at = %(now)s
      FROM h WHERE d.case_id = h.id AND d.status = 'pending' AND d.id <> h.deadline_id),
a AS (INSERT INTO cee_deadline (case_id, timer, kind, state, armed_version, last_day, due_at,
                                warn_at, action, citation, status, level, next_at)
      SELECT h.id, t.timer, t.kind, %(to_state)s, h.version + 1, t.last_day, t.due_at,
             t.warn_at, t.action, t.citation, 'pending', t.level, t.next_at
      FROM h JOIN t USING (key) ORDER BY h.deadline_id, t.n)
SELECT count(*) FROM h
"""


def _sweep_pg(d: Driver, now, horizon, limit, batch, me, found, regimes, parts, first) -> int:
    from psycopg.types.json import Jsonb

    timers = [(g["key"], n, t) for g in found for n, t in enumerate(g["timers"])]
    sql = (PG_SWEEP.replace("KEY", _key(d, "due", "due"))
           .replace("HASH", _hash(True, "b", ("%(after_actor)s", "%(after_regime_before)s",
                                               "%(tail)s"))))
    params = {
        "g_key": [g["key"] for g in found], "g_changes": [Jsonb(g["changes"]) for g in found],
        "g_evdata": [g["evdata"] for g in found],
        "g_escalation": [g["escalation"] for g in found], "g_note": [g["note"] for g in found],
        "k_center": list(regimes), "k_regime": list(regimes.values()),
        "t_key": [k for k, _, _ in timers], "t_n": [n for _, n, _ in timers],
        **{f"t_{key}": [t[key] for _, _, t in timers] for key in TIMER_KEYS},
        "now": now.astimezone(UTC), "horizon": horizon, "me": me,
        "to_state": first["state"], "from_state": first["from_state"],
        "trigger": first["trigger"], **parts}
    done = 0
    while done < limit:
        params["batch"] = min(batch, limit - done)
        d.cursor.execute(sql, params)
        count = d.cursor.fetchone()[0]
        d.raw.commit()
        done += count
        if count < params["batch"]:
            break
    return done


def _sweep_sqlite(d: Driver, now, horizon, limit, batch, me, found, regimes, parts,
                  first) -> int:
    register_sha256(d.raw)
    run = d.cursor.execute
    for name in ("fs_g", "fs_k", "fs_t", "fs_b"):
        run(f"DROP TABLE IF EXISTS temp.{name}")
    run("CREATE TEMP TABLE fs_g (key TEXT PRIMARY KEY, changes TEXT, evdata TEXT, "
        "escalation INT, note TEXT)")
    run("CREATE TEMP TABLE fs_k (center TEXT PRIMARY KEY, regime TEXT)")
    run("CREATE TEMP TABLE fs_t (key TEXT, n INT, timer TEXT, kind TEXT, last_day TEXT, "
        "due_at TEXT, warn_at TEXT, action TEXT, citation TEXT, level INT, next_at TEXT)")
    run("CREATE TEMP TABLE fs_b (deadline_id INT PRIMARY KEY, id TEXT, version INT, "
        "event_count INT, head_hash TEXT, key TEXT, regime TEXT, changes TEXT, evdata TEXT, "
        "escalation INT, note TEXT, hash TEXT)")
    d.cursor.executemany("INSERT INTO fs_g VALUES (?, ?, ?, ?, ?)", [
        (g["key"], json.dumps(g["changes"]), g["evdata"], g["escalation"], g["note"])
        for g in found])
    d.cursor.executemany("INSERT INTO fs_k VALUES (?, ?)", list(regimes.items()))
    d.cursor.executemany("INSERT INTO fs_t VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", [
        (g["key"], n, *(d.value(t[key]) for key in TIMER_KEYS))
        for g in found for n, t in enumerate(g["timers"])])
    keys = sorted({key for g in found for key in g["changes"]})
    merge = "data"
    for key in keys:
        merge = f"json_set({merge}, '$.{key}', b.changes -> '$.{key}')"
    at = d.value(now)
    select_hash = _hash(False, "c", ("?", "?", "?"))
    done = 0
    while done < limit:
        size = min(batch, limit - done)
        run("BEGIN IMMEDIATE")
        run("INSERT INTO fs_b SELECT c.deadline_id, c.id, c.version, c.event_count, "
            "c.head_hash, g.key, k.regime, g.changes, g.evdata, g.escalation, g.note, "
            f"{select_hash} FROM (SELECT d.id AS deadline_id, c.id, c.version, c.event_count, "
            f"c.head_hash, c.center, {_key(d, 'c', 'd')} AS key FROM cee_deadline AS d "
            "JOIN cee_case AS c ON c.id = d.case_id WHERE d.status = 'pending' AND "
            "d.next_at <= ? AND d.id <= ? ORDER BY d.next_at, d.id LIMIT ?) AS c "
            "JOIN fs_g AS g ON g.key = c.key JOIN fs_k AS k ON k.center = c.center",
            (parts["after_actor"], parts["after_regime_before"], parts["tail"], at, horizon,
             size))
        count = d.cursor.rowcount
        run("UPDATE cee_deadline SET status = 'fired', settled_at = ?, claimed_by = ?, "
            "next_at = NULL WHERE id IN (SELECT deadline_id FROM fs_b)", (at, me))
        run(f"UPDATE cee_case SET state = ?, version = b.version + 1, data = {merge}, "
            "escalation = b.escalation, head_hash = b.hash, event_count = b.event_count + 1, "
            "updated_at = ?, scheduled_for = json_extract(" + merge + ", '$.scheduled_for') "
            "FROM fs_b AS b WHERE cee_case.id = b.id", (first["state"], at))
        run("INSERT INTO cee_event (case_id, case_seq, at, actor, authority, regime, \"trigger\", "
            "from_state, to_state, note, data, prev_hash, hash) SELECT id, event_count + 1, ?, "
            "'system', 'SYSTEM', regime, ?, ?, ?, note, evdata, head_hash, hash FROM fs_b "
            "ORDER BY deadline_id", (at, first["trigger"], first["from_state"], first["state"]))
        run("UPDATE cee_deadline SET status = 'cancelled', settled_at = ? WHERE status = "
            "'pending' AND case_id IN (SELECT id FROM fs_b)", (at,))
        run("INSERT INTO cee_deadline (case_id, timer, kind, state, armed_version, last_day, "
            "due_at, warn_at, action, citation, status, level, next_at) SELECT b.id, t.timer, "
            "t.kind, ?, b.version + 1, t.last_day, t.due_at, t.warn_at, t.action, t.citation, "
            "'pending', t.level, t.next_at FROM fs_b AS b JOIN fs_t AS t ON t.key = b.key "
            "ORDER BY b.deadline_id, t.n", (first["state"],))
        run("DELETE FROM fs_b")
        run("COMMIT")
        done += count
        if count < size:
            break
    return done
