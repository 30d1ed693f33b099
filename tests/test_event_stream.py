"""The event stream: a cursor reads every committed event once, in one stable order.

On PostgreSQL the danger is real: `seq` is drawn when a row is inserted, not when its
transaction commits, so a transaction holding a lower seq can commit after one holding a higher
seq. The tests below make that happen with two real connections and check that a reader going
on from its cursor misses nothing, while a reader going on "after the last seq I saw" does.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from cee_workflow import Cursor, EventPage, InvalidInput, NotFound
from cee_workflow.storage.database import create_db_engine


def read_all(engine, after=None, *, limit=100, kinds=None) -> tuple[list, Cursor]:
    """Every event after `after`, page after page, and the final cursor."""
    seen, cursor = [], after
    while True:
        page = engine.events(after=cursor, limit=limit, kinds=kinds)
        assert isinstance(page, EventPage)
        seen += page.events
        if not page.events:
            return seen, page.next
        cursor = page.next


def test_pages_follow_the_cursor_in_order_and_filter_by_kind(cast, engine):
    first = cast.liquidated()
    second = cast.liquidated()
    history = engine.history(first.id) + engine.history(second.id)
    seen, end = read_all(engine, limit=2)
    assert [s.event.seq for s in seen] == sorted(e.seq for e in history)
    assert [s.event.hash for s in seen] == [e.hash for e in sorted(history, key=lambda e: e.seq)]
    assert end == seen[-1].cursor
    # each event's cursor is the position just after it: reading on from it gives the rest
    rest = engine.events(after=seen[1].cursor, limit=100).events
    assert [s.event.seq for s in rest] == [s.event.seq for s in seen[2:]]
    # text form round trip, and a bare event number resolves to that event's position
    assert Cursor.parse(str(seen[1].cursor)) == seen[1].cursor
    assert engine.events(after=str(seen[1].cursor)).events == tuple(rest)
    assert engine.events(after=seen[1].event.seq).events == tuple(rest)
    # a filter returns only those triggers, and its cursor moves past what it left out
    liquidations, after_filter = read_all(engine, kinds=["liquidate"])
    assert [s.event.case_id for s in liquidations] == [first.id, second.id]
    assert after_filter == seen[-1].cursor
    assert engine.events(after=after_filter).events == ()


def test_bad_cursors_are_one_line_errors(engine):
    with pytest.raises(InvalidInput, match="TXID.SEQ"):
        engine.events(after="yesterday")
    with pytest.raises(NotFound, match="event 999"):
        engine.events(after=999)
    with pytest.raises(InvalidInput, match="limit 0"):
        engine.events(limit=0)


# --- PostgreSQL: concurrent writers ----------------------------------------------------------


def _event_row(connection, case_id: str, trigger: str, table: str = "cee_event") -> int:
    """Append an event to `case_id` on this connection's open transaction; its seq."""
    case_seq = connection.execute(sa.text(
        f"SELECT coalesce(max(case_seq), 0) + 1 FROM {table} WHERE case_id = :case"),
        {"case": case_id}).scalar_one()
    return connection.execute(sa.text(
        f"INSERT INTO {table} (case_id, case_seq, at, actor, authority, regime, trigger, "
        "from_state, to_state, note, data, prev_hash, hash) VALUES (:case, :case_seq, :at, "
        "'test', 'test', '', :trigger, 'a', 'a', '', '{}', '', :hash) RETURNING seq"),
        {"case": case_id, "case_seq": case_seq, "at": datetime.now(UTC), "trigger": trigger,
         "hash": uuid.uuid4().hex}).scalar_one()


@pytest.fixture
def two_cases(cast, engine, db_url):
    if not db_url.startswith("postgresql"):
        pytest.skip("SQLite serializes writers: seq is commit order there")
    return cast.entry().id, cast.entry().id


@pytest.mark.parametrize("xid_first", ["low", "high"])
def test_a_lower_seq_committed_after_a_higher_one_is_not_skipped(engine, db_url, two_cases,
                                                                 xid_first):
    x, y = two_cases
    _, cursor = read_all(engine)
    db = create_db_engine(db_url)
    low, high = db.connect(), db.connect()
    try:
        low.begin()
        high.begin()
        # Either transaction may get its id first: the stream must hold in both cases.
        for connection in ((low, high) if xid_first == "low" else (high, low)):
            connection.exec_driver_sql("SELECT pg_current_xact_id()")
        low_seq = _event_row(low, x, "low")
        high_seq = _event_row(high, y, "high")
        assert low_seq < high_seq
        high.commit()  # the higher seq is committed first; the lower is still in flight

        seen_while_in_flight, cursor = read_all(engine, cursor)
        # what a naive consumer does: remember the highest seq seen
        naive_last = max([s.event.seq for s in seen_while_in_flight], default=0)
        low.commit()

        seen_after, cursor = read_all(engine, cursor)
        seen = [s.event.seq for s in seen_while_in_flight + seen_after]
        assert sorted(seen) == [low_seq, high_seq]  # each once, none lost
        assert len(seen) == len(set(seen))
        if xid_first == "low":
            # the reader did not pass the in-flight transaction, though `high` was visible
            assert seen_while_in_flight == []
            assert seen == [low_seq, high_seq]
        else:
            # `high`'s transaction is older than every one in flight: it is final, and comes
            # first; `low` follows it in the stream, after its commit
            assert seen == [high_seq, low_seq]
            assert naive_last == high_seq  # "after the last seq seen" would never see low_seq
            assert low_seq < naive_last
    finally:
        low.close()
        high.close()
        db.dispose()


def test_a_cases_events_keep_their_order_when_the_later_writer_got_its_id_first(
        engine, db_url, two_cases):
    x, _ = two_cases
    _, cursor = read_all(engine)
    db = create_db_engine(db_url)
    later, earlier = db.connect(), db.connect()
    try:
        later.begin()
        later.exec_driver_sql("SELECT pg_current_xact_id()")  # the older transaction id…
        earlier.begin()
        first = _event_row(earlier, x, "first")  # …but the case's next event is written first
        earlier.commit()
        second = _event_row(later, x, "second")
        later.commit()
    finally:
        later.close()
        earlier.close()
        db.dispose()
    seen, _ = read_all(engine, cursor)
    assert [(s.event.seq, s.event.trigger) for s in seen] == [(first, "first"),
                                                               (second, "second")]
    assert seen[0].cursor < seen[1].cursor


def test_the_stream_needs_no_writes_of_its_own_and_leaves_the_audit_intact(cast, engine):
    cast.liquidated()
    before = engine.verify_audit()
    seen, _ = read_all(engine)
    assert seen
    assert engine.verify_audit() == before
    assert before.ok


def test_a_database_migrated_from_before_the_stream_streams_its_old_events_first(empty_db_url):
    from cee_workflow import Engine, SettableClock
    from cee_workflow.storage import migrate

    db = create_db_engine(empty_db_url)
    # A database of revision 0003 (generic table names, alembic's default version table)
    migrate.migrate_to(db, "0003", version_table=migrate.LEGACY_VERSION_TABLE)
    with db.begin() as connection:
        for code, kind in (("007", "center"), ("2704", "port")):
            connection.execute(sa.text("INSERT INTO office (code, kind, name) VALUES "
                                       "(:code, :kind, :code)"), {"code": code, "kind": kind})
        connection.execute(sa.text(
            "INSERT INTO importer (number, name, center, trusted) "
            "VALUES ('12-3456789AB', 'Acme', '007', '[]')"))
        connection.execute(sa.text(
            'INSERT INTO "case" (id, kind, state, version, importer, port, center, division,'
            " escalation, data, head_hash, event_count, opened_at, updated_at) VALUES ('OLD', "
            "'liquidation', 'open', 1, '12-3456789AB', '2704', '007', 'validation', 0, '{}', "
            "'', 1, :now, :now)"), {"now": datetime.now(UTC)})
        old = [_event_row(connection, "OLD", "old", table="event") for _ in range(2)]
    migrate.upgrade(db)
    engine = Engine(empty_db_url, clock=SettableClock(datetime.now(UTC)))
    try:
        with db.begin() as connection:
            new = _event_row(connection, "OLD", "new")
        seen, _ = read_all(engine)
        assert [s.event.seq for s in seen] == [*old, new]
        assert seen[-1].cursor > seen[0].cursor
    finally:
        engine.close()
        db.dispose()


def _notifications_before_sentinel(db_url: str, write) -> list[str]:
    """The `cee_event` notifications a bare listener hears from `write()`: read up to a
    sentinel NOTIFY sent after it (PostgreSQL delivers notifications in commit order)."""
    import psycopg

    from cee_workflow.storage.stream_ddl import NOTIFY_CHANNEL

    conninfo = sa.make_url(db_url).set(drivername="postgresql").render_as_string(
        hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as ear, \
            psycopg.connect(conninfo, autocommit=True) as mouth:
        ear.execute(f"LISTEN {NOTIFY_CHANNEL}")
        write()
        mouth.execute("SELECT pg_notify(%s, 'sentinel')", (NOTIFY_CHANNEL,))
        heard = []
        for notification in ear.notifies(timeout=60):
            if notification.payload == "sentinel":
                return heard
            heard.append(notification.payload)
    raise AssertionError("the sentinel notification never came")


def test_writers_notify_once_per_transaction_and_only_while_a_follower_listens(cast, db_url):
    if not db_url.startswith("postgresql"):
        pytest.skip("SQLite has no notifications: followers poll it")
    from cee_workflow.workflow.events import _Listener

    # no follower: no NOTIFY (it would serialize the writers' commits for nothing)
    assert _notifications_before_sentinel(db_url, lambda: cast.liquidated()) == []
    follower = _Listener(db_url, 1.0)
    try:
        # a follower: one notification per transaction (3: entry, schedule, liquidate)
        assert _notifications_before_sentinel(db_url, lambda: cast.liquidated()) == [""] * 3
    finally:
        follower.close()
    assert _notifications_before_sentinel(db_url, lambda: cast.entry()) == []
