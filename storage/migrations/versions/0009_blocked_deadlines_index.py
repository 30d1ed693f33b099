"""an index of the blocked deadlines: `cee deadlines list` finds them without a scan

Every `deadlines list` shows the blocked deadlines (each with the reason the law still refuses
the act) ahead of the pending ones. Without an index on them, finding the few blocked rows read
every deadline row: 7.7 s on a 1,000,000-case PostgreSQL database, for a first page that must
come in under half a second (issue #15 item 3). A partial index holds only the blocked rows, in
the order the list shows them.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"  # 0004 → 0010 → 0005 → 0007 → 0006 → 0008 → 0009
branch_labels = None
depends_on = None

BLOCKED = {"postgresql_where": sa.text("status = 'blocked'"),
           "sqlite_where": sa.text("status = 'blocked'")}


def upgrade() -> None:
    op.create_index("ix_cee_deadline_blocked", "cee_deadline", ["due_at", "id"], **BLOCKED)


def downgrade() -> None:
    op.drop_index("ix_cee_deadline_blocked", table_name="cee_deadline")
