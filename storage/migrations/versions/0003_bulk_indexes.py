"""bulletin selection and hot-path indexes

Adds `case.scheduled_for` (a column copy of data["scheduled_for"], filled from the data of
existing cases) and the index the Friday bulletin selects by (kind, state, scheduled_for,
center, id); indexes pending deadlines by due time again (listing, overdue cases), partial on
status = 'pending'.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("case", schema=None) as batch_op:
        batch_op.add_column(sa.Column("scheduled_for", sa.Date(), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        op.execute("UPDATE \"case\" SET scheduled_for = (data ->> 'scheduled_for')::date "
                   "WHERE data ->> 'scheduled_for' IS NOT NULL")
    else:
        op.execute("UPDATE \"case\" SET scheduled_for = json_extract(data, '$.scheduled_for') "
                   "WHERE json_extract(data, '$.scheduled_for') IS NOT NULL")
    with op.batch_alter_table("case", schema=None) as batch_op:
        batch_op.create_index("ix_case_bulletin",
                              ["kind", "state", "scheduled_for", "center", "id"], unique=False)
    with op.batch_alter_table("deadline", schema=None) as batch_op:
        batch_op.create_index("ix_deadline_pending_due", ["due_at"], unique=False,
                              postgresql_where=sa.text("status = 'pending'"),
                              sqlite_where=sa.text("status = 'pending'"))


def downgrade() -> None:
    with op.batch_alter_table("deadline", schema=None) as batch_op:
        batch_op.drop_index("ix_deadline_pending_due",
                            postgresql_where=sa.text("status = 'pending'"),
                            sqlite_where=sa.text("status = 'pending'"))
    with op.batch_alter_table("case", schema=None) as batch_op:
        batch_op.drop_index("ix_case_bulletin")
        batch_op.drop_column("scheduled_for")
