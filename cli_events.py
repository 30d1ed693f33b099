"""`cee events tail` and `cee events relay`: the event stream on the command line.

Registered by cli.py; like it, imports only click at start-up.
"""

from __future__ import annotations

import json
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import click

PAGE = 500


class _Stop(Exception):
    """SIGTERM or SIGINT: end cleanly (exit 0)."""


@contextmanager
def _stoppable() -> Iterator[None]:
    """SIGTERM and SIGINT raise _Stop while the block runs."""
    def stop(*_):
        raise _Stop

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@contextmanager
def _deferred_signals() -> Iterator[None]:
    """SIGTERM and SIGINT wait until the block is done (then stop the command), so the cursor
    reported at the end is exactly after the last event printed."""
    stops = {signal.SIGTERM, signal.SIGINT}
    signal.pthread_sigmask(signal.SIG_BLOCK, stops)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, stops)


@click.group()
def events():
    """The event stream: every committed event in one order, read after a cursor."""


@events.command("tail")
@click.option("--after", metavar="CURSOR",
              help="Start after this cursor (TXID.SEQ, as --jsonl prints it, or an event number; "
                   "default: the first event).")
@click.option("--follow", is_flag=True,
              help="Keep going: print each event as it commits (PostgreSQL LISTEN/NOTIFY; "
                   "SQLite is polled). SIGTERM or Ctrl-C ends it with exit 0.")
@click.option("--kind", "kinds", multiple=True, metavar="TRIGGER",
              help="Only events of this trigger (repeatable), e.g. --kind liquidate.")
@click.option("--jsonl", is_flag=True, help="One JSON object per line, with its cursor.")
@click.option("--poll", type=click.FloatRange(0.05, 60), default=1.0, show_default=True,
              help="--follow: seconds between reads when nothing wakes it.")
@click.pass_obj
def tail(settings, after, follow, kinds, jsonl, poll):
    """Print the events after a cursor, in stream order; the cursor to resume from goes to
    stderr at the end."""
    from cee_workflow.workflow import events as stream

    reader = settings.reader()
    cursor = None
    printed = 0
    try:
        with _stoppable():
            if follow:
                source = stream.follow(reader.db, reader.url, after, kinds=kinds or None,
                                       limit=PAGE, poll=poll)
                click.echo(f"following the event stream after {after or '0.0'} "
                           "(SIGTERM or Ctrl-C to stop)", err=True)
                try:
                    for item in source:
                        with _deferred_signals():  # the line printed ⇔ the cursor moved
                            _print(item, jsonl)
                            cursor, printed = item.cursor, printed + 1
                finally:
                    source.close()
            else:
                page = reader.events(after, limit=PAGE, kinds=kinds or None)
                while True:
                    for item in page.events:
                        with _deferred_signals():
                            _print(item, jsonl)
                            cursor, printed = item.cursor, printed + 1
                    with _deferred_signals():
                        cursor = page.next
                    if not page.events:
                        break
                    page = reader.events(cursor, limit=PAGE, kinds=kinds or None)
    except _Stop:
        pass
    click.echo(f"{printed} events; resume with --after {cursor or after or '0.0'}", err=True)


def _print(item, jsonl: bool) -> None:
    if jsonl:
        line = json.dumps(item.to_dict(), default=str)
    else:
        event = item.event
        line = (f"{item.cursor}  {event.at.isoformat()}  {event.case_id} #{event.case_seq}  "
                f"{event.trigger}  {event.from_state} -> {event.to_state}  {event.actor}")
    click.echo(line)
    sys.stdout.flush()


@events.command("relay")
@click.option("--to", "broker_url", required=True, envvar="CEE_AMQP_URL", metavar="AMQP_URL",
              help="The broker, e.g. amqp://guest:guest@127.0.0.1:5672/ (or CEE_AMQP_URL).")
@click.option("--exchange", default="cee.events", show_default=True,
              help="The durable topic exchange to publish to (routing key: the trigger).")
@click.option("--name", help="The relay's name, which keys its cursor in the database "
                             "(default: amqp:EXCHANGE).")
@click.option("--batch", type=click.IntRange(1, 10_000), default=200, show_default=True,
              help="Events per batch: the cursor is recorded after each confirmed batch.")
@click.option("--once", is_flag=True, help="Publish what is committed, then exit.")
@click.option("--poll", type=click.FloatRange(0.05, 60), default=1.0, show_default=True,
              help="Seconds between reads when nothing wakes it.")
@click.pass_obj
def relay(settings, broker_url, exchange, name, batch, once, poll):
    """Publish every event to an AMQP broker (RabbitMQ) with publisher confirms, from a durable
    cursor; at least once, message_id = the event's hash. Needs the [amqp] extra."""
    from cee_workflow.workflow.relay import Relay, redact

    reader = settings.reader()
    progress = _Progress()
    runner = Relay(reader.db, reader.url, broker_url, exchange=exchange, name=name,
                   batch=batch, poll=poll, report=progress.batch)
    previous = {sig: signal.signal(sig, runner.stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        with progress:
            progress.start(f"relaying to {redact(broker_url)} exchange {exchange}")
            stats = runner.run(once=once)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    click.echo(json.dumps({"event": "relay_stopped", "relay": runner.name,
                           "published": stats.published, "cursor": str(stats.cursor)}),
               err=True)


class _Progress:
    """A JSON log line per batch on stderr; on a terminal, also a live progress line (rich)."""

    def __init__(self) -> None:
        self.status = None
        self.console = None
        if sys.stderr.isatty():
            from rich.console import Console

            self.console = Console(stderr=True)

    def __enter__(self):
        return self

    def start(self, text: str) -> None:
        if self.console is not None:
            self.status = self.console.status(text)
            self.status.start()

    def batch(self, line: dict) -> None:
        text = json.dumps(line)
        if self.console is not None and self.status is not None:
            self.console.print(text, markup=False, highlight=False, soft_wrap=True)
            self.status.update(f"relayed {line['published']} events, cursor {line['cursor']} "
                               f"(seq {line['last_seq']})")
        else:
            sys.stderr.write(text + "\n")
            sys.stderr.flush()

    def __exit__(self, *_):
        if self.status is not None:
            self.status.stop()
