"""The true floor: the bulletin written by the fewest set-based statements the database allows.

The per-row floor (benchmarks/floors.py) still runs per-case Python: each case's effect, timers
and chained hash computed client-side and shipped to the database row by row (arrays of them).
That is not the physical limit. Everything a bulletin's liquidation writes is the same for every
case of the bulletin except a handful of per-case values, so the true floor:

- computes in Python, once per bulletin, what is the same for many cases: the effect, the event
  data and the timers of each distinct entry date (the protest period depends on it, 19 U.S.C.
  1514(c)(3)), and the actor and regime of each center — a few dozen rows in all;
- lets the database do the per-case work: select the batch under lock, build each event's
  canonical JSON (sorted keys, no spaces: the very bytes `workflow.audit.canonical` makes) and
  chain its hash — PostgreSQL `sha256(convert_to(…))`, SQLite a registered function over the
  canonical text SQLite builds with `json_quote` —, merge the data, cancel the old deadlines
  and arm the new ones.

PostgreSQL: one statement per batch (data-modifying CTEs: UPDATE … FROM, INSERT … SELECT,
UPDATE … FROM). SQLite (no writable CTEs): one INSERT … SELECT into a temporary table of the
batch, then one UPDATE … FROM, two INSERT … SELECT and one UPDATE. The canonical event form
needs no change for this: its varying strings are JSON-quoted by the database, the rest is
constant per bulletin.

Each center's bulletin is its own pass, as the engine is asked to post it: a bulletin is the
act of one center, posted by that center's officer (19 CFR 159.9(c)(1); DO 14-004), and on a
real database a session acts only as its own login's officer (README "Security model"), so no
session may liquidate two centers' entries. A center's entries are spread over the whole id
range (their ids interleave with the other centers'), so each of its batches touches more
pages than a batch of consecutive ids: on SQLite, where a commit writes every page a batch
dirtied, ten per-center passes took 1.5-2.3 times one pass over every center's entries in id
order (`per_center=False`, which no single officer may run; measured and reported beside the
true floor as the all-centers pass, a reference, not the floor); on PostgreSQL 1.3 times.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime
from typing import Any

from benchmarks.floors import Driver, _case, transition_rows
from cee_workflow.states.authority import regime_at
from cee_workflow.states.calendar import legal_date
from cee_workflow.states.params import RuleParams

TIMER_KEYS = ("timer", "kind", "last_day", "due_at", "warn_at", "action", "citation", "level",
              "next_at")


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def constants(d: Driver, day: date, now: datetime, params: RuleParams,
              officers: dict[str, str]) -> dict[str, Any]:
    """What is the same for many cases of the bulletin, computed once: per entry date the data
    changes, the event data and the timers; per center the actor and the regime."""
    entry = "data->>'entry_date'" if d.pg else "json_extract(data, '$.entry_date')"
    representatives = d.rows(
        f"SELECT {entry}, min(id) FROM cee_case WHERE kind = 'liquidation' AND state = "
        f"'scheduled' AND scheduled_for = %s GROUP BY {entry}", [day])
    groups = []
    for entry_date, case_id in representatives:
        case = _case(d, d.rows("SELECT id, state, version, event_count, head_hash, data, center "
                               "FROM cee_case WHERE id = %s", [case_id])[0])
        computed = transition_rows(case, "liquidate", now, params, actor="", authority="CENTER",
                                   inputs={"type": "1"})
        changes = {k: v for k, v in computed["data"].items() if case["data"].get(k) != v}
        groups.append({"entry_date": entry_date, "changes": changes,
                       "evdata": _canonical(computed["event"]["data"]),
                       "escalation": computed["escalation"],
                       "timers": [{k: row[k] for k in TIMER_KEYS}
                                  for row in computed["deadlines"]]})
    today = legal_date(now)
    centers = [{"center": center, "actor": actor,
                "regime": regime_at(today, center, params.apparel_center_implemented_on).name}
               for center, actor in sorted(officers.items())]
    at = now.astimezone(UTC)
    parts = canonical_parts(at=at, authority="CENTER", from_state="scheduled", note="",
                            to_state="liquidated", trigger="liquidate")
    return {"groups": groups, "centers": centers, "parts": parts, "at": at}


def canonical_parts(*, at: datetime, authority: str, from_state: str, note: str, to_state: str,
                    trigger: str) -> dict[str, str]:
    """The canonical event (`workflow.audit.canonical`: keys sorted, no spaces) around the
    per-case values the database quotes itself (actor A, case id I, case_seq N, data D,
    regime R): {"actor":A,"at":…,"authority":…,"case_id":I,"case_seq":N,"data":D,
    "from_state":…,"note":…,"regime":R,"to_state":…,"trigger":…}."""
    return {
        "after_actor": f',"at":{_canonical(at.astimezone(UTC).isoformat())},'
                       f'"authority":{_canonical(authority)},"case_id":',
        "after_regime_before": f',"from_state":{_canonical(from_state)},'
                               f'"note":{_canonical(note)},"regime":',
        "tail": f',"to_state":{_canonical(to_state)},"trigger":{_canonical(trigger)}}}',
    }


def hash_sql(pg: bool, *, head: str, actor: str, case_id: str, seq: str, data: str,
             regime: str, parts: tuple[str, str, str]) -> str:
    """The SQL expression of the chained hash over the canonical form the database builds."""
    quote = (lambda x: f"to_json({x}::text)::text") if pg else (lambda x: f"json_quote({x})")
    text = (f"{head} || '{{\"actor\":' || {quote(actor)} || {parts[0]} || {quote(case_id)} "
            f"|| ',\"case_seq\":' || ({seq}){'::text' if pg else ''} || ',\"data\":' "
            f"|| {data} "
            f"|| {parts[1]} || {quote(regime)} || {parts[2]}")
    if pg:
        return f"encode(sha256(convert_to({text}, 'UTF8')), 'hex')"
    return f"cee_sha256({text})"


def hash_in_database(db, prev_hash: str, event: dict[str, Any]) -> str:
    """The chain hash of `event` as the true floor computes it (for the tests)."""
    parts = canonical_parts(**{k: event[k] for k in ("at", "authority", "from_state", "note",
                                                     "to_state", "trigger")})
    pg = db.dialect.name == "postgresql"
    mark = (lambda name: f"%({name})s") if pg else (lambda name: f":{name}")
    sql = "SELECT " + hash_sql(pg, head=mark("head"), actor=mark("actor"),
                               case_id=mark("case_id"), seq=mark("seq"), data=mark("data"),
                               regime=mark("regime"),
                               parts=tuple(mark(k) for k in parts))  # type: ignore[arg-type]
    raw = db.raw_connection()
    try:
        if not pg:
            register_sha256(raw.driver_connection)
        cursor = raw.driver_connection.cursor()
        cursor.execute(sql, {"head": prev_hash, "actor": event["actor"],
                             "case_id": event["case_id"], "seq": event["case_seq"],
                             "data": _canonical(event["data"]), "regime": event["regime"],
                             **parts})
        return cursor.fetchone()[0]
    finally:
        raw.close()


def register_sha256(connection) -> None:
    """SQLite has no sha256(): the hash of the canonical text SQLite builds, as a function."""
    connection.create_function("cee_sha256", 1,
                               lambda text: hashlib.sha256(text.encode()).hexdigest(),
                               deterministic=True)


def bulletin(d: Driver, day: date, now: datetime, params: RuleParams, officers: dict[str, str],
             batch: int, *, per_center: bool = True) -> int:
    """Liquidate every entry scheduled for the bulletin of `day`, `batch` cases a transaction:
    center by center (each center's bulletin in turn, as its officer posts it), or, without
    `per_center`, every center's entries in one pass in id order (the all-centers reference)."""
    d.begin()
    k = constants(d, day, now, params, officers)
    d.commit()
    centers = [c["center"] for c in k["centers"]] if per_center else [None]
    return (_bulletin_pg if d.pg else _bulletin_sqlite)(d, day, k, batch, centers)


# --- PostgreSQL: one statement per batch ---------------------------------------------------

PG_BATCH = """
WITH g AS (SELECT * FROM unnest(%(g_entry)s::text[], %(g_changes)s::jsonb[],
                                %(g_evdata)s::text[], %(g_escalation)s::int[])
           AS g (entry_date, changes, evdata, escalation)),
k AS (SELECT * FROM unnest(%(k_center)s::text[], %(k_actor)s::text[], %(k_regime)s::text[])
      AS k (center, actor, regime)),
t AS (SELECT * FROM unnest(%(t_entry)s::text[], %(t_n)s::int[], %(t_timer)s::text[],
                           %(t_kind)s::text[], %(t_last_day)s::date[],
                           %(t_due_at)s::timestamptz[], %(t_warn_at)s::timestamptz[],
                           %(t_action)s::text[], %(t_citation)s::text[], %(t_level)s::int[],
                           %(t_next_at)s::timestamptz[])
      AS t (entry_date, n, timer, kind, last_day, due_at, warn_at, action, citation, level,
            next_at)),
b AS (SELECT c.id, c.version, c.event_count, c.head_hash, c.center,
             c.data->>'entry_date' AS entry_date
      FROM cee_case AS c WHERE c.kind = 'liquidation' AND c.state = 'scheduled'
      AND c.scheduled_for = %(day)s /*center*/ ORDER BY c.id LIMIT %(batch)s FOR UPDATE),
h AS (SELECT b.*, g.changes, g.evdata, g.escalation, k.actor, k.regime, HASH AS hash
      FROM b JOIN g USING (entry_date) JOIN k USING (center)),
u AS (UPDATE cee_case AS c SET state = 'liquidated', version = h.version + 1,
             data = c.data || h.changes, escalation = h.escalation, head_hash = h.hash,
             event_count = h.event_count + 1, updated_at = %(now)s
      FROM h WHERE c.id = h.id),
e AS (INSERT INTO cee_event (case_id, case_seq, at, actor, authority, regime, trigger,
                             from_state, to_state, note, data, prev_hash, hash)
      SELECT id, event_count + 1, %(now)s, actor, 'CENTER', regime, 'liquidate', 'scheduled',
             'liquidated', '', evdata::jsonb, head_hash, hash FROM h ORDER BY id),
x AS (UPDATE cee_deadline AS d SET status = 'cancelled', settled_at = %(now)s
      FROM h WHERE d.case_id = h.id AND d.status = 'pending'),
a AS (INSERT INTO cee_deadline (case_id, timer, kind, state, armed_version, last_day, due_at,
                                warn_at, action, citation, status, level, next_at)
      SELECT h.id, t.timer, t.kind, 'liquidated', h.version + 1, t.last_day, t.due_at,
             t.warn_at, t.action, t.citation, 'pending', t.level, t.next_at
      FROM h JOIN t USING (entry_date) ORDER BY h.id, t.n)
SELECT count(*) FROM h
""".replace("HASH", hash_sql(True, head="b.head_hash", actor="k.actor", case_id="b.id",
                             seq="b.event_count + 1", data="g.evdata",
                             parts=("%(after_actor)s", "%(after_regime_before)s", "%(tail)s"),
                             regime="k.regime"))
PG_BATCHES = {True: PG_BATCH.replace("/*center*/", "AND c.center = %(center)s"),
              False: PG_BATCH.replace(" /*center*/", "")}


def _bulletin_pg(d: Driver, day: date, k: dict[str, Any], batch: int,
                 centers: list[str | None]) -> int:
    """Each center's batches in turn (None: every center's, in one pass), the statement's
    constant parameters built once."""
    from psycopg.types.json import Jsonb

    groups, timers = k["groups"], [(g["entry_date"], n, t) for g in k["groups"]
                                   for n, t in enumerate(g["timers"])]
    params = {
        "g_entry": [g["entry_date"] for g in groups],
        "g_changes": [Jsonb(g["changes"]) for g in groups],
        "g_evdata": [g["evdata"] for g in groups],
        "g_escalation": [g["escalation"] for g in groups],
        "k_center": [c["center"] for c in k["centers"]],
        "k_actor": [c["actor"] for c in k["centers"]],
        "k_regime": [c["regime"] for c in k["centers"]],
        "t_entry": [e for e, _, _ in timers], "t_n": [n for _, n, _ in timers],
        **{f"t_{key}": [t[key] for _, _, t in timers] for key in TIMER_KEYS},
        "day": day, "batch": batch, "now": k["at"], **k["parts"],
    }
    done = 0
    for center in centers:
        statement, params["center"] = PG_BATCHES[center is not None], center
        while True:
            d.cursor.execute(statement, params)
            count = d.cursor.fetchone()[0]
            d.raw.commit()
            done += count
            if count < batch:
                break
    return done


# --- SQLite: a temporary table of the batch, then four statements --------------------------


SQLITE_HASH = hash_sql(False, head="c.head_hash", actor="k.actor", case_id="c.id",
                       seq="c.event_count + 1", data="g.evdata", regime="k.regime",
                       parts=("?", "?", "?"))


def _bulletin_sqlite(d: Driver, day: date, k: dict[str, Any], batch: int,
                     centers: list[str | None]) -> int:
    """The temporary tables of the bulletin's constants made once, then each center's batches
    in turn (None: every center's, in one pass)."""
    register_sha256(d.raw)
    run = d.cursor.execute
    run("DROP TABLE IF EXISTS temp.fl_g")
    run("DROP TABLE IF EXISTS temp.fl_k")
    run("DROP TABLE IF EXISTS temp.fl_t")
    run("DROP TABLE IF EXISTS temp.fl_b")
    run("CREATE TEMP TABLE fl_g (entry_date TEXT PRIMARY KEY, changes TEXT, evdata TEXT, "
        "escalation INT)")
    run("CREATE TEMP TABLE fl_k (center TEXT PRIMARY KEY, actor TEXT, regime TEXT)")
    run("CREATE TEMP TABLE fl_t (entry_date TEXT, n INT, timer TEXT, kind TEXT, last_day TEXT, "
        "due_at TEXT, warn_at TEXT, action TEXT, citation TEXT, level INT, next_at TEXT)")
    run("CREATE TEMP TABLE fl_b (id TEXT PRIMARY KEY, version INT, event_count INT, "
        "head_hash TEXT, entry_date TEXT, actor TEXT, regime TEXT, changes TEXT, evdata TEXT, "
        "escalation INT, hash TEXT)")
    d.cursor.executemany("INSERT INTO fl_g VALUES (?, ?, ?, ?)", [
        (g["entry_date"], json.dumps(g["changes"]), g["evdata"], g["escalation"])
        for g in k["groups"]])
    d.cursor.executemany("INSERT INTO fl_k VALUES (?, ?, ?)", [
        (c["center"], c["actor"], c["regime"]) for c in k["centers"]])
    d.cursor.executemany("INSERT INTO fl_t VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", [
        (g["entry_date"], n, *(d.value(t[key]) for key in TIMER_KEYS))
        for g in k["groups"] for n, t in enumerate(g["timers"])])
    keys = sorted({key for g in k["groups"] for key in g["changes"]})
    merge = "data"
    for key in keys:  # top-level keys replaced whole, as Python's {**data, **changes}
        merge = f"json_set({merge}, '$.{key}', b.changes -> '$.{key}')"
    parts, now = k["parts"], d.value(k["at"])
    pick = ("INSERT INTO fl_b SELECT c.id, c.version, c.event_count, c.head_hash, g.entry_date, "
            f"k.actor, k.regime, g.changes, g.evdata, g.escalation, {SQLITE_HASH} "
            "FROM cee_case AS c JOIN fl_g AS g ON g.entry_date = json_extract(c.data, "
            "'$.entry_date') JOIN fl_k AS k ON k.center = c.center "
            "WHERE c.kind = 'liquidation' AND c.state = 'scheduled' AND c.scheduled_for = ? ")
    picks = {True: pick + "AND c.center = ? ORDER BY c.id LIMIT ?",
             False: pick + "ORDER BY c.id LIMIT ?"}
    done = 0
    for center in centers:
        chosen = (center,) if center is not None else ()
        while True:
            run("BEGIN IMMEDIATE")
            run(picks[center is not None], (parts["after_actor"], parts["after_regime_before"],
                                            parts["tail"], day.isoformat(), *chosen, batch))
            count = d.cursor.rowcount
            run(f"UPDATE cee_case SET state = 'liquidated', version = b.version + 1, "
                f"data = {merge}, escalation = b.escalation, head_hash = b.hash, "
                "event_count = b.event_count + 1, updated_at = ? FROM fl_b AS b "
                "WHERE cee_case.id = b.id", (now,))
            run("INSERT INTO cee_event (case_id, case_seq, at, actor, authority, regime, "
                "\"trigger\", from_state, to_state, note, data, prev_hash, hash) SELECT id, "
                "event_count + 1, ?, actor, 'CENTER', regime, 'liquidate', 'scheduled', "
                "'liquidated', '', evdata, head_hash, hash FROM fl_b ORDER BY id", (now,))
            run("UPDATE cee_deadline SET status = 'cancelled', settled_at = ? WHERE status = "
                "'pending' AND case_id IN (SELECT id FROM fl_b)", (now,))
            run("INSERT INTO cee_deadline (case_id, timer, kind, state, armed_version, "
                "last_day, due_at, warn_at, action, citation, status, level, next_at) "
                "SELECT b.id, t.timer, t.kind, 'liquidated', b.version + 1, t.last_day, "
                "t.due_at, t.warn_at, t.action, t.citation, 'pending', t.level, t.next_at "
                "FROM fl_b AS b JOIN fl_t AS t ON t.entry_date = b.entry_date ORDER BY b.id, t.n")
            run("DELETE FROM fl_b")
            run("COMMIT")
            done += count
            if count < batch:
                break
    return done

