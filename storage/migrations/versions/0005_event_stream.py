"""the event stream: cee_event.txid with its triggers, and cee_relay_cursor

`cee_event.txid` (with the index `ix_cee_event_stream` on (txid, seq)) orders the stream a cursor
reads on PostgreSQL, where concurrent writers commit out of `seq` order; a BEFORE INSERT trigger
sets it and an AFTER INSERT statement trigger NOTIFYs listeners (storage/stream_ddl.py). Events
written before this revision were all committed: they take txid 0, so they come first, in `seq`
order. On SQLite the column stays NULL (writers are serialized; `seq` is commit order).
`cee_relay_cursor` keeps how far each relay has had the broker confirm.

Neither is part of any event's hash, so `cee audit verify` reads the chain as before.

Revision ID: 0005
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

from cee_workflow.storage.stream_ddl import CREATE, DROP
from cee_workflow.storage.types import UTCDateTime

revision = "0005"
down_revision = "0010"  # re-chained after main's 0010 (keyset indexes)
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("cee_event", sa.Column("txid", sa.BigInteger(), nullable=True))
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        op.execute("UPDATE cee_event SET txid = 0")
    op.create_index("ix_cee_event_stream", "cee_event", ["txid", "seq"],
                    postgresql_where=sa.text("txid IS NOT NULL"),
                    sqlite_where=sa.text("txid IS NOT NULL"))
    if postgres:
        for statement in CREATE:
            op.execute(statement)
    op.create_table(
        "cee_relay_cursor",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("txid", sa.BigInteger(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("published", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    op.drop_table("cee_relay_cursor")
    if op.get_bind().dialect.name == "postgresql":
        for statement in DROP:
            op.execute(statement)
    op.drop_index("ix_cee_event_stream", table_name="cee_event")
    with op.batch_alter_table("cee_event") as batch:
        batch.drop_column("txid")
