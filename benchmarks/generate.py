"""Realistic data, written set-based: importers of the ten centers, entries over two years.

The layout, around a bulletin Friday `D` and the instant `as_of` (Thursday before it, noon ET):

- `bulletin`: `size` entries of 316–322 days before D, auto-scheduled for the bulletin of D
  (19 CFR 159.9(c)(1), ACE 314-day cycle) — what scenario (a) liquidates and (b) advances;
- `sweep`: `sweep_due` entries of exactly 315 days before D, whose auto-schedule timer fell due at
  midnight and has not been swept yet — the only due rows at `as_of` (scenario (c));
- `background`: entries spread over the two years before D (outside those windows), ~5% extended
  once; unliquidated, scheduled, liquidated or final as their age implies.

Every case's rows are lived by the rulebook in `benchmarks.history`, taking each timer stage when it
fell due, so the population holds what the engine would have written. PostgreSQL loads by COPY,
SQLite by executemany; `bench_group` names each generated case's group for the scenarios.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from benchmarks.history import History, at_eastern, live
from cee_workflow.states.params import RuleParams
from cee_workflow.storage.reference_data import CENTERS, PORTS
from cee_workflow.workflow.identifiers import entry_check_digit

BULLETIN_AGES = range(316, 323)  # auto-scheduled for the bulletin of D
SWEEP_AGE = 315  # auto-schedule due at midnight before as_of
TRUSTED_SHARE = 0.12  # C-TPAT / ISA members among importers
EXTENDED_SHARE = 0.05
CHUNK = 20_000


@dataclass(frozen=True)
class Layout:
    bulletin_day: date  # D, a Friday
    size: int  # entries on the bulletin of D
    background: int
    sweep_due: int
    seed: int = 5

    @property
    def as_of(self) -> datetime:
        return at_eastern(self.bulletin_day - timedelta(days=1), 12)

    def to_dict(self) -> dict[str, Any]:
        return {"bulletin_day": self.bulletin_day.isoformat(), "size": self.size,
                "background": self.background, "sweep_due": self.sweep_due,
                "as_of": self.as_of.isoformat()}


@dataclass(frozen=True)
class Importer:
    number: str
    center: str
    port: str
    trusted: tuple[str, ...]

    @property
    def division(self) -> str:
        return "partnership" if self.trusted else "validation"


@dataclass(frozen=True)
class Planned:
    group: str
    importer: Importer
    entry_date: date
    extend_on: date | None
    until: datetime


@dataclass
class Counts:
    cases: int = 0
    events: int = 0
    deadlines: int = 0
    pending: int = 0
    states: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    padding: int = 0  # pending deadlines added far in the future (benchmarks.national.pad_pending)

    def to_dict(self) -> dict[str, Any]:
        return {"cases": self.cases, "events": self.events, "deadlines": self.deadlines,
                "pending_deadlines": self.pending, "states": dict(sorted(self.states.items())),
                "seconds": round(self.seconds, 1),
                **({"padding_pending": self.padding} if self.padding else {})}


def officer_of(center: str) -> str:
    """The center officer the generator records and the scenarios act as: c001 … c010."""
    return f"c{center}"


def importers(total_entries: int, rng: random.Random) -> list[Importer]:
    count = max(20, total_entries // 200)
    centers, ports = list(CENTERS), list(PORTS)
    result = []
    for n in range(count):
        trusted = ()
        if rng.random() < TRUSTED_SHARE:
            trusted = rng.choice((("ctpat",), ("isa",), ("ctpat", "isa")))
        result.append(Importer(number=f"{10 + n // 10_000_000:02d}-{n % 10_000_000:07d}AB",
                               center=centers[n % len(centers)], port=rng.choice(ports),
                               trusted=trusted))
    return result


def plan(layout: Layout) -> Iterator[Planned]:
    rng = random.Random(layout.seed)
    owners = importers(layout.size + layout.background + layout.sweep_due, rng)
    d, as_of = layout.bulletin_day, layout.as_of
    swept_before = at_eastern(d - timedelta(days=2), 12)  # its due stage left for the sweep
    for _ in range(layout.size):
        age = rng.choice(BULLETIN_AGES)
        yield Planned("bulletin", rng.choice(owners), d - timedelta(days=age), None, as_of)
    for _ in range(layout.sweep_due):
        yield Planned("sweep", rng.choice(owners), d - timedelta(days=SWEEP_AGE), None,
                      swept_before)
    reserved = {SWEEP_AGE, *BULLETIN_AGES}
    ages = [a for a in range(1, 731) if a not in reserved]
    for _ in range(layout.background):
        entry_date = d - timedelta(days=rng.choice(ages))
        extend_on = entry_date + timedelta(days=200) if rng.random() < EXTENDED_SHARE else None
        yield Planned("background", rng.choice(owners), entry_date, extend_on, as_of)


def _register(connection: sa.Connection, owners: list[Importer]) -> None:
    """The registry events that explain the rows written above (audit verify folds them)."""
    from cee_workflow.workflow.registry_chain import append_many

    if not sa.inspect(connection).has_table("cee_registry_event"):
        return  # a schema before revision 0006
    changes = [("importer.add", i.number, {"name": f"Importer {i.number}", "center": i.center,
                                           "trusted": sorted(i.trusted), "login": None})
               for i in owners]
    changes += [("officer.add", officer_of(c), {"name": f"Center {c} officer", "office": c,
                                                "unit": "validation", "role": "officer",
                                                "login": None, "active": True})
                for c in CENTERS]
    append_many(connection, at=datetime.now(UTC), actor="admin", changes=changes)


def generate(db: sa.Engine, layout: Layout, params: RuleParams) -> Counts:
    """Write the population (after `engine.upgrade()`); returns what was written."""
    started = time.perf_counter()
    sink = sink_for(db)
    counts = Counts()
    owners = importers(layout.size + layout.background + layout.sweep_due,
                       random.Random(layout.seed))
    case_columns = {c["name"] for c in sa.inspect(db).get_columns("cee_case")}
    sink.scheduled_column = "scheduled_for" in case_columns  # migration 0003 on the bulk branch
    with db.begin() as connection:
        raw = connection.connection.driver_connection
        sink.write(raw, "importer", ("number", "name", "center", "trusted"),
                   [(i.number, f"Importer {i.number}", i.center, json.dumps(list(i.trusted)))
                    for i in owners])
        sink.write(raw, "officer", ("id", "name", "office", "unit", "role"),
                   [(officer_of(c), f"Center {c} officer", c, "validation", "officer")
                    for c in CENTERS])
        sink.prepare_groups(raw)
        _register(connection, owners)
    histories: dict[tuple, History] = {}
    serial = 0
    batch: list[Planned] = []
    for planned in plan(layout):
        batch.append(planned)
        if len(batch) == CHUNK:
            serial = _write_chunk(db, sink, batch, serial, histories, params, counts)
            batch = []
    if batch:
        _write_chunk(db, sink, batch, serial, histories, params, counts)
    sink.analyze(db)
    counts.seconds = time.perf_counter() - started
    return counts


def _write_chunk(db, sink, batch: list[Planned], serial: int, histories, params, counts
                 ) -> int:
    rows: dict[str, list[tuple]] = {t: [] for t in ("entry", "case", "case_entry", "event",
                                                    "deadline", "bench_group")}
    for planned in batch:
        serial += 1
        body = f"{100 + serial // 10_000_000:03d}{serial % 10_000_000:07d}"
        number = body + str(entry_check_digit(body))
        case_id = f"LQ-{number}"
        owner = planned.importer
        key = (owner.center, planned.entry_date, planned.extend_on, planned.until)
        h = histories.get(key)
        if h is None:
            h = histories[key] = live(owner.center, planned.entry_date, planned.until, params,
                                      officer=officer_of(owner.center),
                                      extend_on=planned.extend_on)
        chained, head = h.events_for(case_id)
        rows["entry"].append((number, owner.number, owner.port, planned.entry_date, 1))
        case_row = (case_id, "liquidation", h.state, h.version, owner.number, owner.port,
                    owner.center, owner.division, h.escalation, json.dumps(h.data), head,
                    h.version, h.opened_at, h.updated_at)
        if sink.scheduled_column:
            scheduled = h.data.get("scheduled_for")
            case_row += (date.fromisoformat(scheduled) if scheduled else None,)
        rows["case"].append(case_row)
        rows["case_entry"].append((case_id, number))
        rows["bench_group"].append((case_id, planned.group))
        for event, prev, digest in chained:
            rows["event"].append((case_id, event["case_seq"], event["at"], event["actor"],
                                  event["authority"], event["regime"], event["trigger"],
                                  event["from_state"], event["to_state"], event["note"],
                                  json.dumps(event["data"]), prev, digest))
        for d in h.deadlines:
            rows["deadline"].append((case_id, d["timer"], d["kind"], d["state"],
                                     d["armed_version"], d["last_day"], d["due_at"],
                                     d["warn_at"], d["action"], d["citation"], d["status"],
                                     d["level"], d["next_at"], d["claimed_by"], d["settled_at"]))
            counts.pending += d["status"] == "pending"
        counts.states[h.state] = counts.states.get(h.state, 0) + 1
    counts.cases += len(batch)
    counts.events += len(rows["event"])
    counts.deadlines += len(rows["deadline"])
    with db.begin() as connection:
        raw = connection.connection.driver_connection
        for table, columns in COLUMNS.items():
            if table == "case" and sink.scheduled_column:
                columns = (*columns, "scheduled_for")
            sink.write(raw, table, columns, rows[table])
    return serial


COLUMNS = {
    "entry": ("number", "importer", "port", "entry_date", "summary_version"),
    "case": ("id", "kind", "state", "version", "importer", "port", "center", "division",
             "escalation", "data", "head_hash", "event_count", "opened_at", "updated_at"),
    "case_entry": ("case_id", "entry"),
    "event": ("case_id", "case_seq", "at", "actor", "authority", "regime", "trigger",
              "from_state", "to_state", "note", "data", "prev_hash", "hash"),
    "deadline": ("case_id", "timer", "kind", "state", "armed_version", "last_day", "due_at",
                 "warn_at", "action", "citation", "status", "level", "next_at", "claimed_by",
                 "settled_at"),
    "bench_group": ("case_id", "grp"),
}


def physical(table: str) -> str:
    """The table's name in the database: the engine's tables are prefixed (`cee_case`)."""
    return table if table.startswith("bench_") else "cee_" + table


class PostgresSink:
    scheduled_column = False

    def write(self, raw, table: str, columns, rows) -> None:
        if not rows:
            return
        names = ", ".join(f'"{c}"' for c in columns)
        with raw.cursor() as cursor, \
                cursor.copy(f'COPY "{physical(table)}" ({names}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row(row)

    def prepare_groups(self, raw) -> None:
        raw.execute("CREATE TABLE bench_group (case_id varchar(32) PRIMARY KEY, grp text)")

    def analyze(self, db: sa.Engine) -> None:
        with db.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE")


class SqliteSink:
    scheduled_column = False

    def write(self, raw, table: str, columns, rows) -> None:
        if not rows:
            return
        names = ", ".join(f'"{c}"' for c in columns)
        marks = ", ".join("?" for _ in columns)
        raw.executemany(f'INSERT INTO "{physical(table)}" ({names}) VALUES ({marks})',
                        [tuple(_sqlite_value(v) for v in row) for row in rows])

    def prepare_groups(self, raw) -> None:
        raw.execute("CREATE TABLE bench_group (case_id varchar(32) PRIMARY KEY, grp text)")

    def analyze(self, db: sa.Engine) -> None:
        with db.connect() as connection:
            connection.exec_driver_sql("ANALYZE")


def _sqlite_value(value):
    """As SQLAlchemy stores it on SQLite: naive UTC text for instants, ISO text for dates."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    return value


def sink_for(db: sa.Engine) -> PostgresSink | SqliteSink:
    return PostgresSink() if db.dialect.name == "postgresql" else SqliteSink()
