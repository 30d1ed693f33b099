"""The population at national scale, written set-based: millions of cases in minutes.

The same layout as `benchmarks.generate` (a bulletin Friday `D`, its `as_of`, the groups
`bulletin`, `sweep` and `background`), lived by the same rulebook (`benchmarks.history`), but
the per-case work is done by the database, not by Python row by row:

1. Python lives each distinct history once — per center (its importers' center: the escalation
   notes name it) and per entry age (and, for background entries, once more with an extension) —
   about 14,500 histories, a few seconds, and writes them as template rows (`bench_tpl_*`),
   each event with its canonical JSON (`workflow.audit.canonical`) for the placeholder case id.
2. The database numbers the cases (`generate_series` on PostgreSQL, a recursive CTE on SQLite),
   gives each its entry number (check digit computed in SQL, `workflow.identifiers`), its
   importer (of the template's center) and its template (`bench_nat_case`);
3. chains each case's events one sequence number at a time: `sha256(prev_hash || canonical
   with the case id put in)` — PostgreSQL `sha256(convert_to(…))`, SQLite a registered
   function; the text hashed is byte for byte what `cee audit verify` recomputes;
4. writes entries, cases, links, events and deadlines with one `INSERT … SELECT` each per chunk.

Case n's group: the first `size` cases are the bulletin's, the next `sweep_due` the sweep's, the
rest background; its template is drawn by multiplicative hashing of n among its group's slots
(background: 20 slots per age, one extended: the 5% of `generate`).
"""

from __future__ import annotations

import json
import random
import time
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from benchmarks.generate import (
    BULLETIN_AGES,
    EXTENDED_SHARE,
    SWEEP_AGE,
    Counts,
    Layout,
    _register,
    importers,
    officer_of,
    sink_for,
)
from benchmarks.history import PLACEHOLDER, at_eastern, live
from cee_workflow.states.params import RuleParams
from cee_workflow.storage.reference_data import CENTERS
from cee_workflow.workflow.audit import GENESIS

CHUNK = 250_000  # cases per transaction
SLOTS_PER_AGE = round(1 / EXTENDED_SHARE)  # one of them extended
GROUPS = ("bulletin", "sweep", "background")


def _types(pg: bool) -> dict[str, str]:
    return {"ts": "timestamptz" if pg else "TEXT", "date": "date" if pg else "TEXT",
            "json": "jsonb" if pg else "TEXT", "big": "bigint" if pg else "INTEGER"}


def _ddl(pg: bool) -> list[str]:
    t = _types(pg)
    return [
        "CREATE TABLE bench_group (case_id varchar(32) PRIMARY KEY, grp text)",
        f"CREATE TABLE bench_tpl_case (tid integer PRIMARY KEY, state text, version integer, "
        f"escalation integer, data {t['json']}, opened_at {t['ts']}, updated_at {t['ts']}, "
        f"scheduled_for {t['date']}, entry_date {t['date']})",
        f"CREATE TABLE bench_tpl_event (tid integer, case_seq integer, at {t['ts']}, actor text, "
        f"authority text, regime text, \"trigger\" text, from_state text, to_state text, "
        f"note text, "
        f"data {t['json']}, canon text, PRIMARY KEY (tid, case_seq))",
        f"CREATE TABLE bench_tpl_deadline (tid integer, ord integer, timer text, kind text, "
        f"state text, armed_version integer, last_day {t['date']}, due_at {t['ts']}, "
        f"warn_at {t['ts']}, action text, citation text, status text, level integer, "
        f"next_at {t['ts']}, claimed_by text, settled_at {t['ts']}, PRIMARY KEY (tid, ord))",
        "CREATE TABLE bench_nat_slot (grp text, center_idx integer, slot integer, tid integer, "
        "PRIMARY KEY (grp, center_idx, slot))",
        "CREATE TABLE bench_nat_importer (j integer PRIMARY KEY, number text, port text, "
        "center text, division text)",
        f"CREATE TABLE bench_nat_case (n {t['big']} PRIMARY KEY, id text, number text, "
        "tid integer, importer text, port text, center text, division text, grp text)",
        "CREATE TABLE bench_nat_chain (case_id text, case_seq integer, prev_hash text, "
        "hash text, PRIMARY KEY (case_id, case_seq))",
    ]


SCRATCH = ("bench_tpl_case", "bench_tpl_event", "bench_tpl_deadline", "bench_nat_slot",
           "bench_nat_importer", "bench_nat_case", "bench_nat_chain")


def templates(layout: Layout, params: RuleParams):
    """(template rows by table, slot rows): each distinct history lived once per center."""
    d, as_of = layout.bulletin_day, layout.as_of
    swept_before = at_eastern(d - timedelta(days=2), 12)  # its due stage left for the sweep
    reserved = {SWEEP_AGE, *BULLETIN_AGES}
    plans = {"bulletin": [(age, False, as_of) for age in BULLETIN_AGES],
             "sweep": [(SWEEP_AGE, False, swept_before)],
             "background": [(age, extended, as_of) for age in range(1, 731)
                            if age not in reserved
                            for extended in (False, True)]}
    rows: dict[str, list[tuple]] = {"tpl_case": [], "tpl_event": [], "tpl_deadline": [],
                                    "nat_slot": []}
    tid = 0
    for center_idx, center in enumerate(CENTERS):
        for grp, plan in plans.items():
            slot = 0
            for age, extended, until in plan:
                entry_date = d - timedelta(days=age)
                extend_on = entry_date + timedelta(days=200) if extended else None
                h = live(center, entry_date, until, params, officer=officer_of(center),
                         extend_on=extend_on)
                tid += 1
                scheduled = h.data.get("scheduled_for")
                rows["tpl_case"].append((tid, h.state, h.version, h.escalation,
                                         json.dumps(h.data), h.opened_at, h.updated_at,
                                         scheduled, entry_date))
                for event, text in zip(h.events, h._canonical, strict=True):
                    rows["tpl_event"].append((tid, event["case_seq"], event["at"],
                                              event["actor"], event["authority"],
                                              event["regime"], event["trigger"],
                                              event["from_state"], event["to_state"],
                                              event["note"], json.dumps(event["data"]), text))
                for ord_, r in enumerate(h.deadlines):
                    rows["tpl_deadline"].append((tid, ord_, r["timer"], r["kind"], r["state"],
                                                 r["armed_version"], r["last_day"], r["due_at"],
                                                 r["warn_at"], r["action"], r["citation"],
                                                 r["status"], r["level"], r["next_at"],
                                                 r["claimed_by"], r["settled_at"]))
                copies = (1 if extended else SLOTS_PER_AGE - 1) if grp == "background" else 1
                for _ in range(copies):
                    rows["nat_slot"].append((grp, center_idx, slot, tid))
                    slot += 1
    return rows


def _check_digit_sql(number: str) -> str:
    """`workflow.identifiers.entry_check_digit` of the 10-digit integer `number`, in SQL (the
    same integer arithmetic on both databases: even positions doubled, less 9 over 9)."""
    terms = []
    for position in range(1, 11):
        digit = f"(({number} / {10 ** (10 - position)}) % 10)"
        terms.append(f"(2 * {digit} - 9 * ({digit} / 5))" if position % 2 == 0 else digit)
    return f"((10 - ({' + '.join(terms)}) % 10) % 10)"


def _cast_text(pg: bool, expression: str) -> str:
    return f"CAST({expression} AS {'text' if pg else 'TEXT'})"


def _hash(pg: bool, text: str) -> str:
    if pg:
        return f"encode(sha256(convert_to({text}, 'UTF8')), 'hex')"
    return f"cee_sha256({text})"


def generate_national(db: sa.Engine, layout: Layout, params: RuleParams) -> Counts:
    """Write the population (after `engine.upgrade()`) set-based; returns what was written."""
    started = time.perf_counter()
    pg = db.dialect.name == "postgresql"
    sink = sink_for(db)
    total = layout.size + layout.sweep_due + layout.background
    owners = importers(total, random.Random(layout.seed))
    per_center = len(owners) // len(CENTERS)
    rows = templates(layout, params)
    lengths = {g: sum(1 for r in rows["nat_slot"] if r[0] == g and r[1] == 0) for g in GROUPS}
    with db.begin() as connection:
        raw = connection.connection.driver_connection
        for statement in _ddl(pg):
            connection.exec_driver_sql(statement)
        sink.write(raw, "importer", ("number", "name", "center", "trusted"),
                   [(i.number, f"Importer {i.number}", i.center, json.dumps(list(i.trusted)))
                    for i in owners])
        sink.write(raw, "officer", ("id", "name", "office", "unit", "role"),
                   [(officer_of(c), f"Center {c} officer", c, "validation", "officer")
                    for c in CENTERS])
        sink.write(raw, "bench_nat_importer", ("j", "number", "port", "center", "division"),
                   [(j, i.number, i.port, i.center, i.division) for j, i in enumerate(owners)])
        for table in ("tpl_case", "tpl_event", "tpl_deadline", "nat_slot"):
            columns = [c["name"] for c in sa.inspect(connection).get_columns(f"bench_{table}")]
            sink.write(raw, f"bench_{table}", columns, rows[table])
        _register(connection, owners)
    for low in range(1, total + 1, CHUNK):
        high = min(total, low + CHUNK - 1)
        with db.begin() as connection:
            if not pg:
                from benchmarks.true_floor import register_sha256
                register_sha256(connection.connection.driver_connection)
            _write_chunk(connection, pg, layout, low, high, lengths, per_center)
    counts = Counts()
    with db.begin() as connection:
        q = connection.exec_driver_sql
        counts.cases = q("SELECT count(*) FROM cee_case").scalar()
        counts.events = q("SELECT count(*) FROM cee_event").scalar()
        counts.deadlines = q("SELECT count(*) FROM cee_deadline").scalar()
        counts.pending = q("SELECT count(*) FROM cee_deadline WHERE status = 'pending'").scalar()
        counts.states = dict(q("SELECT state, count(*) FROM cee_case GROUP BY state").all())
        for table in SCRATCH:
            q(f"DROP TABLE {table}")
    sink.analyze(db)
    counts.seconds = time.perf_counter() - started
    return counts


PADDING_FROM = "2031-01-05 05:00:00+00"  # after every date the population's timers reach


def pad_pending(db: sa.Engine, pending: int, counts: Counts) -> int:
    """PostgreSQL: add pending deadlines, set-based, until `pending` are pending — timer
    `padding`, due (warned at the same instant: nothing escalates before) one second apart
    from 2031-01-05, on the finalized cases (which no scenario
    writes) — so that the sweep claims its due rows among that many pending ones (the claim's
    index range scan, not a population's history, is what the size tests). Returns the rows
    added; `counts` is updated."""
    missing = pending - counts.pending
    if missing <= 0:
        return 0
    if db.dialect.name != "postgresql":
        raise ValueError("--pending pads the pending deadlines on PostgreSQL only")
    with db.begin() as connection:
        # each finalized case k (of n) gets rows j = 0, 1, …: row j * n + k, due that many
        # seconds after the start (a join, not an array subscript per row)
        connection.exec_driver_sql(
            "INSERT INTO cee_deadline (case_id, timer, kind, state, armed_version, last_day, "
            "due_at, warn_at, action, citation, status, level, next_at) "
            "SELECT id, 'padding', 'service', 'final', 1, at::date, at, at, NULL, "
            "'benchmark padding (benchmarks/national.py)', 'pending', 0, at FROM ("
            "SELECT f.id, %(start)s::timestamptz + (j * f.n + f.k) * interval '1 second' AS at "
            "FROM (SELECT id, row_number() OVER (ORDER BY id) - 1 AS k, count(*) OVER () AS n "
            "FROM cee_case WHERE state = 'final') AS f, "
            "generate_series(0, %(missing)s / greatest(f.n, 1)) AS j "
            "WHERE j * f.n + f.k < %(missing)s ORDER BY j, f.k) AS r",
            {"start": PADDING_FROM, "missing": missing})
        added = connection.exec_driver_sql(
            "SELECT count(*) FROM cee_deadline WHERE timer = 'padding'").scalar()
    with db.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("VACUUM ANALYZE cee_deadline")
    counts.pending += added
    counts.deadlines += added
    counts.padding = added
    return added


def _write_chunk(connection, pg: bool, layout: Layout, low: int, high: int,
                 lengths: dict[str, int], per_center: int) -> None:
    def q(sql: str):  # psycopg reads % as a placeholder even without parameters
        return connection.exec_driver_sql(sql.replace("%", "%%") if pg else sql)
    b, s = layout.size, layout.size + layout.sweep_due
    series = (f"SELECT n FROM generate_series({low}::bigint, {high}) AS n" if pg else
              f"WITH RECURSIVE s(n) AS (SELECT {low} UNION ALL SELECT n + 1 FROM s "
              f"WHERE n < {high}) SELECT n FROM s")
    grp = f"CASE WHEN n <= {b} THEN 'bulletin' WHEN n <= {s} THEN 'sweep' ELSE 'background' END"
    length = (f"CASE WHEN n <= {b} THEN {lengths['bulletin']} WHEN n <= {s} THEN "
              f"{lengths['sweep']} ELSE {lengths['background']} END")
    body = "(1000000000 + n)"  # f"{100 + n // 10**7:03d}{n % 10**7:07d}" for n < 9e9
    number = f"{_cast_text(pg, body)} || {_cast_text(pg, _check_digit_sql(body))}"
    numbered = (f"SELECT n, {number} AS number, {grp} AS grp, n % 10 AS center_idx, "
                f"(n * 2654435761) % ({length}) AS slot, "
                f"n % 10 + 10 * (((n / 10) * 7919) % {per_center}) AS j FROM ({series}) AS s")
    q("INSERT INTO bench_nat_case (n, id, number, tid, importer, port, center, division, grp) "
      "SELECT x.n, 'LQ-' || x.number, x.number, sl.tid, i.number, i.port, i.center, i.division, "
      f"x.grp FROM ({numbered}) AS x JOIN bench_nat_slot AS sl ON sl.grp = x.grp AND "
      "sl.center_idx = x.center_idx AND sl.slot = x.slot JOIN bench_nat_importer AS i ON "
      "i.j = x.j")
    depth = q("SELECT max(case_seq) FROM bench_tpl_event").scalar() or 0
    for seq in range(1, depth + 1):
        text = f"p.hash || replace(e.canon, '{PLACEHOLDER}', c.id)"
        previous = (f"'{GENESIS}'" if seq == 1 else "p.hash")
        join = ("" if seq == 1 else
                f"JOIN bench_nat_chain AS p ON p.case_id = c.id AND p.case_seq = {seq - 1} ")
        q("INSERT INTO bench_nat_chain (case_id, case_seq, prev_hash, hash) "
          f"SELECT c.id, {seq}, {previous}, "
          f"{_hash(pg, text.replace('p.hash', previous))} FROM bench_nat_case AS c "
          f"JOIN bench_tpl_event AS e ON e.tid = c.tid AND e.case_seq = {seq} {join}"
          f"WHERE c.n BETWEEN {low} AND {high}")
    where = f"WHERE c.n BETWEEN {low} AND {high}"
    q("INSERT INTO cee_entry (number, importer, port, entry_date, summary_version) "
      "SELECT c.number, c.importer, c.port, t.entry_date, 1 FROM bench_nat_case AS c "
      f"JOIN bench_tpl_case AS t ON t.tid = c.tid {where} ORDER BY c.n")
    q("INSERT INTO cee_case (id, kind, state, version, importer, port, center, division, "
      "escalation, data, head_hash, event_count, opened_at, updated_at, scheduled_for) "
      "SELECT c.id, 'liquidation', t.state, t.version, c.importer, c.port, c.center, "
      "c.division, t.escalation, t.data, coalesce(h.hash, ''), t.version, t.opened_at, "
      "t.updated_at, t.scheduled_for FROM bench_nat_case AS c JOIN bench_tpl_case AS t ON "
      "t.tid = c.tid LEFT JOIN bench_nat_chain AS h ON h.case_id = c.id AND "
      f"h.case_seq = t.version {where} ORDER BY c.n")
    q("INSERT INTO cee_case_entry (case_id, entry) SELECT c.id, c.number FROM bench_nat_case "
      f"AS c {where} ORDER BY c.n")
    q('INSERT INTO cee_event (case_id, case_seq, at, actor, authority, regime, "trigger", '
      "from_state, to_state, note, data, prev_hash, hash) SELECT c.id, e.case_seq, e.at, "
      'e.actor, e.authority, e.regime, e."trigger", e.from_state, e.to_state, e.note, e.data, '
      "h.prev_hash, h.hash FROM bench_nat_case AS c JOIN bench_tpl_event AS e ON e.tid = c.tid "
      "JOIN bench_nat_chain AS h ON h.case_id = c.id AND h.case_seq = e.case_seq "
      f"{where} ORDER BY c.n, e.case_seq")
    q("INSERT INTO cee_deadline (case_id, timer, kind, state, armed_version, last_day, due_at, "
      "warn_at, action, citation, status, level, next_at, claimed_by, settled_at) "
      "SELECT c.id, d.timer, d.kind, d.state, d.armed_version, d.last_day, d.due_at, "
      "d.warn_at, d.action, d.citation, d.status, d.level, d.next_at, d.claimed_by, "
      "d.settled_at FROM bench_nat_case AS c JOIN bench_tpl_deadline AS d ON d.tid = c.tid "
      f"{where} ORDER BY c.n, d.ord")
    q(f"INSERT INTO bench_group (case_id, grp) SELECT c.id, c.grp FROM bench_nat_case AS c "
      f"{where} AND c.grp <> 'background'")
    q("DELETE FROM bench_nat_chain")


def describe(counts: Counts) -> dict[str, Any]:
    return {**counts.to_dict(), "generator": "national (set-based, benchmarks/national.py)"}
