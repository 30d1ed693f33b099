"""Schema migrations (alembic) and the reference data every database starts with."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

from cee_workflow.storage.database import VERSION_TABLE, transaction
from cee_workflow.storage.models import Office, Setting, metadata
from cee_workflow.storage.reference_data import CENTERS, PORTS

MIGRATIONS = Path(__file__).parent / "migrations"
# Every name the engine gives a table starts with this; nothing else in the database is ours.
TABLE_PREFIX = "cee_"
# Alembic's default version table: ours until revision 0004, the host application's after.
LEGACY_VERSION_TABLE = "alembic_version"


def _config(connection: sa.Connection | None = None, *,
            version_table: str = VERSION_TABLE) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    config.attributes["version_table"] = version_table
    return config


def head_revision() -> str:
    return ScriptDirectory.from_config(_config()).get_current_head()


def our_tables() -> list[sa.Table]:
    """The engine's tables in creation order. `metadata` is SQLModel's, shared with any SQLModel
    tables of an embedding application: those are never ours to create."""
    return [t for t in metadata.sorted_tables if t.name.startswith(TABLE_PREFIX)]


class SimulationRefused(RuntimeError):
    """`simulation=True` asked of a database that already exists and is real."""


def upgrade(engine: sa.Engine, *, simulation: bool = False) -> None:
    """Bring the database to the head revision, then seed offices. Idempotent.

    - A database with our version table runs its pending migrations.
    - One made before revision 0004 keeps our revision in alembic's default `alembic_version`:
      the row moves to `cee_alembic_version` first, then 0004 renames the tables.
    - One with no schema of ours (new, or a host application's database) gets our tables
      created from the models and is stamped at head (alembic's "building an up to date
      database from scratch"), so no generic table name ever exists, even for a moment.
    Whatever else the database holds (a host application's tables, its `alembic_version`) is
    left as it is.
    The simulation flag is set only when this call creates the schema: a database that exists
    and is real stays real (SimulationRefused), so `--now` can never backdate its actions.
    """
    with engine.begin() as connection:
        _adopt_legacy_version_table(connection)
        if sa.inspect(connection).has_table(VERSION_TABLE):
            mark = simulation and not _flagged_simulation(connection)
            if mark and _holds_data(connection):
                raise SimulationRefused(
                    "this database already holds real data: the simulation flag is set only "
                    "when a database is created; use a new database for a simulation")
            command.upgrade(_config(connection), "head")
            if mark:
                connection.execute(sa.insert(Setting.__table__).values(key="simulation",
                                                                       value="true"))
        else:
            existing = [t.name for t in our_tables() if sa.inspect(connection).has_table(t.name)]
            if existing:
                raise RuntimeError(
                    f"the database has cee tables ({', '.join(existing)}) but no "
                    f"{VERSION_TABLE}: it was not made by `cee db upgrade`; restore it or "
                    "use another database")
            metadata.create_all(connection, tables=our_tables())
            command.stamp(_config(connection), "head")
            if simulation:
                connection.execute(sa.insert(Setting.__table__).values(key="simulation",
                                                                       value="true"))
    seed(engine, simulation=simulation)


def _flagged_simulation(connection: sa.Connection) -> bool:
    if not sa.inspect(connection).has_table(Setting.__tablename__):
        return False
    value = connection.execute(sa.select(Setting.value).where(Setting.key == "simulation"))
    return value.scalar() == "true"


def _holds_data(connection: sa.Connection) -> bool:
    """Whether any officer, importer, entry, case or event was ever recorded (offices are
    reference data)."""
    recorded = ("officer", "importer", "entry", "case", "event", "registry_event")
    for name in sa.inspect(connection).get_table_names():
        if name.removeprefix(TABLE_PREFIX) in recorded and connection.execute(
                sa.text(f'SELECT 1 FROM "{name}" LIMIT 1')).first():
            return True
    return False


def _adopt_legacy_version_table(connection: sa.Connection) -> None:
    """Move our revision out of `alembic_version` (a database made before revision 0004)."""
    inspector = sa.inspect(connection)
    if inspector.has_table(VERSION_TABLE) or not inspector.has_table(LEGACY_VERSION_TABLE):
        return
    ours = {r.revision for r in ScriptDirectory.from_config(_config()).walk_revisions()}
    rows = connection.exec_driver_sql(
        f"SELECT version_num FROM {LEGACY_VERSION_TABLE}").scalars().all()
    mine = [r for r in rows if r in ours]
    if not mine:
        return  # the host application's history: not ours to touch
    command.stamp(_config(connection), mine[0])
    connection.execute(sa.text(f"DELETE FROM {LEGACY_VERSION_TABLE} WHERE version_num = :v"),
                       {"v": mine[0]})
    if len(rows) == 1:
        connection.exec_driver_sql(f"DROP TABLE {LEGACY_VERSION_TABLE}")


def migrate_to(engine: sa.Engine, revision: str, *,
               version_table: str = VERSION_TABLE) -> None:
    """Run the migrations up to `revision` (tests build databases of earlier schemas with it;
    `version_table=LEGACY_VERSION_TABLE` for one made before 0004)."""
    with engine.begin() as connection:
        command.upgrade(_config(connection, version_table=version_table), revision)


def seed(engine: sa.Engine, *, simulation: bool = False) -> None:
    """The ten centers and the known ports; mark a simulation database. Idempotent."""
    with transaction(engine) as session:
        for code, name in CENTERS.items():
            session.merge(Office(code=code, kind="center", name=name))
        for code, name in PORTS.items():
            if session.get(Office, code) is None:
                session.add(Office(code=code, kind="port", name=name))
        if simulation:
            flag = session.get(Setting, "simulation")
            if flag is None or flag.value != "true":
                if _holds_data(session.connection()):
                    raise SimulationRefused("only a database being created (or holding no "
                                            "real data) may be marked a simulation")
                session.add(Setting(key="simulation", value="true"))
            # Its registry needs a keeper (workflow/registry_ops.py): `admin`, as an event.
            from cee_workflow.workflow.registry_ops import bootstrap_simulation_admin

            bootstrap_simulation_admin(session)

