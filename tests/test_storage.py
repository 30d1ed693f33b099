"""Storage: migrations match the models, upgrade is idempotent, SQLite is configured."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from cee_workflow import Engine
from cee_workflow.storage import migrate
from cee_workflow.storage.database import (
    SCHEMA_REVISION,
    VERSION_TABLE,
    create_db_engine,
    default_url,
    normalize_url,
    schema_revision,
    snapshot,
)
from cee_workflow.storage.models import metadata
from cee_workflow.storage.reference_data import CENTERS, PORTS


def _schema_differences(url: str) -> list:
    engine = create_db_engine(url)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
        diff = compare_metadata(context, metadata)
    engine.dispose()
    return diff


def test_a_new_database_is_created_exactly_as_the_models(db_url):
    assert _schema_differences(db_url) == []


def test_the_migrations_from_the_first_schema_produce_exactly_the_models(empty_db_url):
    # A database made by every migration from 0001 (as the databases made before revision 0004
    # were, with alembic's default version table) ends with the very schema a new one gets:
    # 0004's renames leave no generic name behind.
    engine = create_db_engine(empty_db_url)
    migrate.migrate_to(engine, "0003", version_table=migrate.LEGACY_VERSION_TABLE)
    migrate.upgrade(engine)
    names = sa.inspect(engine).get_table_names()
    engine.dispose()
    assert _schema_differences(empty_db_url) == []
    assert sorted(names) == sorted([t.name for t in migrate.our_tables()]
                                   + ["cee_alembic_version"])


def test_a_snapshot_does_not_see_what_commits_while_it_reads(db_url):
    # `cee case show` reads a case, its events and deadlines in one snapshot: an advance
    # committing in between must not show up in the later reads only.
    engine = create_db_engine(db_url)
    count = sa.text("SELECT count(*) FROM cee_serial")
    try:
        with snapshot(engine) as reader:
            before = reader.execute(count).scalar()
            with engine.begin() as writer:
                writer.execute(sa.text("INSERT INTO cee_serial (key, value) VALUES ('snap', 1)"))
            assert reader.execute(count).scalar() == before
        with engine.connect() as connection:
            assert connection.execute(count).scalar() == before + 1
    finally:
        engine.dispose()


def test_upgrade_is_idempotent_and_seeds_offices(db_url, engine):
    engine.upgrade()
    engine.upgrade()
    offices = engine.offices()
    assert {o["code"] for o in offices if o["kind"] == "center"} == set(CENTERS)
    assert {o["code"] for o in offices if o["kind"] == "port"} >= set(PORTS)
    assert schema_revision(engine.db) == SCHEMA_REVISION == migrate.head_revision()


def test_sqlite_runs_with_wal_foreign_keys_and_busy_timeout(tmp_path):
    engine = create_db_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with engine.connect() as connection:
        pragma = lambda name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()  # noqa: E731
        assert pragma("journal_mode") == "wal"
        assert pragma("foreign_keys") == 1
        assert pragma("busy_timeout") == 30000
    engine.dispose()


def test_foreign_keys_are_enforced(db_url):
    engine = create_db_engine(db_url)
    try:
        with engine.begin() as connection:
            connection.execute(sa.text(
                "INSERT INTO cee_officer (id, name, office, role) "
                "VALUES ('x', 'X', '9999', 'officer')"))
    except sa.exc.IntegrityError:
        pass
    else:
        raise AssertionError("an officer of an unknown office was stored")
    finally:
        engine.dispose()


def test_database_url_resolution(monkeypatch, tmp_path):
    monkeypatch.setenv("CEE_DATABASE_URL", "postgresql://u@h/db")
    assert default_url() == "postgresql://u@h/db"
    assert normalize_url(default_url()) == "postgresql+psycopg://u@h/db"
    assert normalize_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    monkeypatch.delenv("CEE_DATABASE_URL")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    url = default_url()
    assert url.startswith("sqlite:///") and url.endswith("cee-workflow/cee.db")
    assert str(tmp_path) in url


def test_upgrade_from_0001_keeps_pending_deadlines_due(tmp_path):
    # A database created at the first schema, holding a pending deadline, upgrades in place:
    # the deadline keeps its due time and gets its next stage (its warning) to act on.
    engine = create_db_engine(f"sqlite:///{tmp_path / 'old.db'}")
    # The first schema, as it was made then: generic table names, alembic's default version table.
    migrate.migrate_to(engine, "0001", version_table=migrate.LEGACY_VERSION_TABLE)
    with engine.begin() as connection:
        for sql in (
            "INSERT INTO office VALUES ('007', 'center', 'Electronics')",
            "INSERT INTO office VALUES ('2704', 'port', 'Los Angeles')",
            "INSERT INTO importer VALUES ('12-3456789AB', 'Acme', '007', '[]')",
            "INSERT INTO \"case\" VALUES ('LQ-1', 'liquidation', 'unliquidated', 1,"
            " '12-3456789AB', '2704', '007', 'validation', 0, '{}', '', 1,"
            " '2025-01-06 15:00:00', '2025-01-06 15:00:00')",
            "INSERT INTO deadline (case_id, timer, kind, state, armed_version, last_day, due_at,"
            " warn_at, action, citation, status) VALUES ('LQ-1', 'deemed_liquidation', 'legal',"
            " 'unliquidated', 1, '2026-01-06', '2026-01-07 05:00:00', '2025-11-08 05:00:00',"
            " 'deem_liquidated', '19 U.S.C. 1504(a)', 'pending')",
        ):
            connection.execute(sa.text(sql))
    migrate.upgrade(engine)
    assert schema_revision(engine) == SCHEMA_REVISION
    engine.dispose()
    upgraded = Engine(f"sqlite:///{tmp_path / 'old.db'}")
    [row] = upgraded.deadlines("LQ-1")
    assert (row.level, row.status) == (0, "pending")
    assert (row.next_at, row.due_at) == (datetime(2025, 11, 8, 5, tzinfo=UTC),
                                         datetime(2026, 1, 7, 5, tzinfo=UTC))
    upgraded.close()


def test_a_locked_sqlite_database_is_reported_as_sqlalchemy_reports_it(tmp_path):
    """The write transaction's BEGIN IMMEDIATE runs on the driver's connection; a database
    locked by another writer still arrives as sqlalchemy.exc.OperationalError (the CLI's
    "cannot use the database" line; an embedder's retry)."""
    import sqlite3

    path = tmp_path / "locked.db"
    engine = create_db_engine(f"sqlite:///{path}")

    @sa.event.listens_for(engine, "connect")
    def wait_briefly(dbapi_connection, _record):
        dbapi_connection.execute("PRAGMA busy_timeout=50")

    with engine.connect() as conn:  # WAL set, a connection in the pool
        conn.exec_driver_sql("SELECT 1")
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(sa.exc.OperationalError, match="database is locked"), \
                engine.begin():
            pass
    finally:
        holder.execute("ROLLBACK")
        holder.close()
        engine.dispose()
