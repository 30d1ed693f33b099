"""idempotency keys: cee_request

`cee case open … --request-id KEY` and `cee entry add … --request-id KEY` (and the API's
`request_id=`) record the key with the case the request opened, in the same transaction: a retry
with the key returns that case instead of filing a second protest, PSC, disclosure or entry.

Revision ID: 0007
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

from cee_workflow.storage.models import UTCDateTime

revision = "0007"
down_revision = "0005"  # re-chained: 0004 → 0010 → 0005 → 0007
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cee_request",
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.Column("case_id", sa.String(length=32), nullable=True),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cee_case.id"],
                                name="cee_request_case_id_fkey"),
        sa.PrimaryKeyConstraint("key", name="cee_request_pkey"),
    )


def downgrade() -> None:
    op.drop_table("cee_request")
