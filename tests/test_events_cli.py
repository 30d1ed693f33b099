"""`cee events tail`: the stream on the command line, and a subscriber in another process."""

from __future__ import annotations

import json
import signal

import pytest
from stream_process import Process

from cee_workflow import Cursor


def stream(engine) -> list:
    seen, cursor = [], None
    while (page := engine.events(after=cursor)).events:
        seen += page.events
        cursor = page.next
    return seen


def test_tail_prints_the_stream_after_a_cursor_and_says_where_to_resume(cast, engine, db_url):
    cast.liquidated()
    events = stream(engine)
    tail = Process("--db", db_url, "events", "tail", "--jsonl", "--after", str(events[0].cursor))
    code, lines, err = tail.wait()
    assert code == 0, err
    got = [json.loads(line) for line in lines]
    assert [g["hash"] for g in got] == [e.event.hash for e in events[1:]]
    assert [g["cursor"] for g in got] == [str(e.cursor) for e in events[1:]]
    assert err.splitlines() == [f"{len(events) - 1} events; resume with --after "
                                f"{events[-1].cursor}"]
    human = Process("--db", db_url, "events", "tail", "--kind", "liquidate")
    code, lines, _ = human.wait()
    assert code == 0
    assert len(lines) == 1 and " liquidate " in lines[0] and "scheduled -> liquidated" in lines[0]


def test_tail_refuses_a_bad_cursor_in_one_line(db_url):
    tail = Process("--db", db_url, "events", "tail", "--after", "1.x")
    code, lines, err = tail.wait()
    assert (code, lines) == (2, [])
    assert err.startswith("error: cursor '1.x' is not TXID.SEQ") and "\n" not in err


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_a_follower_in_another_process_receives_each_event_as_it_commits(cast, engine, db_url,
                                                                         stop):
    cast.entry()
    # PostgreSQL must wake the follower by NOTIFY: its poll is longer than a line may take.
    poll = "60" if db_url.startswith("postgresql") else "0.1"
    follower = Process("--db", db_url, "events", "tail", "--follow", "--jsonl", "--poll", poll)
    first = json.loads(follower.line())  # what was committed before it started
    assert first["trigger"] == "record_entry"
    assert follower.err_line().startswith("following the event stream after 0.0")
    for round_ in range(2):  # events this process writes while the other one follows
        before = stream(engine)[-1].cursor
        case = cast.liquidated()
        written = engine.events(after=before).events
        assert written and {w.event.case_id for w in written} == {case.id}
        got = [json.loads(follower.line()) for _ in written]
        assert [(g["cursor"], g["hash"]) for g in got] == [
            (str(w.cursor), w.event.hash) for w in written], f"round {round_}"
    last = stream(engine)[-1].cursor
    follower.proc.send_signal(stop)
    code, rest, err = follower.wait()
    assert (code, rest) == (0, []), err
    assert "Traceback" not in err
    assert err.splitlines()[-1].endswith(f"resume with --after {last}")
    assert Cursor.parse(err.split()[-1]) == last
