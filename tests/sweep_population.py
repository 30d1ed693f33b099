"""Populations of due timers for the scheduler suite; checks that each stage acted once."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

import pytest
import sqlalchemy as sa
from conftest import eastern, entry_number
from conftest import race as race_all

from cee_workflow.storage.models import Case, CaseEntry, Deadline, Entry, Event
from cee_workflow.workflow.audit import GENESIS, chain_hash

POLL_SECONDS = 60  # how long a ticker may take to act on what is due
STOP_SECONDS = 30  # how long a ticker may take to exit after SIGTERM

WARNINGS_DUE = eastern("2025-11-10")  # the deemed-liquidation warnings only (from 2025-11-08)
BOTH_DUE = eastern("2025-11-17")  # the warnings and the auto-schedules (from 2025-11-16)
TICKER_NOW = "2025-11-20"  # --now of the ticker subprocesses: both due
TICKER_INSTANT = eastern(TICKER_NOW, 12)  # what `--now 2025-11-20` means: noon Eastern
# Racing sweeps on PostgreSQL use small batches: many short transactions, so that one sweep is
# often claiming while another commits. (SQLite queues writers; small batches only add waiting.)
SMALL_BATCH = 5
EVERY_CASE = Counter({"record_entry": 1, "escalate": 1, "auto_schedule": 1})

postgres_only = pytest.mark.parametrize(
    "db_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True)


# --- populations -----------------------------------------------------------------------------


def clone_cases(engine, template_id: str, count: int, first_serial: int = 100_001
                ) -> list[str]:
    """Insert `count` copies of the case `template_id`, on new entries, in one transaction.

    The copies are the rows the engine wrote for the template — entry, case, case_entry, events
    and deadlines — with only the entry number (and so the case id) replaced and the event hash
    chain recomputed, as `cee entry add` would have written them. Returns the new case ids.
    """
    tables = {model: model.__table__ for model in (Entry, Case, CaseEntry, Event, Deadline)}
    with engine.db.connect() as conn:
        def rows(model, column: str, value, order: str | None = None) -> list[dict]:
            table = tables[model]
            statement = sa.select(table).where(table.c[column] == value)
            if order:
                statement = statement.order_by(table.c[order])
            return [dict(row) for row in conn.execute(statement).mappings()]

        (case,) = rows(Case, "id", template_id)
        (link,) = rows(CaseEntry, "case_id", template_id)
        number = link["entry"]
        (entry,) = rows(Entry, "number", number)
        events = rows(Event, "case_id", template_id, "case_seq")
        deadlines = rows(Deadline, "case_id", template_id, "id")

    new: dict[Any, list[dict]] = defaultdict(list)
    ids = []
    for serial in range(first_serial, first_serial + count):
        other = entry_number(serial).replace("-", "")
        new[Entry].append(_swap(entry, number, other))
        new[CaseEntry].append(_swap(link, number, other))
        prev = GENESIS
        for event in events:
            row = _swap({k: v for k, v in event.items() if k != "seq"}, number, other)
            row["prev_hash"], row["hash"] = prev, chain_hash(prev, row)
            prev = row["hash"]
            new[Event].append(row)
        copy = _swap(case, number, other)
        copy["head_hash"] = prev
        new[Case].append(copy)
        new[Deadline].extend(_swap({k: v for k, v in d.items() if k != "id"}, number, other)
                             for d in deadlines)
        ids.append(copy["id"])
    with engine.db.begin() as conn:
        for model in (Entry, Case, CaseEntry, Event, Deadline):  # foreign keys' order
            conn.execute(sa.insert(tables[model]), new[model])
    return ids


def _swap(value, old: str, new: str):
    """`value` with every occurrence of `old` in its strings replaced by `new` (deeply)."""
    if isinstance(value, str):
        return value.replace(old, new)
    if isinstance(value, dict):
        return {k: _swap(v, old, new) for k, v in value.items()}
    if isinstance(value, list):
        return [_swap(v, old, new) for v in value]
    return value


def population(cast, engine, size: int, *, warned: bool = False) -> list[str]:
    """`size` unliquidated cases of entries of 2025-01-06: one recorded, the rest its clones;
    `warned`: cloned after the sweep warned the first of its deemed liquidation."""
    template = cast.entry()
    if warned:
        assert engine.sweep(WARNINGS_DUE).escalated == [
            f"{template.id} deemed_liquidation warning"]
    ids = [template.id] + clone_cases(engine, template.id, size - 1)
    report = engine.verify_audit()
    assert report.ok and report.cases == size, report
    assert report.events == size * (2 if warned else 1), report
    return ids


# --- what the database holds -----------------------------------------------------------------


def census(engine) -> dict[str, dict[str, Any]]:
    """Per case: state, version, event_count, its events (trigger, data) and deadline rows."""
    c, e, d = Case.__table__.c, Event.__table__.c, Deadline.__table__.c
    with engine.db.execution_options(sqlite_begin="DEFERRED").connect() as conn:  # a reader
        cases = {row.id: {"state": row.state, "version": row.version,
                          "event_count": row.event_count, "events": [], "deadlines": []}
                 for row in conn.execute(sa.select(c.id, c.state, c.version, c.event_count))}
        for row in conn.execute(sa.select(e.case_id, e.trigger, e.data).order_by(e.seq)):
            cases[row.case_id]["events"].append((row.trigger, row.data))
        for row in conn.execute(sa.select(Deadline.__table__).order_by(d.id)).mappings():
            cases[row["case_id"]]["deadlines"].append(dict(row))
    return cases


def triggers(case: dict) -> Counter:
    return Counter(trigger for trigger, _ in case["events"])


def due_pending(case: dict, now: datetime) -> list[dict]:
    return [d for d in case["deadlines"]
            if d["status"] == "pending" and d["next_at"] is not None and d["next_at"] <= now]


def assert_all(cases: dict[str, dict], check: Callable[[str, dict], str | None]) -> None:
    """Every case passes `check` (which returns what is wrong, or None); names a few failures."""
    wrong = [f"{cid}: {why}" for cid, case in cases.items() if (why := check(cid, case))]
    assert not wrong, f"{len(wrong)} of {len(cases)} cases wrong, e.g.:\n" + "\n".join(wrong[:5])


def assert_each_stage_once(engine, ids: Iterable[str], now: datetime) -> None:
    """Each case warned once and auto-scheduled once, version = events, nothing due left."""
    cases = census(engine)
    assert sorted(cases) == sorted(ids)

    def check(_cid: str, case: dict) -> str | None:
        if triggers(case) != EVERY_CASE:
            return f"events {dict(triggers(case))}"
        warning = [data for trigger, data in case["events"] if trigger == "escalate"][0]
        if (warning["timer"], warning["stage"]) != ("deemed_liquidation", "warning"):
            return f"escalation {warning}"
        if case["state"] != "scheduled":
            return f"state {case['state']}"
        if not case["version"] == case["event_count"] == len(case["events"]) == 3:
            return f"version {case['version']}, event_count {case['event_count']}, " \
                   f"{len(case['events'])} events"
        fired = [d for d in case["deadlines"] if d["status"] == "fired"]
        if [d["timer"] for d in fired] != ["auto_liquidation_schedule"]:
            return f"fired rows {[d['timer'] for d in fired]}"
        if due_pending(case, now):
            return f"still due {[d['timer'] for d in due_pending(case, now)]}"
        return None

    assert_all(cases, check)
    assert engine.verify_audit().ok


def warned_once(_cid: str, case: dict) -> str | None:
    """Check: warned of its deemed liquidation once, nothing else done, nothing due left."""
    if (triggers(case) != Counter({"record_entry": 1, "escalate": 1})
            or not case["version"] == case["event_count"] == 2
            or case["state"] != "unliquidated" or due_pending(case, WARNINGS_DUE)):
        return f"{dict(triggers(case))} v{case['version']} {case['state']}"
    return None


# --- racing ----------------------------------------------------------------------------------


def race(calls: list[Callable[[], Any]]) -> list[tuple[str, Any]]:
    """conftest's race, for sweeps that must all succeed."""
    outcomes = race_all(calls)
    raised = [value for kind, value in outcomes if kind == "raised"]
    assert not raised, f"sweeps raised: {raised!r}"
    return [value for _, value in outcomes]


def racing_batch(engine) -> int:
    return SMALL_BATCH if engine.db.dialect.name == "postgresql" else 50


def assert_no_repeats(lines: list[str]) -> None:
    """No line reported more than once, by one sweep or across several."""
    repeated = sorted(line for line, n in Counter(lines).items() if n > 1)
    assert not repeated, f"{len(repeated)} acted on more than once, e.g. {repeated[:3]}"
