"""Schema migrations (alembic) and the reference data every database starts with."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

from cee_workflow.storage.database import transaction
from cee_workflow.storage.models import Office, Setting
from cee_workflow.storage.reference_data import CENTERS, PORTS

MIGRATIONS = Path(__file__).parent / "migrations"


def _config(connection: sa.Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    return ScriptDirectory.from_config(_config()).get_current_head()


def upgrade(engine: sa.Engine, *, simulation: bool = False) -> None:
    """Apply every pending migration, then seed offices. Idempotent."""
    with engine.begin() as connection:
        command.upgrade(_config(connection), "head")
    seed(engine, simulation=simulation)


def seed(engine: sa.Engine, *, simulation: bool = False) -> None:
    """The ten centers and the known ports; mark a simulation database. Idempotent."""
    with transaction(engine) as session:
        for code, name in CENTERS.items():
            session.merge(Office(code=code, kind="center", name=name))
        for code, name in PORTS.items():
            if session.get(Office, code) is None:
                session.add(Office(code=code, kind="port", name=name))
        if simulation:
            session.merge(Setting(key="simulation", value="true"))

