"""`cee events relay`: every event of the stream, published to an AMQP broker (RabbitMQ).

Delivery is at least once, in stream order, with a stable id per event:

- the channel is in confirm mode: each publish returns only once the broker has taken the
  message (persistent, to a durable topic exchange);
- the relay's cursor (`cee_relay_cursor`, keyed by the relay's name) advances in our database
  only after every message of a batch was confirmed, so a relay killed at any moment (kill -9)
  restarts from the last confirmed-and-recorded position: no event is lost, and what it sends
  twice is at most the batch it had not recorded, with the same ids;
- each message carries `message_id` = the event's hash and the headers `seq`, `case_id`,
  `case_seq` and `cursor`, so a consumer deduplicates by `message_id`.

Routing key: the event's trigger (`liquidate`, `file_protest`…). Messages reach the queues bound
to the exchange when they are published: bind a queue before the relay runs, or lose nothing by
starting the relay's name afresh (its cursor) once the queue exists. Needs the `[amqp]` extra
(pika).
"""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from cee_workflow.storage import relay_cursor
from cee_workflow.workflow.errors import BrokerUnavailable, InvalidInput
from cee_workflow.workflow.events import Cursor, StreamEvent, read_page, waiter

log = logging.getLogger(__name__)
DEFAULT_EXCHANGE = "cee.events"
# Test hook: "confirmed:N" kills the process (SIGKILL) after its N-th confirmed message, before
# the batch's cursor is recorded; "committed:N" once a recorded batch brings it to N or more.
KILL_HOOK_ENV = "CEE_RELAY_TEST_KILL"


@dataclass
class RelayStats:
    published: int = 0  # by this process
    batches: int = 0
    cursor: Cursor = field(default_factory=Cursor)


def redact(url: str) -> str:
    """The broker URL without its password."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = f"{parts.username}:***@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


class Relay:
    """Publishes the stream after the relay's recorded cursor; `run()` until stopped."""

    def __init__(self, db: sa.Engine, db_url: str, broker_url: str, *,
                 exchange: str = DEFAULT_EXCHANGE, name: str | None = None, batch: int = 200,
                 poll: float = 1.0, report: Callable[[dict[str, Any]], None] | None = None):
        if not exchange or len(exchange) > 200:
            raise InvalidInput("--exchange must be a name of 1 to 200 characters")
        if name is not None and not 1 <= len(name) <= 200:
            raise InvalidInput("--name must be 1 to 200 characters (it keys the relay's cursor)")
        self.db, self.db_url, self.broker_url = db, db_url, broker_url
        self.exchange, self.name = exchange, name or f"amqp:{exchange}"
        self.batch, self.poll = batch, poll
        self.report = report or (lambda line: None)
        self.stats = RelayStats()
        self._stopping = False
        self._waiting = False
        self._kill = _kill_hook()

    # --- stopping -------------------------------------------------------------------------

    def stop(self, *_: Any) -> None:
        """Stop after the batch in hand is recorded (a signal handler: SIGTERM, SIGINT)."""
        self._stopping = True
        if self._waiting:
            raise _Stop

    # --- the loop -------------------------------------------------------------------------

    def run(self, *, once: bool = False) -> RelayStats:
        """Publish every event after the cursor; with `once`, return when caught up, else go
        on as events commit until `stop()`."""
        channel, connection = self._open()
        wait = waiter(self.db, self.db_url, self.poll)
        try:
            with self.db.begin() as conn:
                found = relay_cursor.load(conn, self.name)
            self.stats.cursor = Cursor(*found[:2]) if found else Cursor()
            while not self._stopping:
                page = read_page(self.db, self.stats.cursor, limit=self.batch)
                if page.events:
                    self._publish(channel, page.events, page.next)
                    continue
                if once:
                    break
                self._waiting = True
                try:
                    if self._stopping:
                        break
                    connection.process_data_events(time_limit=0)  # heartbeats
                    wait()
                except _Stop:
                    break
                finally:
                    self._waiting = False
        except _broker_errors() as error:
            raise BrokerUnavailable(f"the broker at {redact(self.broker_url)} failed: "
                                    f"{_first_line(error)}; events from cursor "
                                    f"{self.stats.cursor} on are published again on restart"
                                    ) from None
        finally:
            close = getattr(wait, "close", None)
            if close is not None:
                close()
            if connection.is_open:
                connection.close()
        return self.stats

    def _open(self) -> tuple[Any, Any]:
        try:
            import pika
        except ImportError:
            raise InvalidInput("the relay needs the AMQP client: pip install "
                               "'cee-workflow[amqp]'") from None
        try:
            parameters = pika.URLParameters(self.broker_url)
        except Exception as error:  # noqa: BLE001 — pika raises several kinds for a bad URL
            raise InvalidInput(f"--to {redact(self.broker_url)!r} is not an AMQP URL "
                               f"({_first_line(error)}); give amqp://USER:PASS@HOST:PORT/"
                               ) from None
        try:
            connection = pika.BlockingConnection(parameters)
            channel = connection.channel()
            channel.confirm_delivery()
            channel.exchange_declare(self.exchange, exchange_type="topic", durable=True)
        except _broker_errors() as error:
            raise BrokerUnavailable(f"cannot use the broker at {redact(self.broker_url)}: "
                                    f"{_first_line(error) or type(error).__name__}; check --to "
                                    "and that RabbitMQ is running") from None
        self._properties = pika.BasicProperties
        return channel, connection

    def _publish(self, channel: Any, events: tuple[StreamEvent, ...], after: Cursor) -> None:
        started = time.perf_counter()
        for item in events:
            event = item.event
            channel.basic_publish(
                self.exchange, event.trigger, json.dumps(item.to_dict()).encode(),
                self._properties(
                    message_id=event.hash, delivery_mode=2, content_type="application/json",
                    type=event.trigger, timestamp=int(event.at.timestamp()),
                    headers={"seq": event.seq, "case_id": event.case_id,
                             "case_seq": event.case_seq, "cursor": str(item.cursor)}))
            self.stats.published += 1  # confirmed: basic_publish returned
            self._kill("confirmed", self.stats.published)
        with self.db.begin() as conn:
            relay_cursor.advance(conn, self.name, after.txid, after.seq, len(events),
                                 datetime.now(UTC))
        self.stats.cursor = after
        self.stats.batches += 1
        self._kill("committed", self.stats.published)
        self.report({"event": "relay_batch", "relay": self.name, "exchange": self.exchange,
                     "messages": len(events), "first_seq": events[0].event.seq,
                     "last_seq": events[-1].event.seq, "cursor": str(after),
                     "published": self.stats.published,
                     "ms": round((time.perf_counter() - started) * 1000, 1)})


class _Stop(Exception):
    """A signal arrived while the relay waited for events."""


def _broker_errors() -> tuple[type[BaseException], ...]:
    import pika.exceptions

    return (pika.exceptions.AMQPError, OSError)


def _first_line(error: BaseException) -> str:
    text = str(error).strip() or repr(error)
    return text.splitlines()[0]


def _kill_hook() -> Callable[[str, int], None]:
    spec = os.environ.get(KILL_HOOK_ENV, "")
    if not spec:
        return lambda moment, count: None
    moment, _, at = spec.partition(":")

    def kill(now: str, count: int) -> None:
        if now == moment and count >= int(at):
            sys.stderr.flush()
            os.kill(os.getpid(), signal.SIGKILL)

    return kill
