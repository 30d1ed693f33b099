"""The engine shares a database with the application that embeds it.

A host application with its own alembic history and generic table names (`case`, `event`,
`setting` — the names the engine itself used before revision 0004) lives beside our tables in one
database, whichever of the two upgrades first, and beside a database the engine made before 0004.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from conftest import eastern, entry_number

from cee_workflow import Engine, SettableClock
from cee_workflow.storage import migrate
from cee_workflow.storage.database import SCHEMA_REVISION, create_db_engine, schema_revision

HOST_ENV = '''
from alembic import context

connection = context.config.attributes["connection"]
context.configure(connection=connection)  # alembic's default version table: alembic_version
with context.begin_transaction():
    context.run_migrations()
'''

HOST_REVISION = '''
import sqlalchemy as sa
from alembic import op

revision = "hostapp_0007"
down_revision = None


def upgrade():
    for name in ("case", "event", "setting"):
        op.create_table(name, sa.Column("id", sa.Integer, primary_key=True),
                        sa.Column("label", sa.String(40), nullable=False),
                        sa.Index(f"ix_{name}_label", "label"))
    op.execute("INSERT INTO \\"case\\" (id, label) VALUES (1, 'host case')")
'''

HOST_TABLES = {"case", "event", "setting", "alembic_version"}


@pytest.fixture
def host_app(tmp_path) -> Path:
    """The host application's migrations: its own script directory and revision."""
    scripts = tmp_path / "hostapp_migrations"
    (scripts / "versions").mkdir(parents=True)
    (scripts / "env.py").write_text(HOST_ENV)
    (scripts / "versions" / "hostapp_0007.py").write_text(HOST_REVISION)
    return scripts


def host_upgrade(url: str, scripts: Path) -> None:
    engine = create_db_engine(url)
    with engine.begin() as connection:
        config = Config()
        config.set_main_option("script_location", str(scripts))
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    engine.dispose()


def host_revision(url: str) -> str | None:
    engine = create_db_engine(url)
    with engine.connect() as connection:
        revision = MigrationContext.configure(connection).get_current_revision()
    engine.dispose()
    return revision


def cee_upgrade(url: str) -> None:
    engine = create_db_engine(url)
    migrate.upgrade(engine, simulation=True)
    engine.dispose()


def assert_both_live_side_by_side(url: str) -> None:
    assert host_revision(url) == "hostapp_0007"
    engine = create_db_engine(url)
    assert schema_revision(engine) == SCHEMA_REVISION == migrate.head_revision()
    inspector = sa.inspect(engine)
    tables = set(inspector.get_table_names())
    assert tables == HOST_TABLES | {t.name for t in migrate.our_tables()} | {"cee_alembic_version"}
    # Every index the engine made is named for its cee_ table: none can clash with the host's.
    for table in tables - HOST_TABLES:
        for index in inspector.get_indexes(table):
            assert index["name"].startswith(("ix_cee_", "uq_cee_")), index["name"]
    with engine.connect() as connection:
        assert connection.exec_driver_sql('SELECT label FROM "case"').scalar() == "host case"
        if engine.dialect.name == "postgresql":
            # Sequences and constraints are schema-wide names too.
            names = connection.exec_driver_sql(
                "SELECT relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'i', 'S')").scalars()
            host = {"alembic_version", "alembic_version_pkc"} | {
                f"{prefix}{table}{suffix}" for table in ("case", "event", "setting")
                for prefix, suffix in (("", ""), ("", "_pkey"), ("", "_id_seq"),
                                       ("ix_", "_label"))}
            strays = [n for n in names
                      if n not in host and not n.startswith(("cee_", "ix_cee_", "uq_cee_"))]
            assert strays == []
    engine.dispose()
    # And the engine works there: an entry recorded, its case read back.
    clock = SettableClock(eastern("2025-01-06"))
    cee = Engine(url, clock=clock)
    cee.add_officer("p2704", name="Port officer", office="2704")
    cee.add_importer("12-3456789AB", name="Acme", center="007")
    case = cee.add_entry(entry_number(1), importer="12-3456789AB", port="2704",
                         entry_date=date(2025, 1, 6), actor=cee.actor("p2704"))
    assert cee.get(case.id).state == "unliquidated"
    cee.close()


def test_the_host_application_upgrades_first(empty_db_url, host_app):
    host_upgrade(empty_db_url, host_app)
    cee_upgrade(empty_db_url)
    assert_both_live_side_by_side(empty_db_url)


def test_the_engine_upgrades_first(empty_db_url, host_app):
    cee_upgrade(empty_db_url)
    host_upgrade(empty_db_url, host_app)
    assert_both_live_side_by_side(empty_db_url)


def test_a_database_made_before_the_prefix_moves_and_makes_room_for_the_host(empty_db_url,
                                                                             host_app):
    # A database the engine made with alembic's default version table and generic names:
    # the upgrade renames everything and gives alembic_version back, so the host can install.
    engine = create_db_engine(empty_db_url)
    migrate.migrate_to(engine, "0003", version_table=migrate.LEGACY_VERSION_TABLE)
    engine.dispose()
    cee_upgrade(empty_db_url)
    assert host_revision(empty_db_url) is None
    host_upgrade(empty_db_url, host_app)
    assert_both_live_side_by_side(empty_db_url)
