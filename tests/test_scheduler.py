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
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from functools import partial
from pathlib import Path

import pytest
import sqlalchemy as sa
from conftest import JOIN_SECONDS  # noqa: E402

from cee_workflow.storage.models import Event
from cee_workflow.workflow.sweep import sweep as sweep_pass

pytest.register_assert_rewrite("sweep_population")
from sweep_population import (  # noqa: E402
    BOTH_DUE,
    EVERY_CASE,
    POLL_SECONDS,
    SMALL_BATCH,
    STOP_SECONDS,
    TICKER_INSTANT,
    TICKER_NOW,
    WARNINGS_DUE,
    assert_all,
    assert_each_stage_once,
    assert_no_repeats,
    census,
    due_pending,
    population,
    postgres_only,
    race,
    racing_batch,
    triggers,
    warned_once,
)

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
    from cee_workflow import Engine as EngineInChild
    from cee_workflow import SettableClock as ClockInChild

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
    ids = population(cast, engine, 300)  # 600 due timers: 300 warnings, 300 auto-schedules
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
               ["-m", "cee_workflow.cli"]), "--db", url, "--now", TICKER_NOW, "scheduler", "run",
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
    # Stopped: the threads it started are gone, so nothing is left that could sweep.
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
