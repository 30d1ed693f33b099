"""initial schema

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from cee_workflow.storage.models import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "office",
        sa.Column("code", sa.String(length=4), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_table(
        "serial",
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "setting",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "importer",
        sa.Column("number", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("center", sa.String(length=4), nullable=False),
        sa.Column(
            "trusted",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["center"],
            ["office.code"],
        ),
        sa.PrimaryKeyConstraint("number"),
    )
    op.create_table(
        "officer",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("office", sa.String(length=4), nullable=False),
        sa.Column("unit", sa.String(length=16), nullable=True),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["office"],
            ["office.code"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "case",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("importer", sa.String(length=16), nullable=False),
        sa.Column("port", sa.String(length=4), nullable=False),
        sa.Column("center", sa.String(length=4), nullable=False),
        sa.Column("division", sa.String(length=16), nullable=False),
        sa.Column("escalation", sa.Integer(), nullable=False),
        sa.Column(
            "data",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("head_hash", sa.String(length=64), nullable=False),
        sa.Column("event_count", sa.Integer(), nullable=False),
        sa.Column("opened_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["center"],
            ["office.code"],
        ),
        sa.ForeignKeyConstraint(
            ["importer"],
            ["importer.number"],
        ),
        sa.ForeignKeyConstraint(
            ["port"],
            ["office.code"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("case", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_importer"), ["importer"], unique=False)
        batch_op.create_index(
            "ix_case_kind_state_center", ["kind", "state", "center"], unique=False
        )

    op.create_table(
        "entry",
        sa.Column("number", sa.String(length=11), nullable=False),
        sa.Column("importer", sa.String(length=16), nullable=False),
        sa.Column("port", sa.String(length=4), nullable=False),
        sa.Column("entry_date", sa.Date(), nullable=False),
        sa.Column("summary_version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["importer"],
            ["importer.number"],
        ),
        sa.ForeignKeyConstraint(
            ["port"],
            ["office.code"],
        ),
        sa.PrimaryKeyConstraint("number"),
    )
    with op.batch_alter_table("entry", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_entry_importer"), ["importer"], unique=False)

    op.create_table(
        "case_entry",
        sa.Column("case_id", sa.String(length=32), nullable=False),
        sa.Column("entry", sa.String(length=11), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["case.id"],
        ),
        sa.ForeignKeyConstraint(
            ["entry"],
            ["entry.number"],
        ),
        sa.PrimaryKeyConstraint("case_id", "entry"),
    )
    with op.batch_alter_table("case_entry", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_entry_entry"), ["entry"], unique=False)

    op.create_table(
        "deadline",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.String(length=32), nullable=False),
        sa.Column("timer", sa.String(length=48), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("armed_version", sa.Integer(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("due_at", UTCDateTime(), nullable=False),
        sa.Column("warn_at", UTCDateTime(), nullable=False),
        sa.Column("action", sa.String(length=48), nullable=True),
        sa.Column("citation", sa.String(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("claimed_by", sa.String(length=64), nullable=True),
        sa.Column("lease_until", UTCDateTime(), nullable=True),
        sa.Column("settled_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["case.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("deadline", schema=None) as batch_op:
        batch_op.create_index("ix_deadline_case", ["case_id", "status"], unique=False)
        batch_op.create_index(
            "ix_deadline_pending_due",
            ["due_at"],
            unique=False,
            postgresql_where=sa.text("status = 'pending'"),
            sqlite_where=sa.text("status = 'pending'"),
        )

    op.create_table(
        "event",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("case_id", sa.String(length=32), nullable=False),
        sa.Column("case_seq", sa.Integer(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.Column("authority", sa.String(length=80), nullable=False),
        sa.Column("regime", sa.String(length=32), nullable=False),
        sa.Column("trigger", sa.String(length=48), nullable=False),
        sa.Column("from_state", sa.String(length=32), nullable=False),
        sa.Column("to_state", sa.String(length=32), nullable=False),
        sa.Column("note", sa.String(), nullable=False),
        sa.Column(
            "data",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["case.id"],
        ),
        sa.PrimaryKeyConstraint("seq"),
        sa.UniqueConstraint("case_id", "case_seq", name="uq_event_case_seq"),
    )


def downgrade() -> None:

    op.drop_table("event")
    with op.batch_alter_table("deadline", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_deadline_pending_due",
            postgresql_where=sa.text("status = 'pending'"),
            sqlite_where=sa.text("status = 'pending'"),
        )
        batch_op.drop_index("ix_deadline_case")

    op.drop_table("deadline")
    with op.batch_alter_table("case_entry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_entry_entry"))

    op.drop_table("case_entry")
    with op.batch_alter_table("entry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_entry_importer"))

    op.drop_table("entry")
    with op.batch_alter_table("case", schema=None) as batch_op:
        batch_op.drop_index("ix_case_kind_state_center")
        batch_op.drop_index(batch_op.f("ix_case_importer"))

    op.drop_table("case")
    op.drop_table("officer")
    op.drop_table("importer")
    op.drop_table("setting")
    op.drop_table("serial")
    op.drop_table("office")
