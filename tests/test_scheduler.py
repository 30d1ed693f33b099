"""The sweep and its ticker under load, under crash and under concurrency: each due timer once.

What is covered, on SQLite and PostgreSQL unless marked:
- a thousand cases swept by 2, then 4, concurrent sweeps (threads) at one instant: every due
  stage acted on exactly once — one deemed-liquidation warning and one auto-schedule per case;
- the same from two separate processes (PostgreSQL only, spawned processes);
- a sweep killed mid-batch (the private `fail_after` hook): the batches committed before the
  crash stand, the batch in flight leaves no trace, and the next pass does the rest once;
- the `cee scheduler run` ticker in a real subprocess: it sweeps, and SIGTERM stops it cleanly;
- the embedded ticker (`Engine.start_scheduler` / `stop_scheduler`): after stop nothing sweeps;
- two `cee scheduler run` tickers on one PostgreSQL database: each timer fires exactly once.

Every case here is an entry of 2025-01-06, whose case arms a deemed-liquidation timer (due
2026-01-07, warning from 2025-11-08) and an auto-schedule timer (due 2025-11-16). Time is always
injected (the engine's clock, an explicit `now`, or `--now`); nothing sleeps waiting for time and
nothing asserts on durations. Polling for a subprocess's or a background thread's effect is
bounded. Large populations are made by cloning one case the engine wrote (see `clone_cases`):
recording a thousand entries one transaction at a time would dominate the run.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from conftest import eastern, entry_number

from storage.models import Case, CaseEntry, Deadline, Entry, Event
from workflow.audit import GENESIS, chain_hash
from workflow.sweep import sweep as sweep_pass

JOIN_SECONDS = 120  # a hung racer (deadlock) fails the test instead of hanging the suite
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
    """Run `calls` in threads released together by a barrier; ("ok", result) or ("raised", exc)."""
    barrier = threading.Barrier(len(calls))
    outcomes: list[tuple[str, Any] | None] = [None] * len(calls)

    def run(index: int, call: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=JOIN_SECONDS)
            outcomes[index] = ("ok", call())
        except BaseException as error:  # reported to the test thread, never swallowed
            outcomes[index] = ("raised", error)

    threads = [threading.Thread(target=run, args=(i, call), daemon=True)
               for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(JOIN_SECONDS)
    hung = [i for i, thread in enumerate(threads) if thread.is_alive()]
    assert not hung, f"sweeps {hung} did not finish in {JOIN_SECONDS}s: deadlock?"
    raised = [value for kind, value in outcomes if kind == "raised"]
    assert not raised, f"sweeps raised: {raised!r}"
    return [value for _, value in outcomes]


def racing_batch(engine) -> int:
    return SMALL_BATCH if engine.db.dialect.name == "postgresql" else 50


def assert_no_repeats(lines: list[str]) -> None:
    """No line reported more than once, by one sweep or across several."""
    repeated = sorted(line for line, n in Counter(lines).items() if n > 1)
    assert not repeated, f"{len(repeated)} acted on more than once, e.g. {repeated[:3]}"


# --- 1. exactly once at scale, threads ---------------------------------------------------------


def test_concurrent_sweeps_act_on_each_of_a_thousand_due_timers_exactly_once(cast, engine):
    ids = population(cast, engine, 1000)
    heard: list[int] = []
    lock = threading.Lock()

    def listen(events):
        with lock:
            heard.extend(e.seq for e in events)

    engine.subscribe(listen)

    # Two sweeps at once while only the deemed-liquidation warnings are due. Small batches:
    # many short transactions, so that one sweep often claims while the other commits.
    results = race([partial(engine.sweep, WARNINGS_DUE, batch=racing_batch(engine))] * 2)
    warned = [line for r in results for line in r.escalated]
    assert_no_repeats(warned)
    assert sorted(warned) == sorted(f"{cid} deemed_liquidation warning" for cid in ids)
    assert not any(r.fired or r.blocked or r.stale for r in results), results
    assert_all(census(engine), warned_once)

    # Four sweeps at once when the auto-schedules fall due: each fires once, nobody warns again.
    results = race([partial(engine.sweep, BOTH_DUE, batch=50)] * 4)
    fired = [line for r in results for line in r.fired]
    assert_no_repeats(fired)
    assert sorted(fired) == sorted(f"{cid} auto_schedule" for cid in ids)
    assert not any(r.escalated or r.blocked for r in results), results
    assert_each_stage_once(engine, ids, BOTH_DUE)

    # Every committed event was announced once, and nothing else was.
    with engine.db.connect() as conn:
        written = conn.execute(sa.select(Event.__table__.c.seq)
                               .where(Event.__table__.c.trigger != "record_entry")).scalars()
        assert sorted(heard) == sorted(written)
    again = engine.sweep(BOTH_DUE)
    assert not (again.fired or again.escalated or again.blocked or again.stale), again


# --- 2. exactly once at scale, processes -------------------------------------------------------


def _sweep_in_process(url: str, instant: datetime, barrier, results) -> None:
    """One sweep in its own process with its own Engine; its result (or error text) by Queue."""
    from workflow import Engine as EngineInChild
    from workflow import SettableClock as ClockInChild

    try:
        engine = EngineInChild(url, clock=ClockInChild(instant))
        try:
            barrier.wait(timeout=JOIN_SECONDS)
            results.put(("ok", engine.sweep(batch=SMALL_BATCH).to_dict()))
        finally:
            engine.close()
    except BaseException as error:  # sent as text: exceptions may not pickle
        results.put(("error", f"{type(error).__module__}.{type(error).__name__}: {error}"))


@postgres_only
def test_sweeps_in_two_processes_act_on_each_due_timer_exactly_once(cast, engine, db_url):
    ids = population(cast, engine, 400)  # 800 due timers: 400 warnings, 400 auto-schedules
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(2), ctx.Queue()
    processes = [ctx.Process(target=_sweep_in_process, daemon=True,
                             args=(db_url, BOTH_DUE, barrier, results)) for _ in range(2)]
    for process in processes:
        process.start()
    try:
        try:
            outcomes = [results.get(timeout=JOIN_SECONDS) for _ in processes]
        except queue.Empty:
            pytest.fail(f"a sweep process did not report in {JOIN_SECONDS}s "
                        f"(alive: {[p.is_alive() for p in processes]})")
    finally:
        for process in processes:
            process.join(JOIN_SECONDS)
            if process.is_alive():
                process.terminate()
                process.join(10)
    assert [kind for kind, _ in outcomes] == ["ok", "ok"], outcomes
    assert [p.exitcode for p in processes] == [0, 0]
    fired = [line for _, r in outcomes for line in r["fired"]]
    warned = [line for _, r in outcomes for line in r["escalated"]]
    assert_no_repeats(fired + warned)
    assert sorted(fired) == sorted(f"{cid} auto_schedule" for cid in ids)
    assert sorted(warned) == sorted(f"{cid} deemed_liquidation warning" for cid in ids)
    assert not any(r["blocked"] for _, r in outcomes), outcomes
    assert_each_stage_once(engine, ids, BOTH_DUE)


# --- 3. a sweep killed mid-batch -----------------------------------------------------------------


def test_a_sweep_killed_mid_batch_keeps_whole_batches_and_leaves_the_rest_for_the_next(
        cast, engine):
    # 160 cases, warned already; their 160 auto-schedules are due. Batches of 50; the injected
    # crash comes at the 120th row, inside the third batch: rows 1-100 are committed, the third
    # batch is rolled back whole, the fourth is never claimed.
    ids = population(cast, engine, 160, warned=True)
    assert_all(census(engine), warned_once)
    heard: list[int] = []
    engine.subscribe(lambda events: heard.extend(e.seq for e in events))
    before = census(engine)

    with pytest.raises(Exception, match="injected failure after 120 rows"):
        sweep_pass(engine, BOTH_DUE, batch=50, fail_after=120)

    after = census(engine)
    acted = [cid for cid in ids if after[cid] != before[cid]]
    assert len(acted) == 100
    assert len(heard) == 100  # the committed batches were announced, the rolled-back one not

    def fired_once(_cid: str, case: dict) -> str | None:
        """The events, the state and the deadline rows of an acted-on case tell one story."""
        old = {d["id"]: d for d in case["deadlines"] if d["state"] == "unliquidated"}
        schedule = [d for d in old.values() if d["timer"] == "auto_liquidation_schedule"]
        if (triggers(case) != EVERY_CASE or case["state"] != "scheduled"
                or not case["version"] == case["event_count"] == 3):
            return f"{dict(triggers(case))} v{case['version']} {case['state']}"
        if [d["status"] for d in schedule] != ["fired"] or any(
                d["status"] == "pending" for d in old.values()):
            return f"rows of 'unliquidated': {[(d['timer'], d['status']) for d in old.values()]}"
        if not any(d["state"] == "scheduled" and d["status"] == "pending"
                   for d in case["deadlines"]):
            return "the timers of 'scheduled' were not armed"
        return None

    assert_all({cid: after[cid] for cid in acted}, fired_once)
    # The other 60 (50 of them in the batch that was rolled back) are exactly as they were:
    # same version and events, state 'unliquidated', the auto-schedule row pending, unclaimed.
    assert sum(1 for case in after.values() if due_pending(case, BOTH_DUE)) == 60
    for cid in set(ids) - set(acted):
        assert [d["timer"] for d in due_pending(after[cid], BOTH_DUE)] == [
            "auto_liquidation_schedule"]
        assert due_pending(after[cid], BOTH_DUE)[0]["claimed_by"] is None
    assert engine.verify_audit().ok

    rest = engine.sweep(BOTH_DUE)
    assert sorted(rest.fired) == sorted(f"{cid} auto_schedule" for cid in set(ids) - set(acted))
    assert not (rest.escalated or rest.blocked or rest.stale), rest
    assert len(heard) == 160 == len(set(heard))
    assert_each_stage_once(engine, ids, BOTH_DUE)


# --- tickers in subprocesses -------------------------------------------------------------------

CEE = Path(sys.executable).with_name("cee")


def start_ticker(url: str, log: Path, interval: str = "0.2") -> subprocess.Popen:
    """`cee --db URL --now TICKER_NOW scheduler run --interval …`, stderr to `log`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CEE_")}
    env["HOME"] = env["XDG_DATA_HOME"] = str(log.parent)  # never the user's own data
    command = [str(CEE) if CEE.exists() else sys.executable, *([] if CEE.exists() else
               ["-m", "cli"]), "--db", url, "--now", TICKER_NOW, "scheduler", "run",
               "--interval", interval]
    with log.open("w") as stderr:
        return subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=stderr, env=env)


def stop_ticker(process: subprocess.Popen, log: Path) -> str:
    """SIGTERM; the ticker must exit 0 within STOP_SECONDS. Returns its stderr."""
    process.send_signal(signal.SIGTERM)
    try:
        code = process.wait(STOP_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(10)
        pytest.fail(f"the ticker did not stop within {STOP_SECONDS}s of SIGTERM:\n"
                    + log.read_text()[-3000:])
    text = log.read_text()
    assert code == 0, f"exit code {code}:\n{text[-3000:]}"
    assert "Traceback" not in text, text[-3000:]
    return text


def log_events(text: str) -> list[dict]:
    """The JSON documents of the log lines (`asctime name {json}`)."""
    documents = []
    for line in text.splitlines():
        if "{" in line:
            try:
                documents.append(json.loads(line[line.index("{"):]))
            except ValueError:
                continue
    return documents


def wait_until(done: Callable[[], bool], what: str, processes=(), logs=()) -> None:
    """Poll `done` (bounded); fail early, with the logs, if a process we wait on has exited."""
    deadline = time.monotonic() + POLL_SECONDS
    while not done():
        exited = [p.returncode for p in processes if p.poll() is not None]
        if exited or time.monotonic() > deadline:
            why = f"exited with {exited}" if exited else f"not within {POLL_SECONDS}s"
            pytest.fail(f"{what}: {why}\n" + "\n".join(log.read_text()[-2000:] for log in logs))
        time.sleep(0.1)


def nothing_due(engine, now: datetime) -> Callable[[], bool]:
    def check() -> bool:
        return not any(due_pending(case, now) for case in census(engine).values())
    return check


# --- 4. the ticker: `cee scheduler run` --------------------------------------------------------


def test_the_ticker_sweeps_and_stops_cleanly_on_sigterm(cast, engine, db_url, tmp_path):
    ids = population(cast, engine, 5)
    now = TICKER_INSTANT
    log = tmp_path / "ticker.log"
    ticker = start_ticker(db_url, log)
    try:
        wait_until(nothing_due(engine, now), "the ticker acting on the due timers",
                   [ticker], [log])
    finally:
        text = stop_ticker(ticker, log)
    events = [doc.get("event") for doc in log_events(text)]
    assert events[0] == "start" and events[-1] == "stopped", events
    assert "sweep" in events and {"event": "stop", "signal": "SIGTERM"} in log_events(text)
    sweeps = [doc for doc in log_events(text) if doc.get("event") == "sweep"]
    assert sum(s["fired"] for s in sweeps) == len(ids)  # later ticks find nothing to do
    assert sum(s["escalated"] for s in sweeps) == len(ids)
    assert_each_stage_once(engine, ids, now)


# --- 5. the embedded ticker ----------------------------------------------------------------------


def test_the_embedded_ticker_sweeps_until_stopped_and_not_after(cast, engine, monkeypatch):
    first = cast.entry()
    cast.at("2025-11-17")
    sweeps: list[int] = []
    sweep = engine.sweep

    def counted(*args, **kwargs):
        sweeps.append(1)
        return sweep(*args, **kwargs)

    monkeypatch.setattr(engine, "sweep", counted)  # the ticker calls engine.sweep()
    threads_before = set(threading.enumerate())
    engine.start_scheduler(interval=0.1)
    try:
        wait_until(lambda: engine.get(first.id).state == "scheduled", "the embedded ticker")
    finally:
        engine.stop_scheduler()
    # Stopped: its threads are gone (nothing is left that could sweep), and it swept at the clock.
    left = [t for t in threading.enumerate() if t not in threads_before and t.is_alive()]
    assert not left, left
    assert sweeps
    assert Counter(e.trigger for e in engine.history(first.id)) == EVERY_CASE

    # A timer due now stays pending while no ticker runs (a short bounded look: 5 intervals)…
    calls = len(sweeps)
    second = cast.entry()
    time.sleep(0.5)
    assert len(sweeps) == calls
    assert engine.get(second.id).state == "unliquidated"
    assert {d.status for d in engine.deadlines(second.id)} == {"pending"}
    # …and a restarted ticker picks it up, once.
    engine.start_scheduler(interval=0.1)
    try:
        wait_until(lambda: engine.get(second.id).state == "scheduled", "the restarted ticker")
    finally:
        engine.stop_scheduler()
    assert_each_stage_once(engine, [first.id, second.id], engine.clock.now())


# --- 6. two tickers on one database -------------------------------------------------------------


@postgres_only
def test_two_tickers_on_one_database_fire_each_timer_exactly_once(cast, engine, db_url,
                                                                  tmp_path):
    ids = population(cast, engine, 150)  # 300 due timers
    now = TICKER_INSTANT
    logs = [tmp_path / "ticker-1.log", tmp_path / "ticker-2.log"]
    tickers = [start_ticker(db_url, log) for log in logs]
    try:
        wait_until(nothing_due(engine, now), "two tickers acting on the due timers",
                   tickers, logs)
    finally:
        texts = [stop_ticker(ticker, log) for ticker, log in zip(tickers, logs, strict=True)]
    for text in texts:
        events = [doc.get("event") for doc in log_events(text)]
        assert "sweep" in events and events[-1] == "stopped", events
    assert_each_stage_once(engine, ids, now)
    # Each acted-on row names the ticker that settled it: one of the two processes.
    sweepers = Counter(d["claimed_by"] for case in census(engine).values()
                       for d in case["deadlines"] if d["claimed_by"])
    assert {name.rsplit(":", 1)[1] for name in sweepers} <= {str(t.pid) for t in tickers}
    assert sum(sweepers.values()) == 2 * len(ids), sweepers
