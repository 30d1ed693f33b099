"""The event stream's position and wake-up on PostgreSQL: two triggers on `cee_event`.

Why a position beside `seq`: on PostgreSQL `seq` comes from a sequence when the row is inserted,
not when its transaction commits, so two concurrent writers can commit out of `seq` order; a
reader that went on "after the last seq I saw" would skip, for good, the lower seq committed
second. The stream is ordered by the key `(txid, seq)` instead:

- `txid` is the writing transaction's id (`pg_current_xact_id()`, a 64-bit xid8, stored as
  bigint: it never wraps), raised to the `txid` of the case's previous event if that is higher,
  so that a case's events keep their `case_seq` order in the stream (a transaction can get its
  id before it waits for the case's row lock held by the one writing the previous event);
- a reader returns only events with `txid` below a horizon: the lowest id among the
  transactions of this database still in progress in its snapshot (`pg_snapshot_xip`, or
  `pg_snapshot_xmax` when none is; storage/event_reads.py). Every transaction below that horizon
  has ended, and any transaction that commits later has an id at or above it, so its events'
  keys (never below their own transaction id) sort after everything already returned. A
  cursor `(txid, seq)` therefore never passes an event that commits later. The price is
  latency, not loss: a long transaction in this database holds the horizon back until it ends.

The AFTER INSERT statement trigger `NOTIFY`s channel `cee_event` (empty payload: PostgreSQL
delivers one notification per transaction however many statements or rows it wrote) while a
follower (`cee events tail --follow`, the relay) is connected to listen; a follower also re-reads
every few seconds, so a commit that came just before it connected is read, only later.

SQLite serializes writers (BEGIN IMMEDIATE), so `seq` is commit order there and `txid` stays
NULL. The triggers are created with the table (models) and by migration 0005.
"""

from __future__ import annotations

import sqlalchemy as sa

NOTIFY_CHANNEL = "cee_event"
# Writers NOTIFY only while a follower listens: a NOTIFY serializes the commits of the
# transactions that issue it (PostgreSQL's notification queue lock is held through the commit's
# WAL flush), so with no follower concurrent writers keep group commit. A follower holds this
# advisory lock in shared mode on its listening connection for as long as it is connected
# (released by PostgreSQL when the session ends, however it ends); the trigger tries the lock
# in exclusive mode, session-level, and releases it at once: it gets it only when no follower
# holds it (two writers trying in the same microsecond both NOTIFY: harmless).
LISTENER_LOCK = 0x6365655F6576  # "cee_ev"; advisory lock keys are per database
LISTENER_APPLICATION = "cee_event_listener"  # the follower's connection name, for pg_stat_activity

CREATE = (
    """
    CREATE OR REPLACE FUNCTION cee_event_stream_position() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        NEW.txid := pg_current_xact_id()::text::bigint;
        IF NEW.case_seq > 1 THEN
            NEW.txid := GREATEST(NEW.txid, (SELECT p.txid FROM cee_event p
                                            WHERE p.case_id = NEW.case_id
                                              AND p.case_seq = NEW.case_seq - 1));
        END IF;
        RETURN NEW;
    END $$
    """,
    """
    CREATE TRIGGER cee_event_stream_position BEFORE INSERT ON cee_event
    FOR EACH ROW EXECUTE FUNCTION cee_event_stream_position()
    """,
    f"""
    CREATE OR REPLACE FUNCTION cee_event_notify() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF pg_try_advisory_lock({LISTENER_LOCK}) THEN
            PERFORM pg_advisory_unlock({LISTENER_LOCK});  -- no follower holds it
        ELSE
            PERFORM pg_notify('{NOTIFY_CHANNEL}', '');
        END IF;
        RETURN NULL;
    END $$
    """,
    """
    CREATE TRIGGER cee_event_notify AFTER INSERT ON cee_event
    FOR EACH STATEMENT EXECUTE FUNCTION cee_event_notify()
    """,
)

DROP = (
    "DROP TRIGGER IF EXISTS cee_event_notify ON cee_event",
    "DROP FUNCTION IF EXISTS cee_event_notify()",
    "DROP TRIGGER IF EXISTS cee_event_stream_position ON cee_event",
    "DROP FUNCTION IF EXISTS cee_event_stream_position()",
)


def attach(table: sa.Table) -> None:
    """Create the triggers after `table` (cee_event) is created from the models, on PostgreSQL."""
    for statement in CREATE:
        sa.event.listen(table, "after_create",
                        sa.DDL(statement.replace("%", "%%")).execute_if(dialect="postgresql"))
