"""`cee events relay` against the real RabbitMQ: kill -9 at several moments, lose nothing.

Each test declares its own durable exchange and queue (deleted after). The broker tests skip,
with a reason naming RabbitMQ, when CEE_TEST_AMQP_URL is unset; .ci/run sets it and fails on
such a skip.
"""

from __future__ import annotations

import json
import os
import signal
import uuid
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from stream_process import Process

AMQP_ENV = "CEE_TEST_AMQP_URL"


@dataclass
class Broker:
    url: str
    exchange: str
    channel: object

    def drain(self) -> list[tuple[str, dict, dict]]:
        """Every message in the test's queue: (message_id, headers, body), in delivery order."""
        got = []
        while True:
            method, properties, body = self.channel.basic_get(self.exchange, auto_ack=True)
            if method is None:
                return got
            got.append((properties.message_id, dict(properties.headers), json.loads(body)))


@pytest.fixture
def broker():
    url = os.environ.get(AMQP_ENV)
    if not url:
        pytest.skip(f"RabbitMQ tests need {AMQP_ENV}")
    import pika

    name = f"cee.test.{uuid.uuid4().hex[:12]}"
    connection = pika.BlockingConnection(pika.URLParameters(url))
    channel = connection.channel()
    channel.exchange_declare(name, exchange_type="topic", durable=True)
    channel.queue_declare(name, durable=True)
    channel.queue_bind(name, name, routing_key="#")
    yield Broker(url, name, channel)
    channel.queue_delete(name)
    channel.exchange_delete(name)
    connection.close()


def stream(engine, after=None) -> list:
    seen = []
    while (page := engine.events(after=after)).events:
        seen += page.events
        after = page.next
    return seen


def relay(db_url: str, broker: Broker, *args: str, kill: str | None = None) -> Process:
    extra = {"CEE_RELAY_TEST_KILL": kill} if kill else {}
    from stream_process import environment

    return Process("--db", db_url, "events", "relay", "--to", broker.url, "--exchange",
                   broker.exchange, "--batch", "4", "--poll", "0.1", *args,
                   env=environment(**extra))


def recorded_cursor(db_url: str, exchange: str) -> tuple[int, int, int]:
    engine = sa.create_engine(db_url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as connection:
        row = connection.execute(sa.text(
            "SELECT txid, seq, published FROM cee_relay_cursor WHERE name = :name"),
            {"name": f"amqp:{exchange}"}).one()
    engine.dispose()
    return tuple(row)


def test_killed_at_any_moment_and_restarted_the_relay_loses_no_event(cast, engine, db_url,
                                                                     broker):
    for _ in range(6):
        cast.liquidated()
    events = stream(engine)
    assert len(events) == 18

    # 1. killed after its 6th confirmed message, before that batch (5–8) is recorded
    code, _, err = relay(db_url, broker, "--once", kill="confirmed:6").wait()
    assert code == -signal.SIGKILL, err
    assert recorded_cursor(db_url, broker.exchange)[:2] == (events[3].cursor.txid,
                                                            events[3].cursor.seq)
    # 2. killed just after recording a batch: it resumes after event 4, records 5–8, 9–12
    code, _, err = relay(db_url, broker, "--once", kill="committed:8").wait()
    assert code == -signal.SIGKILL, err
    assert recorded_cursor(db_url, broker.exchange)[1] == events[11].event.seq
    # 3. following, killed from outside once it has reported a batch (mid-stream, no hook)
    follower = relay(db_url, broker)
    batch = json.loads(follower.err_line())
    assert batch["event"] == "relay_batch" and batch["first_seq"] == events[12].event.seq
    follower.kill()
    after_kill = recorded_cursor(db_url, broker.exchange)
    # 4. events committed while no relay runs
    cast.liquidated()
    # 5. restarted: catches up and exits
    code, _, err = relay(db_url, broker, "--once").wait()
    assert code == 0, err
    lines = [json.loads(line) for line in err.splitlines()]
    assert all(line["event"] == "relay_batch" for line in lines[:-1])
    assert lines[-1]["event"] == "relay_stopped"
    # 6. a follower wakes for a new commit, and SIGTERM stops it cleanly
    follower = relay(db_url, broker)
    cast.liquidated()
    final = stream(engine)
    while json.loads(follower.err_line())["last_seq"] != final[-1].event.seq:
        pass
    follower.proc.send_signal(signal.SIGTERM)
    code, _, err = follower.wait()
    assert code == 0 and "Traceback" not in err, err
    assert json.loads(follower.stderr_lines[-1])["cursor"] == str(final[-1].cursor)

    messages = broker.drain()
    ids = [message_id for message_id, _, _ in messages]
    by_hash = {item.event.hash: item for item in final}
    assert set(ids) == set(by_hash)  # every event, and nothing else
    first_delivery = list(dict.fromkeys(ids))
    assert first_delivery == [item.event.hash for item in final]  # stream order
    assert [by_hash[h].event.seq for h in first_delivery] == sorted(
        item.event.seq for item in final)  # one writer at a time: seq order, too
    for message_id, headers, body in messages:  # a duplicate is the same message
        item = by_hash[message_id]
        assert headers == {"seq": item.event.seq, "case_id": item.event.case_id,
                           "case_seq": item.event.case_seq, "cursor": str(item.cursor)}
        assert body == json.loads(json.dumps(item.to_dict()))
    duplicates = {h for h in ids if ids.count(h) > 1}
    unrecorded_after_kill = {item.event.hash for item in final
                             if (item.cursor.txid, item.cursor.seq) > after_kill[:2]}
    # only what was confirmed but not recorded when a relay died: 5–6, and the killed
    # follower's batch in flight
    assert {events[4].event.hash, events[5].event.hash} <= duplicates
    assert duplicates <= {events[4].event.hash, events[5].event.hash} | unrecorded_after_kill
    # the cursor counts each event once: it moved only over confirmed, recorded batches
    assert recorded_cursor(db_url, broker.exchange) == (final[-1].cursor.txid,
                                                        final[-1].cursor.seq, len(final))


def test_an_unreachable_broker_is_one_line(db_url):
    dead = Process("--db", db_url, "events", "relay", "--to",
                   "amqp://guest:secret@127.0.0.1:1/", "--once")
    code, lines, err = dead.wait()
    assert (code, lines) == (1, [])
    assert err.startswith("error: cannot use the broker at amqp://guest:***@127.0.0.1:1/")
    assert "\n" not in err and "secret" not in err
