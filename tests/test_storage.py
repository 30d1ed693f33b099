"""Storage: migrations match the models, upgrade is idempotent, SQLite is configured."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from storage import migrate
from storage.database import (
    SCHEMA_REVISION,
    create_db_engine,
    default_url,
    normalize_url,
    schema_revision,
)
from storage.models import metadata
from storage.reference_data import CENTERS, PORTS


def test_migrations_produce_exactly_the_models(db_url):
    engine = create_db_engine(db_url)
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), metadata)
    engine.dispose()
    assert diff == []


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
                "INSERT INTO officer (id, name, office, role) "
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
