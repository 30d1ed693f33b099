"""Concurrent writers, on SQLite and PostgreSQL: threads and separate processes.

Every race here is decided by the database, not by timing: the racers first read the case, then
a barrier releases them together into `engine.advance(..., expected_version=v)`. Whatever the
interleaving, exactly one may win; the other must get `workflow.Conflict` — never a raw database
error, a second event or a lost update. No test sleeps or asserts on durations.
"""

from __future__ import annotations

import multiprocessing
import queue
import threading
from collections import Counter
from functools import partial

import pytest
from conftest import JOIN_SECONDS, race

from cee_workflow import Conflict, RuleViolation

ROUNDS = 4
def describe(outcomes) -> str:
    return "; ".join(f"{kind}: {type(value).__module__}.{type(value).__name__}: {value}"
                     if kind == "raised" else f"{kind}: v{value.version}"
                     for kind, value in outcomes)


def one_winner_rest_conflict(outcomes) -> None:
    winners = [value for kind, value in outcomes if kind == "ok"]
    losers = [value for kind, value in outcomes if kind == "raised"]
    assert len(winners) == 1, describe(outcomes)
    assert all(isinstance(e, Conflict) for e in losers), describe(outcomes)


# The rounds of the same-case race: (trigger of racer A, its inputs, trigger of racer B, inputs).
# Most race the same action; the last races two different actions on the same version.
ROUND_ACTIONS = (
    ("extend", {"reason": "01"}, "extend", {"reason": "02"}),
    ("suspend", {"reason": "04"}, "suspend", {"reason": "04"}),
    ("schedule", {"date": "2025-01-10"}, "schedule", {"date": "2025-01-10"}),
    ("extend", {"reason": "01"}, "suspend", {"reason": "06"}),
)


@pytest.mark.parametrize("racers", [2, 4])
def test_racing_advances_of_one_case_one_wins_the_rest_conflict(cast, engine, racers):
    officers = [cast.actor("c007"), cast.actor("c007-sup")]
    for rnd in range(ROUNDS * 2):
        case = cast.entry()
        a, a_inputs, b, b_inputs = ROUND_ACTIONS[rnd % len(ROUND_ACTIONS)]
        seen = [engine.get(case.id) for _ in range(racers)]  # every racer reads the case first
        assert {s.version for s in seen} == {case.version}
        v = case.version

        calls = [partial(engine.advance, case.id, a if i % 2 == 0 else b,
                         actor=officers[i % 2], inputs=a_inputs if i % 2 == 0 else b_inputs,
                         expected_version=v) for i in range(racers)]
        outcomes = race(calls)
        one_winner_rest_conflict(outcomes)
        after = engine.get(case.id)
        history = engine.history(case.id)
        assert after.version == v + 1 == len(history)
        assert Counter(e.trigger for e in history[1:]) == {history[-1].trigger: 1}
        assert history[-1].trigger in (a, b) and history[-1].case_seq == v + 1
        assert engine.verify_audit(case.id).ok


def test_racing_advances_without_expected_version_serialize_without_lost_updates(cast, engine):
    # Four officers extend one entry at once, none naming a version: the database serializes
    # them (FOR UPDATE / BEGIN IMMEDIATE); three extensions are recorded (the most allowed),
    # the fourth is refused by the rule — no update is lost, none is applied twice.
    for _ in range(ROUNDS):
        case = cast.entry()
        actor = cast.actor("c007")
        outcomes = race([partial(engine.advance, case.id, "extend", actor=actor,
                                 inputs={"reason": "01"})] * 4)
        ok = [value for kind, value in outcomes if kind == "ok"]
        refused = [value for kind, value in outcomes if kind == "raised"]
        assert len(ok) == 3, describe(outcomes)
        assert len(refused) == 1 and isinstance(refused[0], RuleViolation), describe(outcomes)
        after = engine.get(case.id)
        assert after.version == case.version + 3 == len(engine.history(case.id))
        assert after.data["extensions"] == 3
        assert after.data["liquidation_deadline"] == "2029-01-06"
        assert sorted(v.version for v in ok) == [2, 3, 4]
        assert engine.verify_audit(case.id).ok


def test_concurrent_advances_of_different_cases_all_succeed_with_unique_seqs(cast, engine):
    heard = []
    lock = threading.Lock()

    def listen(events):
        with lock:
            heard.extend(events)

    engine.subscribe(listen)
    cases = [cast.entry(importer=importer) for importer in (cast.ACME, cast.ZETA) * 2]
    actor = cast.actor("c007")
    for rnd in range(ROUNDS):
        trigger, inputs = (("extend", {"reason": "01"}) if rnd < 3
                           else ("suspend", {"reason": "04"}))
        versions = {c.id: engine.get(c.id).version for c in cases}
        outcomes = race([partial(engine.advance, c.id, trigger, actor=actor, inputs=inputs,
                                 expected_version=versions[c.id]) for c in cases])
        assert all(kind == "ok" for kind, _ in outcomes), describe(outcomes)
        for c in cases:
            assert engine.get(c.id).version == versions[c.id] + 1
    events = [e for c in cases for e in engine.history(c.id)]
    seqs = [e.seq for e in events]
    assert len(seqs) == len(set(seqs)) == len(cases) * (ROUNDS + 1)
    assert sorted(e.seq for e in heard) == sorted(seqs)  # each committed event heard once
    for c in cases:
        assert [e.case_seq for e in engine.history(c.id)] == list(range(1, ROUNDS + 2))
    assert engine.verify_audit().ok


def test_concurrent_protests_get_distinct_serial_numbers(cast, engine):
    at_2704 = [cast.liquidated() for _ in range(5)]
    at_3901 = [cast.liquidated(port="3901", by="p3901") for _ in range(3)]
    cast.at("2025-03-03")
    filer = cast.actor(f"filer:{cast.ACME}")
    entries = [c.entries[0] for c in at_2704 + at_3901]
    outcomes = race([partial(engine.open_case, "protest", actor=filer, entries=[e],
                             reason="classification") for e in entries])
    assert all(kind == "ok" for kind, _ in outcomes), describe(outcomes)
    protests = [value for _, value in outcomes]
    ids = [p.id for p in protests]
    assert len(set(ids)) == len(ids)
    assert sorted(i for i in ids if i.startswith("PR-2704")) == [
        f"PR-270425{n:06d}" for n in range(1, 6)]
    assert sorted(i for i in ids if i.startswith("PR-3901")) == [
        f"PR-390125{n:06d}" for n in range(1, 4)]
    for protest, entry in zip(protests, entries, strict=True):
        assert protest.entries == (entry,) and protest.state == "filed"
    assert engine.verify_audit().ok


# --- separate processes --------------------------------------------------------------------


def _process_racer(url, instant, actor_id, tasks, results, barrier) -> None:
    """A racer in its own process with its own Engine: one advance per task, results by Queue."""
    from cee_workflow import Conflict as ConflictInChild
    from cee_workflow import Engine as EngineInChild
    from cee_workflow import SettableClock as ClockInChild

    engine = EngineInChild(url, clock=ClockInChild(instant))
    try:
        actor = engine.actor(actor_id)
        while True:
            task = tasks.get(timeout=JOIN_SECONDS)
            if task is None:
                return
            case_id, trigger, inputs, version = task
            seen = engine.get(case_id).version
            barrier.wait(timeout=JOIN_SECONDS)
            try:
                view = engine.advance(case_id, trigger, actor=actor, inputs=inputs,
                                      expected_version=version)
                results.put((case_id, actor_id, seen, "ok", view.version))
            except ConflictInChild as conflict:
                results.put((case_id, actor_id, seen, "conflict", str(conflict)))
            except BaseException as error:  # sent as text: exceptions may not pickle
                results.put((case_id, actor_id, seen, "error",
                             f"{type(error).__module__}.{type(error).__name__}: {error}"))
    except BaseException as error:
        results.put((None, actor_id, None, "error",
                     f"{type(error).__module__}.{type(error).__name__}: {error}"))
    finally:
        engine.close()


def test_racing_advances_from_two_processes_one_wins_one_conflicts(cast, engine, db_url, clock):
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(2)
    results = ctx.Queue()
    racers = []
    for actor_id in ("c007", "c007-sup"):
        tasks = ctx.Queue()
        process = ctx.Process(target=_process_racer, daemon=True,
                              args=(db_url, clock.now(), actor_id, tasks, results, barrier))
        process.start()
        racers.append((process, tasks))
    try:
        for rnd in range(ROUNDS):
            case = cast.entry()
            a, a_inputs, b, b_inputs = ROUND_ACTIONS[rnd % len(ROUND_ACTIONS)]
            racers[0][1].put((case.id, a, a_inputs, case.version))
            racers[1][1].put((case.id, b, b_inputs, case.version))
            try:
                got = [results.get(timeout=JOIN_SECONDS) for _ in racers]
            except queue.Empty:
                pytest.fail(f"round {rnd}: a racer process did not report in {JOIN_SECONDS}s "
                            f"(alive: {[p.is_alive() for p, _ in racers]})")
            assert all(r[0] == case.id for r in got), got
            assert all(r[2] == case.version for r in got), got  # both read the same version
            assert sorted(r[3] for r in got) == ["conflict", "ok"], got
            after = engine.get(case.id)
            history = engine.history(case.id)
            assert after.version == case.version + 1 == len(history)
            assert [r[4] for r in got if r[3] == "ok"] == [after.version]
            assert Counter(e.trigger for e in history[1:]) == {history[-1].trigger: 1}
            assert engine.verify_audit(case.id).ok
    finally:
        for _, tasks in racers:
            tasks.put(None)
        for process, _ in racers:
            process.join(JOIN_SECONDS)
            if process.is_alive():
                process.terminate()
                process.join(10)
    assert [p.exitcode for p, _ in racers] == [0, 0]



def test_an_advance_that_waited_for_a_lock_reads_the_facts_committed_meanwhile(postgres_url,
                                                                                clock):
    """PostgreSQL (SQLite serializes writers, so nothing waits there): a locking read that waits
    for another transaction re-reads only the locked row when that one commits. The entries'
    facts must be read after the lock, or a guard would judge the case on what it waited past."""
    import sqlalchemy as sa
    from conftest import Cast, reset_postgres

    from cee_workflow import Engine
    from cee_workflow.storage import single

    reset_postgres(postgres_url)
    engine = Engine(postgres_url, clock=clock)
    try:
        cast = Cast(engine, clock)
        entry = cast.liquidated()
        cast.at("2025-03-03")
        protest = engine.open_case("protest", actor=cast.actor(f"filer:{cast.ACME}"),
                                   entries=[entry.entries[0]])
        read: dict = {}

        def advance_waiting_for_the_lock():
            with engine.db.begin() as conn:
                read["found"] = single.case_for_transition(conn, protest.id, for_update=True)

        with engine.db.connect() as holder, holder.begin():
            single.case_for_transition(holder, protest.id, for_update=True)
            holder.execute(sa.text("UPDATE cee_case SET state = 'final' WHERE id = :id"),
                           {"id": entry.id})
            waiter = threading.Thread(target=advance_waiting_for_the_lock)
            waiter.start()
            with engine.db.connect() as watch:  # until the waiter is blocked on the row lock
                while not watch.execute(sa.text(
                        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                        "AND datname = current_database()")).scalar():
                    watch.rollback()
                    waiter.join(0.01)
                    assert waiter.is_alive(), "the advance did not wait for the lock"
        waiter.join(JOIN_SECONDS)
        case, entries, naming = read["found"]
        assert case.id == protest.id
        assert {(n.case_id, n.state) for n in naming if n.kind == "liquidation"} == {
            (entry.id, "final")}
    finally:
        engine.close()


# --- overlapping cases: one global lock order (storage/lock_order.py) -----------------------


def _overlap_racer(url, instant, tasks, results, barrier) -> None:
    """A racer process with its own Engine. Every deadlock PostgreSQL reports to it (the
    engine retries those, DEADLOCK_RETRIES times) is counted and sent back with the result."""
    from cee_workflow import Conflict as ConflictInChild
    from cee_workflow import Engine as EngineInChild
    from cee_workflow import SettableClock as ClockInChild
    from cee_workflow.workflow import engine as engine_module

    deadlocks = [0]
    real = engine_module.is_lock_conflict

    def counting(error):
        found = real(error)
        deadlocks[0] += found
        return found

    engine_module.is_lock_conflict = counting
    engine = EngineInChild(url, clock=ClockInChild(instant))
    try:
        while True:
            task = tasks.get(timeout=JOIN_SECONDS)
            if task is None:
                return
            case_id, trigger, inputs, actor_id = task
            actor = engine.actor(actor_id)
            deadlocks[0] = 0
            barrier.wait(timeout=JOIN_SECONDS)
            try:
                engine.advance(case_id, trigger, actor=actor, inputs=inputs)
                outcome = "ok"
            except ConflictInChild:
                outcome = "conflict"
            except BaseException as error:  # sent as text: exceptions may not pickle
                outcome = f"{type(error).__module__}.{type(error).__name__}: {error}"
            results.put((case_id, trigger, outcome, deadlocks[0]))
    finally:
        engine.close()


OVERLAP_RACERS = 8
OVERLAP_ROUNDS = 6


@pytest.mark.parametrize("db_url", [pytest.param("postgresql", marks=pytest.mark.postgres)],
                         indirect=True)
def test_eight_processes_advancing_overlapping_cases_never_deadlock(cast, engine, db_url,
                                                                    clock):
    # Per entry, two officers at once: the center extends the liquidation (which re-arms the
    # entry's open PSC: LQ, then PS) while the filer withdraws the PSC (which re-arms the
    # liquidation's timers: PS, then LQ). Locked as reached, those orders are opposite and
    # PostgreSQL aborts one transaction as a deadlock victim; in the global order (case id,
    # up front) each pair serializes. Every racer ends in success or Conflict, and no racer's
    # transaction is ever a deadlock victim.
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(OVERLAP_RACERS)
    results = ctx.Queue()
    racers = []
    for _ in range(OVERLAP_RACERS):
        tasks = ctx.Queue()
        process = ctx.Process(target=_overlap_racer, daemon=True,
                              args=(db_url, clock.now(), tasks, results, barrier))
        process.start()
        racers.append((process, tasks))
    filer = f"filer:{cast.ACME}"
    try:
        for rnd in range(OVERLAP_ROUNDS):
            pairs = []
            for _ in range(OVERLAP_RACERS // 2):
                entry = cast.entry()
                psc = engine.open_case("psc", actor=cast.actor(filer),
                                       entries=list(entry.entries), reason="value")
                pairs.append((entry, psc))
            tasks = [task for entry, psc in pairs for task in (
                (entry.id, "extend", {"reason": "01"}, "c007"),
                (psc.id, "withdraw", {}, filer))]
            for (_, queue_), task in zip(racers, tasks, strict=True):
                queue_.put(task)
            try:
                got = [results.get(timeout=JOIN_SECONDS) for _ in racers]
            except queue.Empty:
                pytest.fail(f"round {rnd}: a racer did not report in {JOIN_SECONDS}s")
            assert all(outcome in ("ok", "conflict") for _, _, outcome, _ in got), got
            assert sum(deadlocks for *_, deadlocks in got) == 0, got
            for entry, psc in pairs:
                assert engine.get(entry.id).state == "extended"
                assert engine.get(psc.id).state == "withdrawn"
        assert engine.verify_audit().ok
    finally:
        for _, tasks in racers:
            tasks.put(None)
        for process, _ in racers:
            process.join(JOIN_SECONDS)
            if process.is_alive():
                process.terminate()
                process.join(10)
    assert [p.exitcode for p, _ in racers] == [0] * OVERLAP_RACERS


@pytest.mark.parametrize("db_url", [pytest.param("postgresql", marks=pytest.mark.postgres)],
                         indirect=True)
def test_eight_cli_racers_on_overlapping_cases_exit_0_or_6(cast, engine, db_url):
    # The same overlap through the command line, eight `cee case advance` processes started at
    # once, two per case naming the version they read: per case one wins (exit 0), the other
    # gets a Conflict (exit 6, one line) — never "unexpected", never a deadlock's exit 1.
    import os
    import subprocess
    import sys
    from pathlib import Path

    script = Path(sys.executable).with_name("cee")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "cee_workflow.cli"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("CEE_")}
    filer = f"filer:{cast.ACME}"
    calls = []
    for _ in range(2):
        entry = cast.entry()
        psc = engine.open_case("psc", actor=cast.actor(filer), entries=list(entry.entries),
                               reason="value")
        for actor in ("c007", "c007-sup"):
            calls.append((entry.id, ["--as", actor, "case", "advance", entry.id, "extend",
                                     "--set", "reason=01", "--expect-version", str(entry.version)]))
        for _ in range(2):
            calls.append((psc.id, ["--as", filer, "case", "advance", psc.id, "withdraw",
                                   "--expect-version", str(psc.version)]))
    running = [(case_id, subprocess.Popen(
        [*command, "--db", db_url, "--now", "2025-01-06", *args], stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, env=env)) for case_id, args in calls]
    ended = [(case_id, process.wait(timeout=JOIN_SECONDS), process.communicate()[1])
             for case_id, process in running]
    by_case: dict[str, list[int]] = {}
    for case_id, code, err in ended:
        assert code in (0, 6), (case_id, code, err)
        if code == 6:
            assert err.startswith("error: ") and err.count("\n") == 1, err
        by_case.setdefault(case_id, []).append(code)
    assert all(sorted(codes) == [0, 6] for codes in by_case.values()), ended
    assert engine.verify_audit().ok
