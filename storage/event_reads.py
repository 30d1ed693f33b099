"""The event stream read by position: a page of committed events no later writer can precede.

The stream's order is the key (txid, seq) (storage/stream_ddl.py). On PostgreSQL a page holds
only events below the visibility horizon `pg_snapshot_xmin(pg_current_snapshot())`, read once
and reused by every statement of the page, so the set of events below it cannot change between
them; on SQLite (`txid` NULL, writers serialized) the key is (0, seq). Light, like
storage/reads.py: plain table clauses, no ORM. The caller owns the connection's transaction.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from cee_workflow.storage.reads import EVENT as _EVENT

# The views' columns, typed as storage.models types them, and the stream key's first half.
VIEW_COLUMNS = tuple(column.name for column in _EVENT.columns)
EVENT = sa.table("cee_event", *(sa.column(c.name, c.type) for c in _EVENT.columns),
                 sa.column("txid", sa.BigInteger))


# Every transaction that has not ended as of the statement's snapshot could still commit an
# event, except one of another database's backends: those cannot write our tables, and on a
# shared server (a host application's other databases, CI) they would otherwise hold our
# stream back. A transaction is left out only when pg_stat_activity shows it, by its 32-bit xid,
# as another database's; any it cannot place (a prepared transaction, a backend whose row it
# may not read) counts as ours: later, never lost.
_HORIZON = """
SELECT LEAST(pg_snapshot_xmax(s.snap)::text::bigint,
             (SELECT min(x::text::bigint) FROM pg_snapshot_xip(s.snap) AS x
              WHERE mod(x::text::bigint, 4294967296) NOT IN (
                  SELECT a.backend_xid::text::bigint FROM pg_stat_activity AS a
                  WHERE a.backend_xid IS NOT NULL AND a.datid IS NOT NULL
                    AND a.datid <> (SELECT oid FROM pg_database
                                    WHERE datname = current_database()))))
FROM (SELECT pg_current_snapshot() AS snap) AS s
"""


def horizon(connection: sa.Connection) -> int | None:
    """PostgreSQL: the lowest id a transaction of this database that has not ended may hold
    (every event with a lower key is final); None on SQLite, whose committed events all are."""
    if connection.dialect.name != "postgresql":
        return None
    return connection.exec_driver_sql(_HORIZON).scalar_one()


def page(connection: sa.Connection, *, after: tuple[int, int], limit: int,
         triggers: Sequence[str] | None, below: int | None) -> tuple[list[sa.Row], tuple[int, int]]:
    """Up to `limit` events after the key `after`, in stream order, each row with its `txid`
    (0 on SQLite); and the key a reader may go on from: the last row's, or, when fewer than
    `limit` matched `triggers`, the last key below the horizon that the filter skipped."""
    table = EVENT
    txid = sa.func.coalesce(table.c.txid, 0) if below is None else table.c.txid
    statement = sa.select(*(table.c[name] for name in VIEW_COLUMNS), txid.label("txid"))
    conditions = _after(table, after, below)
    if triggers:
        statement = statement.where(table.c.trigger.in_(list(triggers)))
    order = (table.c.seq,) if below is None else (table.c.txid, table.c.seq)
    rows = connection.execute(statement.where(*conditions).order_by(*order).limit(limit)).all()
    if len(rows) == limit:
        return rows, (rows[-1].txid, rows[-1].seq)
    last = (rows[-1].txid, rows[-1].seq) if rows else after
    if triggers:  # skip past the events the filter left out, up to the horizon
        found = connection.execute(
            sa.select(txid.label("txid"), table.c.seq).where(*conditions)
            .order_by(*(column.desc() for column in order)).limit(1)).first()
        if found is not None:
            last = max(last, (found.txid, found.seq))
    return rows, last


def _after(table, after: tuple[int, int], below: int | None) -> list:
    if below is None:
        return [table.c.seq > after[1]]
    return [table.c.txid < below, sa.tuple_(table.c.txid, table.c.seq) > sa.tuple_(*after)]


def position_of(connection: sa.Connection, seq: int) -> tuple[int, int] | None:
    """The stream key of the event numbered `seq`, if there is one."""
    row = connection.execute(sa.select(sa.func.coalesce(EVENT.c.txid, 0))
                             .where(EVENT.c.seq == seq)).first()
    return None if row is None else (row[0], seq)
