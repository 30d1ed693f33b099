"""keyset paging indexes: every paged read is an index range scan

A keyset page (`WHERE key > :after ORDER BY key LIMIT n`) reads only its own rows when the index
ends with the whole key after the columns it filters by equality. The list and sweep reads page
by (due_at, id) and (next_at, id), and the bulletin pages by id under (kind, state,
scheduled_for): the pending-deadline indexes gain `id`, the case list's (kind, state, center)
index gains `id`, and the national bulletin gets (kind, state, scheduled_for, id) beside the one
by center (ix_cee_case_bulletin: kind, state, scheduled_for, center, id — whose id range a
national page cannot use, center coming before it).

Revision ID: 0010
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0004"
branch_labels = None
depends_on = None

PENDING = {"postgresql_where": sa.text("status = 'pending'"),
           "sqlite_where": sa.text("status = 'pending'")}


def upgrade() -> None:
    op.drop_index("ix_cee_deadline_pending_due", table_name="cee_deadline")
    op.create_index("ix_cee_deadline_pending_due", "cee_deadline", ["due_at", "id"], **PENDING)
    op.drop_index("ix_cee_deadline_pending_next", table_name="cee_deadline")
    op.create_index("ix_cee_deadline_pending_next", "cee_deadline", ["next_at", "id"], **PENDING)
    op.drop_index("ix_cee_case_kind_state_center", table_name="cee_case")
    op.create_index("ix_cee_case_kind_state_center", "cee_case", ["kind", "state", "center", "id"])
    op.create_index("ix_cee_case_bulletin_national", "cee_case",
                    ["kind", "state", "scheduled_for", "id"])


def downgrade() -> None:
    op.drop_index("ix_cee_case_bulletin_national", table_name="cee_case")
    op.drop_index("ix_cee_case_kind_state_center", table_name="cee_case")
    op.create_index("ix_cee_case_kind_state_center", "cee_case", ["kind", "state", "center"])
    op.drop_index("ix_cee_deadline_pending_next", table_name="cee_deadline")
    op.create_index("ix_cee_deadline_pending_next", "cee_deadline", ["next_at"], **PENDING)
    op.drop_index("ix_cee_deadline_pending_due", table_name="cee_deadline")
    op.create_index("ix_cee_deadline_pending_due", "cee_deadline", ["due_at"], **PENDING)
