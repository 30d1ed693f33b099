"""trade parties who may protest: cee_party; an entry's surety and consignee (issue #10)

`cee_party` holds the protestants other than the importer (19 U.S.C. 1514(c)(2); 19 CFR
174.12(a)) — consignee, surety, payer, drawback claimant, agent — each mapped to a login like
officers and filers; an entry records the surety on its bond and its consignee. Nothing existing
changes: no party is registered yet, and entries recorded before name neither.

Revision ID: 0008
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

from cee_workflow.storage.models import JSONData

revision = "0008"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cee_party",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("role", sa.String(length=24), nullable=False),
        sa.Column("login", sa.String(length=64), nullable=True),
        sa.Column("importer", sa.String(length=16), nullable=True),
        sa.Column("principals", JSONData(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("uq_cee_party_login", "cee_party", ["login"], unique=True)
    # Plain ADD COLUMN: a SQLite batch copy of cee_entry would trip the keys that reference it.
    op.add_column("cee_entry", sa.Column("surety", sa.String(length=64), nullable=True))
    op.add_column("cee_entry", sa.Column("consignee", sa.String(length=64), nullable=True))


def downgrade() -> None:
    op.drop_column("cee_entry", "consignee")
    op.drop_column("cee_entry", "surety")
    op.drop_index("uq_cee_party_login", table_name="cee_party")
    op.drop_table("cee_party")
