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
