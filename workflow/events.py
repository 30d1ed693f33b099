"""The event stream: every committed event, in one stable order, read with a cursor.

`Reader.events(after=cursor, limit=…, kinds=…)` returns an `EventPage`: the events after the
cursor and the cursor to go on from. Reading page after page from the cursor the last page
returned never misses an event and never returns one twice, however many writers commit
concurrently (storage/stream_ddl.py says why; tests/test_event_stream.py proves it with two
connections). `follow()` keeps reading as events commit: it wakes on PostgreSQL's
LISTEN/NOTIFY and polls SQLite.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cee_workflow.storage import event_reads
from cee_workflow.storage.database import snapshot
from cee_workflow.workflow.errors import InvalidInput, NotFound
from cee_workflow.workflow.views import EventView

if TYPE_CHECKING:
    import sqlalchemy as sa

MAX_PAGE = 10_000
_CURSOR = re.compile(r"(\d{1,19})(?:\.(\d{1,19}))?")


@dataclass(frozen=True, order=True)
class Cursor:
    """A position in the stream: after the event with key (txid, seq). `str()` gives its text
    form, `txid.seq` (what `cee events tail --after` takes); the start is `Cursor()` ("0.0").
    On SQLite txid is always 0."""

    txid: int = 0
    seq: int = 0

    def __str__(self) -> str:
        return f"{self.txid}.{self.seq}"

    @classmethod
    def parse(cls, text: str) -> Cursor:
        """`txid.seq` as printed; InvalidInput for anything else. (A bare event number `seq`
        is resolved by `Reader.events`, which knows the database.)"""
        match = _CURSOR.fullmatch(text.strip())
        if match is None or match.group(2) is None:
            raise InvalidInput(f"cursor {text!r} is not TXID.SEQ as `cee events tail --jsonl` "
                               "prints it (or an event number)")
        return cls(int(match.group(1)), int(match.group(2)))


@dataclass(frozen=True)
class StreamEvent:
    """One event of the stream and the cursor just after it."""

    cursor: Cursor
    event: EventView

    def to_dict(self) -> dict:
        return {"cursor": str(self.cursor), **self.event.to_dict()}


@dataclass(frozen=True)
class EventPage:
    """Events after a cursor, in stream order, and `next`: the cursor to read on from. `next`
    may move past events a `kinds` filter left out; an empty page means caught up."""

    events: tuple[StreamEvent, ...]
    next: Cursor


def read_page(db: sa.Engine, after: Cursor | str | int | None = None, *, limit: int = 100,
              kinds: Sequence[str] | None = None) -> EventPage:
    """The page of up to `limit` events after `after` (a Cursor, its text, an event number, or
    None for the start) whose trigger is one of `kinds` (all when None)."""
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(f"limit {limit} is not between 1 and {MAX_PAGE}")
    with snapshot(db) as connection:
        start = _resolve(connection, after)
        rows, last = event_reads.page(connection, after=(start.txid, start.seq), limit=limit,
                                      triggers=list(kinds) if kinds else None,
                                      below=event_reads.horizon(connection))
    return EventPage(tuple(StreamEvent(Cursor(row.txid, row.seq), EventView.of(row))
                           for row in rows), Cursor(*last))


def _resolve(connection: sa.Connection, after: Cursor | str | int | None) -> Cursor:
    if after is None:
        return Cursor()
    if isinstance(after, Cursor):
        return after
    if isinstance(after, str) and "." in after:
        return Cursor.parse(after)
    try:
        seq = int(after)
    except ValueError:
        Cursor.parse(str(after))  # raises the one-line error
        raise
    if seq == 0:
        return Cursor()
    found = event_reads.position_of(connection, seq)
    if found is None:
        raise NotFound("event", str(seq), "give a cursor TXID.SEQ or the number of an event")
    return Cursor(*found)


def follow(db: sa.Engine, url: str, after: Cursor | str | int | None = None, *,
           kinds: Sequence[str] | None = None, limit: int = 500, poll: float = 1.0,
           on_idle: Callable[[], None] | None = None) -> Iterator[StreamEvent]:
    """Every event after `after`, then each one as it commits, forever (stop by closing the
    generator or by a signal). On PostgreSQL it listens to the `cee_event` channel (LISTEN
    before the first read, so no commit falls between), waking at a notification or after
    `poll` seconds (a transaction elsewhere may have held the horizon back); SQLite: a read
    every `poll` seconds. `on_idle` runs while it waits (the relay's broker heartbeats)."""
    wait = waiter(db, url, poll)
    try:
        cursor = _start(db, after)
        while True:
            page = read_page(db, cursor, limit=limit, kinds=kinds)
            yield from page.events
            cursor = page.next
            if len(page.events) < limit:
                if on_idle is not None:
                    on_idle()
                wait()
    finally:
        close = getattr(wait, "close", None)
        if close is not None:
            close()


def _start(db: sa.Engine, after: Cursor | str | int | None) -> Cursor:
    with snapshot(db) as connection:
        return _resolve(connection, after)


class _Listener:
    """A psycopg connection in autocommit listening to the stream's channel."""

    def __init__(self, url: str, poll: float) -> None:
        import psycopg
        import sqlalchemy as sa

        from cee_workflow.storage.stream_ddl import (
            LISTENER_APPLICATION,
            LISTENER_LOCK,
            NOTIFY_CHANNEL,
        )

        conninfo = sa.make_url(url).set(drivername="postgresql").render_as_string(
            hide_password=False)
        self.connection = psycopg.connect(conninfo, autocommit=True,
                                          application_name=LISTENER_APPLICATION)
        self.connection.execute(f"LISTEN {NOTIFY_CHANNEL}")
        # Writers NOTIFY while this session holds the lock (storage/stream_ddl.py).
        self.connection.execute(f"SELECT pg_advisory_lock_shared({LISTENER_LOCK})")
        self.poll = poll

    def __call__(self) -> None:
        # Drain every pending notification: one read answers them all.
        for _ in self.connection.notifies(timeout=self.poll, stop_after=1):
            break
        for _ in self.connection.notifies(timeout=0):
            pass

    def close(self) -> None:
        self.connection.close()


def waiter(db: sa.Engine, url: str, poll: float) -> Callable[[], None]:
    if db.dialect.name == "postgresql":
        return _Listener(url, poll)
    import time

    return lambda: time.sleep(poll)  # SQLite has no notifications: a poll
