"""`python -m benchmarks.stream_cost --db postgresql://…`: what the event stream's triggers cost.

The stream's position (a BEFORE INSERT row trigger: the writing transaction's id, raised to the
case's previous event's) and its NOTIFY (an AFTER INSERT statement trigger) are the only writes
the stream adds (storage/stream_ddl.py). This times the event INSERTs of the two write paths —
the bulletin's set-based batch (one multi-row INSERT … RETURNING of `--batch` events, one
transaction) and the single advance's (one event, one transaction) — with the triggers enabled
and disabled, interleaved round by round on one scratch database, so that a loaded machine's
drift falls on both sides alike. Prints one JSON document.
"""

from __future__ import annotations

import argparse
import json
import statistics
import threading
import time
import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlmodel import Session

from cee_workflow.storage import migrate
from cee_workflow.storage.bulk import insert_events
from cee_workflow.storage.database import create_db_engine, normalize_url
from cee_workflow.storage.single import insert_event

TRIGGERS = ("cee_event_stream_position", "cee_event_notify")
# Which triggers each side runs: the whole stream with a follower listening (NOTIFY issued), the
# whole stream with none (the trigger looks and does not NOTIFY), the position alone, none.
ENABLED = {"listened": TRIGGERS, "on": TRIGGERS, "position": TRIGGERS[:1], "off": ()}
ORDER = tuple(ENABLED)
SIDES = tuple(ORDER[i:] + ORDER[:i] for i in range(len(ORDER)))  # rotated round by round


def _row(case: str, case_seq: int) -> dict:
    return {"case_id": case, "case_seq": case_seq, "at": datetime.now(UTC), "actor": "bench",
            "authority": "SYSTEM", "regime": "", "trigger": "liquidate", "from_state": "a",
            "to_state": "b", "note": "", "data": {"k": 1}, "prev_hash": "0" * 64,
            "hash": uuid.uuid4().hex * 2}


def _cases(db: sa.Engine, count: int) -> list[str]:
    ids = [f"BENCH-{i:06d}" for i in range(count)]
    with db.begin() as c:
        c.execute(sa.text("INSERT INTO cee_importer (number, name, center, trusted) VALUES "
                          "('12-3456789AB', 'Bench', '007', '[]')"))
        c.execute(sa.text(
            "INSERT INTO cee_case (id, kind, state, version, importer, port, center, division, "
            "escalation, data, head_hash, event_count, opened_at, updated_at) VALUES (:id, "
            "'liquidation', 'open', 0, '12-3456789AB', '2704', '007', 'validation', 0, '{}', "
            "'', 0, now(), now())"), [{"id": i} for i in ids])
    return ids


def _listener(url: str, database: str):
    """A follower's connection, as `cee events tail --follow` opens it."""

    from cee_workflow.workflow.events import _Listener

    target = sa.make_url(normalize_url(url)).set(database=database)
    return _Listener(target.render_as_string(hide_password=False), 1.0)


def _concurrent_singles(db: sa.Engine, ids: list[str], case_seq: dict[str, int], count: int,
                        writers: int) -> None:
    """`count` one-event transactions by `writers` threads, each on its own cases."""
    def write(worker: int) -> None:
        mine = ids[worker::writers]
        for i in range(count // writers):
            case = mine[i % len(mine)]
            case_seq[case] += 1
            with db.begin() as c:
                insert_event(c, _row(case, case_seq[case]))

    threads = [threading.Thread(target=write, args=(w,)) for w in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def measure(url: str, *, batch: int, singles: int, rounds: int, writers: int = 4,
            async_commit: bool = False) -> dict:
    admin = create_db_engine(url)
    name = f"bench_stream_{uuid.uuid4().hex[:8]}"
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        c.exec_driver_sql(f"CREATE DATABASE {name}")
        if async_commit:  # no WAL flush per commit: what is left is the statements' own cost
            c.exec_driver_sql(f"ALTER DATABASE {name} SET synchronous_commit = off")
    db = create_db_engine(str(sa.make_url(normalize_url(url)).set(database=name)))
    try:
        migrate.upgrade(db)
        ids = _cases(db, batch)
        case_seq = dict.fromkeys(ids, 0)
        paths = ("bulletin", "advance", f"advance_x{writers}")
        times: dict[str, list[float]] = {f"{p}_{s}": [] for p in paths for s in ENABLED}
        for round_ in range(rounds):
            for side in SIDES[round_ % len(SIDES)]:
                with db.begin() as c:
                    for trigger in TRIGGERS:
                        verb = "ENABLE" if trigger in ENABLED[side] else "DISABLE"
                        c.exec_driver_sql(f"ALTER TABLE cee_event {verb} TRIGGER {trigger}")
                listener = _listener(url, name) if side == "listened" else None
                rows = []
                for case in ids:
                    case_seq[case] += 1
                    rows.append(_row(case, case_seq[case]))
                started = time.perf_counter()
                with Session(db) as session, session.begin():
                    insert_events(session, rows)  # the bulletin's batch
                times[f"bulletin_{side}"].append((time.perf_counter() - started) / batch)
                started = time.perf_counter()
                for i in range(singles):
                    case = ids[i % len(ids)]
                    case_seq[case] += 1
                    with db.begin() as c:
                        insert_event(c, _row(case, case_seq[case]))
                times[f"advance_{side}"].append((time.perf_counter() - started) / singles)
                started = time.perf_counter()
                _concurrent_singles(db, ids, case_seq, singles, writers)
                times[f"advance_x{writers}_{side}"].append(
                    (time.perf_counter() - started) / singles)
                if listener is not None:
                    listener.close()
        with db.begin() as c:
            for trigger in TRIGGERS:
                c.exec_driver_sql(f"ALTER TABLE cee_event ENABLE TRIGGER {trigger}")
        result: dict = {"batch": batch, "singles": singles, "rounds": rounds,
                        "synchronous_commit": not async_commit}
        units = {"bulletin": "µs per event (one batch INSERT, one transaction)",
                 "advance": "µs per one-event transaction",
                 f"advance_x{writers}": f"µs per one-event transaction, {writers} writers "
                                        "(wall time / transactions)"}
        for path in paths:
            median = {side: statistics.median(times[f"{path}_{side}"]) * 1e6 for side in ORDER}
            result[path] = {
                "unit": units[path], "without_triggers": round(median["off"], 1),
                **{f"added_{side}": round(median[side] - median["off"], 1)
                   for side in ORDER if side != "off"}}
        return result
    finally:
        db.dispose()
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="a PostgreSQL server URL")
    parser.add_argument("--batch", type=int, default=2000)
    parser.add_argument("--singles", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--async-commit", action="store_true",
                        help="synchronous_commit=off on the scratch database: without the WAL "
                             "flush's noise (but also without the commits a NOTIFY serializes)")
    args = parser.parse_args()
    print(json.dumps(measure(args.db, batch=args.batch, singles=args.singles,
                             rounds=args.rounds, async_commit=args.async_commit), indent=2))


if __name__ == "__main__":
    main()
