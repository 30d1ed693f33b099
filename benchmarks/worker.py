"""One timed run in its own process: the engine's side or the floor's side of a scenario.

The runner starts a worker with a JSON spec; the worker imports, connects and reads its cases,
prints `ready`, waits for `go` on stdin (so parallel workers start together and start-up is not
timed), runs, and prints one JSON line: start and end (epoch seconds), rows done, its peak RSS
and, for single advances, each call's latency.

Peak RSS is the kernel's high-water mark of this process (`VmHWM` in /proc/self/status): the
worker is a fresh interpreter started by `subprocess` (not a fork of the runner), so the mark is
its own — imports, connection and run included. `getrusage(RUSAGE_SELF).ru_maxrss` is the
fallback where /proc is missing (it counts a forked child's inherited pages too).
"""

from __future__ import annotations

import json
import resource
import sys
import time
from datetime import date, datetime
from functools import partial
from typing import Any

from benchmarks import floors, true_floor, true_sweep
from benchmarks.generate import officer_of
from cee_workflow.states.params import DEFAULT_PARAMS
from cee_workflow.storage.database import create_db_engine
from cee_workflow.storage.reference_data import CENTERS


def main(spec: dict[str, Any]) -> dict[str, Any]:
    db = create_db_engine(spec["url"])
    now = datetime.fromisoformat(spec["now"])
    day = date.fromisoformat(spec["day"])
    with db.connect() as c:
        ids = [r[0] for r in c.exec_driver_sql("SELECT case_id FROM bench_scope ORDER BY case_id")]
    ids = ids[spec.get("index", 0)::spec.get("of", 1)]
    officers = {center: officer_of(center) for center in CENTERS}
    latencies: list[float] = []
    run = _engine_side(spec, now, day, ids, latencies) if spec["side"] == "engine" else None
    if run is None:
        raw = db.raw_connection()
        import sqlalchemy as sa

        columns = {c["name"] for c in sa.inspect(db).get_columns("cee_case")}
        driver = floors.Driver(raw.driver_connection, db.dialect.name,
                               scheduled_column="scheduled_for" in columns)
        bulletin = {"floor": true_floor.bulletin, "per_row": floors.bulletin,
                    "floor_all": partial(true_floor.bulletin, per_center=False)}[spec["side"]]
        run = {
            "bulletin": lambda: bulletin(driver, day, now, DEFAULT_PARAMS, officers,
                                         spec["batch"]),
            "advance": lambda: floors.advances(driver, ids, now, DEFAULT_PARAMS, officers,
                                               latencies),
            "sweep": (lambda: true_sweep.sweep(driver, now, DEFAULT_PARAMS, spec["limit"],
                                               spec["batch"], officers))
            if spec["side"] == "floor" else
            (lambda: floors.sweep(driver, now, DEFAULT_PARAMS, spec["limit"], spec["batch"])),
        }[spec["scenario"]]
    print("ready", flush=True)
    sys.stdin.readline()
    start = time.time()
    outcome = run()
    end = time.time()
    result = {"start": start, "end": end, "seconds": end - start, "maxrss_mb": peak_rss_mb()}
    if latencies:
        result["latencies"] = latencies
    result.update(outcome if isinstance(outcome, dict) else {"done": outcome})
    return result


def peak_rss_mb() -> float:
    """This process's resident high-water mark, in MB (VmHWM; ru_maxrss without /proc)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _engine_side(spec, now: datetime, day: date, ids: list[str], latencies: list[float]):
    from cee_workflow import Engine, SettableClock

    engine = Engine(spec["url"], clock=SettableClock(now))
    actors = {center: engine.actor(officer_of(center)) for center in CENTERS}
    if spec["scenario"] == "advance":
        with engine.db.connect() as c:
            centers = dict(c.exec_driver_sql('SELECT id, center FROM cee_case WHERE id IN '
                                             "(SELECT case_id FROM bench_scope)").all())

        def advance() -> int:
            clock = time.perf_counter
            for case_id in ids:
                began = clock()
                engine.advance(case_id, "liquidate", actor=actors[centers[case_id]])
                latencies.append(clock() - began)
            return len(ids)
        return advance
    if spec["scenario"] == "sweep":
        return lambda: len(engine.sweep(now, limit=spec["limit"], batch=spec["batch"]).fired)
    if not hasattr(engine, "liquidate_bulletin"):
        return lambda: {"done": 0, "unavailable": "engine.liquidate_bulletin is not on this "
                        "branch (the bulk branch is not merged)"}

    def bulletin() -> dict[str, Any]:
        done = 0
        for center in CENTERS:  # each center posts its own bulletin, as its officer
            result = engine.liquidate_bulletin(day, actor=actors[center], center=center,
                                               batch_size=spec["batch"])
            done += result.done
        return {"done": done}
    return bulletin


if __name__ == "__main__":
    print(json.dumps(main(json.loads(sys.argv[1]))), flush=True)
