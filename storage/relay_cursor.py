"""`cee_relay_cursor`: how far each relay has had the broker confirm, one row per relay name.

The row moves only after every message up to its position was confirmed (workflow/relay.py), in
a transaction of its own. The caller owns the connection's transaction.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from cee_workflow.storage.types import UTCDateTime

RELAY_CURSOR = sa.table(
    "cee_relay_cursor",
    sa.column("name", sa.String), sa.column("txid", sa.BigInteger),
    sa.column("seq", sa.BigInteger), sa.column("published", sa.BigInteger),
    sa.column("updated_at", UTCDateTime),
)


def load(connection: sa.Connection, name: str) -> tuple[int, int, int] | None:
    """(txid, seq, published) of the relay `name`, or None if it never advanced."""
    row = connection.execute(sa.select(RELAY_CURSOR.c.txid, RELAY_CURSOR.c.seq,
                                       RELAY_CURSOR.c.published)
                             .where(RELAY_CURSOR.c.name == name)).first()
    return None if row is None else (row.txid, row.seq, row.published)


def advance(connection: sa.Connection, name: str, txid: int, seq: int, published: int,
            now: datetime) -> None:
    """Set the relay's position to (txid, seq) and add `published` to its count."""
    insert = (postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert)(
        RELAY_CURSOR).values(name=name, txid=txid, seq=seq, published=published, updated_at=now)
    connection.execute(insert.on_conflict_do_update(
        index_elements=["name"],
        set_={"txid": txid, "seq": seq, "updated_at": now,
              "published": RELAY_CURSOR.c.published + published}))
