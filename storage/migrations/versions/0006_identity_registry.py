"""established identity and authority over the registry (issue #14 items 1 and 2)

Officers and importers gain a `login` (the PostgreSQL login role or operating-system user that
is them, unique) and officers an `active` flag; `cee_administrator` holds who keeps the
registry; `cee_registry_event` is the registry's own hash chain. Every officer, importer and
office (beyond the seeded reference data) a database already holds gets one registry event by
`migration 0006`, so that `audit verify` finds each row explained.

Revision ID: 0006
Revises: 0004
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from cee_workflow.storage.models import JSONData, UTCDateTime

revision = "0006"
down_revision = "0007"  # re-chained: 0004 → 0010 → 0005 → 0007 → 0006
branch_labels = None
depends_on = None

ACTOR = "migration 0006"


def upgrade() -> None:
    # Plain ALTER TABLE ADD COLUMN and unique indexes: on SQLite a batch (copy) of a table
    # other tables reference would trip their foreign keys.
    op.add_column("cee_officer", sa.Column("login", sa.String(length=64), nullable=True))
    op.add_column("cee_officer", sa.Column("active", sa.Boolean(), nullable=False,
                                           server_default=sa.true()))
    op.create_index("uq_cee_officer_login", "cee_officer", ["login"], unique=True)
    op.add_column("cee_importer", sa.Column("login", sa.String(length=64), nullable=True))
    op.create_index("uq_cee_importer_login", "cee_importer", ["login"], unique=True)
    op.create_table(
        "cee_administrator",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("login", sa.String(length=64), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("uq_cee_administrator_login", "cee_administrator", ["login"], unique=True)
    op.create_table(
        "cee_registry_event",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer, "sqlite"),
                  autoincrement=True, nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("subject", sa.String(length=80), nullable=False),
        sa.Column("data", JSONData(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
    )
    _explain_existing_rows(op.get_bind())


def _explain_existing_rows(connection: sa.Connection) -> None:
    from cee_workflow.storage.reference_data import PORTS
    from cee_workflow.workflow.registry_chain import append

    at = datetime.now(UTC)
    offices = connection.execute(sa.text("SELECT code, kind, name FROM cee_office ORDER BY code"))
    for code, kind, name in offices.all():
        if kind != "center" and PORTS.get(code) != name:  # centers: the seed names them
            append(connection, at=at, actor=ACTOR, action="office.add", subject=code,
                   data={"kind": kind, "name": name})
    officers = connection.execute(sa.text(
        "SELECT id, name, office, unit, role FROM cee_officer ORDER BY id"))
    for officer_id, name, office, unit, role in officers.all():
        append(connection, at=at, actor=ACTOR, action="officer.add", subject=officer_id,
               data={"name": name, "office": office, "unit": unit, "role": role, "login": None,
                     "active": True})
    table = sa.table("cee_importer", sa.column("number"), sa.column("name"),
                     sa.column("center"), sa.column("trusted", JSONData()))
    importers = connection.execute(sa.select(table).order_by(table.c.number))
    for number, name, center, trusted in importers.all():
        append(connection, at=at, actor=ACTOR, action="importer.add", subject=number,
               data={"name": name, "center": center, "trusted": sorted(trusted or []),
                     "login": None})


def downgrade() -> None:
    op.drop_table("cee_registry_event")
    op.drop_table("cee_administrator")
    op.drop_index("uq_cee_importer_login", "cee_importer")
    op.drop_index("uq_cee_officer_login", "cee_officer")
    with op.batch_alter_table("cee_importer") as batch_op:
        batch_op.drop_column("login")
    with op.batch_alter_table("cee_officer") as batch_op:
        batch_op.drop_column("active")
        batch_op.drop_column("login")
