"""escalation stages on deadlines

Adds the escalation level a deadline has reached and the instant the sweep next acts on it
(indexed for pending rows); drops the unused lease column (a sweep claims and acts in one
transaction, so a crashed sweep leaves nothing to expire).

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

from cee_workflow.storage.models import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("deadline", schema=None) as batch_op:
        batch_op.add_column(sa.Column("level", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("next_at", UTCDateTime(), nullable=True))
        batch_op.drop_column("lease_until")
        batch_op.drop_index("ix_deadline_pending_due", postgresql_where=sa.text("status = 'pending'"),
                            sqlite_where=sa.text("status = 'pending'"))
    op.execute("UPDATE deadline SET next_at = CASE WHEN warn_at < due_at THEN warn_at ELSE due_at END "
               "WHERE status = 'pending'")
    with op.batch_alter_table("deadline", schema=None) as batch_op:
        batch_op.alter_column("level", server_default=None)
        batch_op.create_index("ix_deadline_pending_next", ["next_at"], unique=False,
                              postgresql_where=sa.text("status = 'pending'"),
                              sqlite_where=sa.text("status = 'pending'"))


def downgrade() -> None:
    with op.batch_alter_table("deadline", schema=None) as batch_op:
        batch_op.drop_index("ix_deadline_pending_next", postgresql_where=sa.text("status = 'pending'"),
                            sqlite_where=sa.text("status = 'pending'"))
        batch_op.add_column(sa.Column("lease_until", UTCDateTime(), nullable=True))
        batch_op.drop_column("next_at")
        batch_op.drop_column("level")
        batch_op.create_index("ix_deadline_pending_due", ["due_at"], unique=False,
                              postgresql_where=sa.text("status = 'pending'"),
                              sqlite_where=sa.text("status = 'pending'"))
