"""Alembic environment: migrations run on the connection `storage.migrate` hands in.

The version table is `cee_alembic_version`, not alembic's default `alembic_version`, so that a
host application sharing the database keeps its own migration history beside ours.
"""

from alembic import context

from cee_workflow.storage.database import VERSION_TABLE
from cee_workflow.storage.models import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True,
                  version_table=context.config.attributes.get("version_table", VERSION_TABLE))
with context.begin_transaction():
    context.run_migrations()
