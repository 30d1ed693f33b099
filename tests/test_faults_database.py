"""Database faults end in a clear state (issue #14, item 6).

- an entry's result is what its transaction wrote (no re-read after COMMIT), on both databases;
- PostgreSQL: the engine's backend terminated mid-command (`pg_terminate_backend`) raises
  ConnectionLost and writes nothing;
- SQLite: a write while another process holds the write lock ends, after the busy timeout
  (made small here), in DatabaseLocked — in the API and in the CLI (one line, exit 1), never
  "has no cee schema".
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from conftest import entry_number
from sweep_population import postgres_only

from cee_workflow import Engine
from cee_workflow.storage import database
from cee_workflow.workflow import registry
from cee_workflow.workflow.errors import ConnectionLost, DatabaseLocked, NotFound

sqlite_only = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
CEE = Path(sys.executable).with_name("cee")


def test_an_added_entry_is_reported_as_its_transaction_wrote_it(cast, engine):
    case = cast.entry()
    assert case == engine.get(case.id)


@postgres_only
def test_a_terminated_backend_mid_command_raises_connection_lost_and_writes_nothing(
        cast, engine, db_url, monkeypatch):
    real_add = registry.add_entry

    def add_then_lose_the_connection(session, *args):
        result = real_add(session, *args)
        pid = session.connection().exec_driver_sql("SELECT pg_backend_pid()").scalar()
        killer = sa.create_engine(db_url)
        with killer.connect() as connection:
            connection.exec_driver_sql(f"SELECT pg_terminate_backend({int(pid)})")
        killer.dispose()
        return result

    monkeypatch.setattr(registry, "add_entry", add_then_lose_the_connection)
    number = entry_number(900)
    with pytest.raises(ConnectionLost, match="connection to the database was lost"):
        engine.add_entry(number, importer=cast.ACME, port="2704",
                         entry_date=date(2025, 1, 6), actor=cast.actor("p2704"))
    monkeypatch.undo()
    with pytest.raises(NotFound):
        engine.get(f"LQ-{number.replace('-', '')}")
    assert engine.verify_audit().ok


def hold_write_lock(url: str) -> sqlite3.Connection:
    holder = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    return holder


@sqlite_only
def test_a_write_on_a_locked_sqlite_database_says_it_is_locked(cast, engine, db_url,
                                                               monkeypatch):
    monkeypatch.setattr(database, "SQLITE_BUSY_TIMEOUT_MS", 100)
    waiting = Engine(db_url, clock=cast.clock)
    holder = hold_write_lock(db_url)
    try:
        with pytest.raises(DatabaseLocked, match="locked by another process"):
            waiting.add_entry(entry_number(901), importer=cast.ACME, port="2704",
                              entry_date=date(2025, 1, 6), actor=cast.actor("p2704"))
        env = {k: v for k, v in os.environ.items() if not k.startswith("CEE_")}
        env.update(CEE_SQLITE_BUSY_TIMEOUT_MS="100", CEE_ACTOR="p2704")
        command = [str(CEE)] if CEE.exists() else [sys.executable, "-m", "cee_workflow.cli"]
        done = subprocess.run([*command, "--db", db_url, "entry", "add", entry_number(902),
                               "--importer", cast.ACME, "--port", "2704",
                               "--date", "2025-01-06"],
                              capture_output=True, text=True, env=env, timeout=120)
    finally:
        holder.rollback()
        holder.close()
        waiting.close()
    assert done.returncode == 1, done
    assert done.stderr.startswith("error: the database is locked by another process"), done
    assert done.stderr.count("\n") == 1 and not done.stdout, done
    assert not [c.id for c in engine.list() if "0000901" in c.id or "0000902" in c.id]


class _Deadlock(Exception):
    sqlstate = "40P01"  # what psycopg's DeadlockDetected carries


def test_an_advance_chosen_as_deadlock_victim_is_retried_then_reported_as_conflict(
        cast, engine, monkeypatch):
    from cee_workflow.storage import single
    from cee_workflow.workflow import engine as engine_module
    from cee_workflow.workflow.errors import Conflict

    case = cast.entry()
    real = single.case_for_transition
    failures = {"left": engine_module.DEADLOCK_RETRIES}

    def deadlocking(*args, **kwargs):
        if failures["left"]:
            failures["left"] -= 1
            raise sa.exc.OperationalError("SELECT … FOR UPDATE", {}, _Deadlock("deadlock"))
        return real(*args, **kwargs)

    monkeypatch.setattr(single, "case_for_transition", deadlocking)
    cast.at("2025-01-06")
    done = engine.advance(case.id, "schedule", actor=cast.actor("c007"),
                          inputs={"date": "2025-02-07"})
    assert done.version == case.version + 1 and failures["left"] == 0
    failures["left"] = engine_module.DEADLOCK_RETRIES + 1
    with pytest.raises(Conflict, match="concurrent change") as refused:
        engine.advance(case.id, "liquidate", actor=cast.actor("c007"))
    assert refused.value.exit_code == 6
    assert engine.get(case.id) == done and engine.verify_audit().ok


@postgres_only
def test_the_cli_killed_mid_command_says_the_connection_was_lost_and_writes_nothing(
        cast, engine, db_url):
    # A real `cee case advance` in a subprocess waits on a lock this test holds on the case's
    # row; the test then terminates the command's backend (as a server restart would), and
    # releases the lock. The command must end in one line, exit 1, with nothing written.
    case = cast.entry()
    before = engine.history(case.id)
    holder = sa.create_engine(db_url)
    killer = sa.create_engine(db_url, isolation_level="AUTOCOMMIT")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CEE_")}
    command = [str(CEE)] if CEE.exists() else [sys.executable, "-m", "cee_workflow.cli"]
    try:
        with holder.connect() as held, held.begin():
            held.execute(sa.text("SELECT id FROM cee_case WHERE id = :id FOR UPDATE"),
                         {"id": case.id})
            mine = held.execute(sa.text("SELECT pg_backend_pid()")).scalar()
            running = subprocess.Popen(
                [*command, "--db", db_url, "--as", "c007", "--now", "2025-01-06", "case",
                 "advance", case.id, "extend", "--set", "reason=01"],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
            waiting = _backend_waiting_on(killer, blocked_by=mine, until=running)
            with killer.connect() as connection:
                assert connection.execute(sa.text("SELECT pg_terminate_backend(:pid)"),
                                          {"pid": waiting}).scalar()
            out, err = running.communicate(timeout=120)
    finally:
        holder.dispose()
        killer.dispose()
    assert running.returncode == 1, (out, err)
    assert err == ("error: the connection to the database was lost; nothing was written "
                   "(the transaction was rolled back), try again\n"), err
    assert out == ""
    assert engine.history(case.id) == before and engine.get(case.id).version == case.version
    assert engine.verify_audit().ok


def _backend_waiting_on(killer: sa.Engine, *, blocked_by: int, until: subprocess.Popen) -> int:
    """The pid of the backend blocked by `blocked_by`'s lock, once there is one (polled: the
    command needs a second or so to start); fails if the command ends first."""
    with killer.connect() as connection:
        while until.poll() is None:
            pid = connection.execute(sa.text(
                "SELECT pid FROM pg_stat_activity WHERE :holder = ANY(pg_blocking_pids(pid))"),
                {"holder": blocked_by}).scalar()
            if pid is not None:
                return pid
            connection.execute(sa.text("SELECT pg_sleep(0.05)"))
    pytest.fail(f"the command ended before it waited on the lock: {until.communicate()}")


@postgres_only
def test_a_connection_lost_during_commit_does_not_claim_nothing_was_written(cast, engine,
                                                                           db_url):
    # The backend is terminated as COMMIT is sent: the server may have committed or not, so
    # the error says it cannot tell, and points to the request id that makes a retry safe.
    killer = sa.create_engine(db_url, isolation_level="AUTOCOMMIT")

    def terminate_before_commit(connection):
        pid = connection.exec_driver_sql("SELECT pg_backend_pid()").scalar()
        with killer.connect() as other:
            other.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})

    number, officer = entry_number(903), cast.actor("p2704")
    engine.is_simulation()  # known before the probe: the write's only commit is its own
    sa.event.listen(engine.db, "commit", terminate_before_commit)
    try:
        with pytest.raises(ConnectionLost, match="may or may not have been written"):
            engine.add_entry(number, importer=cast.ACME, port="2704",
                             entry_date=date(2025, 1, 6), actor=officer,
                             request_id="lost-at-commit")
    finally:
        sa.event.remove(engine.db, "commit", terminate_before_commit)
        killer.dispose()
    # The retry with the key: here nothing had been written, so it records the entry once.
    retried = engine.add_entry(number, importer=cast.ACME, port="2704",
                               entry_date=date(2025, 1, 6), actor=officer,
                               request_id="lost-at-commit")
    assert [c.id for c in engine.list_cases()].count(retried.id) == 1
    assert engine.verify_audit().ok
