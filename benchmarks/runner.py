"""`python -m benchmarks run`: one database, every scenario, engine next to the floor, one JSON.

For each scenario: snapshot its rows, time the engine (in worker processes), fingerprint the
result, restore; time the floor, fingerprint, restore; the ratio is engine seconds / floor
seconds, and `verified` says both ended with the same rows (counts and a sampled digest).
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from benchmarks import startup
from benchmarks.floors import __doc__ as FLOOR_DOC
from benchmarks.generate import Layout, generate
from benchmarks.history import at_eastern
from benchmarks.scratch import SAMPLE_EVERY, Snapshot, database_version, scratch_database
from benchmarks.true_floor import __doc__ as TRUE_FLOOR_DOC
from cee_workflow.states.params import DEFAULT_PARAMS

BULLETIN_DAY = date(2025, 6, 6)  # a Friday; the population is lived up to the Thursday before
ADVANCES = 10_000
SWEEP_DUE = 10_000
BULLETIN_BATCH = 5_000
SWEEP_BATCH = 200  # the engine's default sweep batch
SCENARIOS = ("bulletin", "advance", "sweep", "startup", "reads")
TARGETS = {"bulletin": 1.5, "advance": 2.0, "sweep": 1.5, "cee --help": 1.5,
           "cee case show": 1.3, "bulletin_peak_rss_mb": 300}  # issue #15
ROOT = Path(__file__).resolve().parent.parent


def run(url: str, size: int, *, scenarios=SCENARIOS, out: Path | None = None,
        background: int | None = None, sweep_due: int = SWEEP_DUE, advances: int = ADVANCES,
        processes: tuple[int, ...] | None = None, startup_runs: int = 15, merge: bool = False,
        rounds: int = 1, sample_every: int = SAMPLE_EVERY, log=print,
        tick=None, national: bool = False, pending: int = 0) -> dict[str, Any]:
    """Run the suite on a scratch database of `url`'s kind; returns (and writes) the results.

    `merge`: the scenarios run replace theirs in the day's file of this database, which must be
    of the same size and layout; the others stay as measured, each record saying when and at
    which commit (a re-measure after a change that touches only some scenarios). `tick(label)`
    is called after each step of `steps(…)` (the progress bar of `python -m benchmarks`).
    `national`: the population is written set-based (`benchmarks.national`: millions of cases
    in minutes) instead of row by row; same layout, same groups. `pending`: pad the pending
    deadlines to that many (PostgreSQL; benchmarks.national.pad_pending), for the sweep."""
    if tick is not None:
        log = _ticking(log, tick)
    with scratch_database(url) as scratch:
        from cee_workflow import Engine

        engine = Engine(scratch)
        engine.upgrade(simulation=True)  # synthetic data at a chosen instant: a simulation
        kind = engine.db.dialect.name
        layout = Layout(BULLETIN_DAY, size=size,
                        background=background if background is not None else max(2000, size // 4),
                        sweep_due=min(sweep_due, max(size, 1)))
        log(f"generating {layout.to_dict()} on {kind}")
        if national:
            from benchmarks.national import generate_national
            counts = generate_national(engine.db, layout, DEFAULT_PARAMS)
        else:
            counts = generate(engine.db, layout, DEFAULT_PARAMS)
        if pending:
            from benchmarks.national import pad_pending
            log(f"padded {pad_pending(engine.db, pending, counts)} pending deadlines")
        log(f"generated {counts.to_dict()}")
        results: dict[str, Any] = {
            "date": datetime.now(UTC).date().isoformat(), "database": kind,
            "database_version": database_version(engine.db), "machine": machine(),
            "size": size, "layout": {**layout.to_dict(),
                                      "generator": "national" if national else "per-row"},
            "population": counts.to_dict(),
            "floor_includes": " ".join(TRUE_FLOOR_DOC.split()),
            "per_row_floor_includes": " ".join(FLOOR_DOC.split()),
            "contention": contention(), "rounds": rounds, "scenarios": []}
        timing = {"rounds": rounds, "sample_every": sample_every}
        bench_now = at_eastern(BULLETIN_DAY, 10)  # the bulletin Friday, 10:00 ET
        if processes is None:
            processes = (1, 2, 4) if kind == "postgresql" else (1,)
        for name in scenarios:
            if name == "bulletin":
                results["scenarios"] += bulletin(engine.db, scratch, bench_now, log, **timing)
            elif name == "advance":
                for n in processes:
                    results["scenarios"].append(
                        advance(engine.db, scratch, bench_now, min(advances, size), n, log,
                                **timing))
            elif name == "sweep":
                results["scenarios"].append(sweep(engine.db, scratch, layout, counts, log,
                                                  **timing))
            elif name == "startup":
                with engine.db.connect() as c:
                    case_id = c.exec_driver_sql("SELECT min(case_id) FROM bench_group").scalar()
                results["scenarios"] += startup.measure(scratch, case_id, startup_runs, TARGETS)
                log("start-up measured")
            elif name == "reads":  # read-only: first rows, the week's forecast, the plans
                from benchmarks import reads
                results["scenarios"] += reads.measure(scratch, bench_now, log)
                log("reads measured")
        engine.close()
    stamp = {"measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
             "commit": commit()}
    for record in results["scenarios"]:
        record.update(stamp)
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        path = out / f"{results['date']}-{kind}.json"
        if merge:
            if not path.exists():  # else this run's scenarios alone would become the day's
                raise ValueError(f"--merge: no {path.name} to merge into; run every scenario")
            results = merged(json.loads(path.read_text()), results)
        path.write_text(json.dumps(results, indent=2) + "\n")
        log(f"wrote {path}")
    return results


def merged(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """`old` with the scenario records of `new` in place of those of the same name."""
    for key in ("database", "size", "layout"):
        if old[key] != new[key]:
            raise ValueError(f"cannot merge into a run of another {key} ({old[key]} here, "
                             f"{new[key]} now): run every scenario instead")
    fresh = {r["name"]: r for r in new["scenarios"]}
    scenarios = [fresh.pop(r["name"], r) for r in old["scenarios"]] + list(fresh.values())
    return {**new, "scenarios": scenarios}


def commit() -> str | None:
    """The checkout's commit (with `+` if it has uncommitted changes), or None outside git."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                              capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--",
                                ".", ":(exclude)benchmarks/results"],  # earlier runs' output
                               cwd=ROOT, capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    return head + ("+" if dirty.strip() else "")


def bulletin(db, url: str, now: datetime, log, *, rounds: int = 1,
             sample_every: int = SAMPLE_EVERY) -> list[dict[str, Any]]:
    snap = Snapshot(db, "SELECT case_id FROM bench_group WHERE grp = 'bulletin'", sample_every)
    spec = {"scenario": "bulletin", "url": url, "now": now.isoformat(),
            "day": BULLETIN_DAY.isoformat(), "batch": BULLETIN_BATCH}
    record = compare("bulletin", snap, spec, 1, TARGETS["bulletin"], log,
                     sides=("engine", "floor", "floor_all", "per_row"), rounds=rounds)
    record["floor"] = ("true floor (benchmarks/true_floor.py), each center's bulletin in turn; "
                       "floor_all: every center's entries in one pass in id order (which no "
                       "officer may run: a reference); per_row: benchmarks/floors.py")
    record["rows"] = f"liquidate {snap.size} entries scheduled for {BULLETIN_DAY}"
    ran = record.get("ratio") is not None
    peak = {"name": "bulletin_peak_rss_mb", "processes": 1,
            "engine": record.get("engine_maxrss_mb") if ran else None,
            "floor": record.get("floor_maxrss_mb"),
            "target": TARGETS["bulletin_peak_rss_mb"], "unit": "MB",
            "notes": "VmHWM of the worker process that ran the bulletin (a fresh interpreter, "
                     "not a fork: its own peak, imports included); floor: the true floor's"}
    peak["met"] = peak["engine"] is not None and peak["engine"] < peak["target"]
    return [record, peak]


def advance(db, url: str, now: datetime, count: int, processes: int, log, *, rounds: int = 1,
            sample_every: int = SAMPLE_EVERY) -> dict[str, Any]:
    snap = Snapshot(db, "SELECT case_id FROM bench_group WHERE grp = 'bulletin' "
                        f"ORDER BY case_id LIMIT {count}", sample_every)
    spec = {"scenario": "advance", "url": url, "now": now.isoformat(),
            "day": BULLETIN_DAY.isoformat()}
    record = compare("advance", snap, spec, processes, TARGETS["advance"], log, rounds=rounds)
    record["floor"] = ("the minimal transaction per case (read the case, write its rows, "
                       "commit: benchmarks/floors.py) — a single advance's true floor")
    record["name"] = f"advance x{processes}"
    record["rows"] = (f"{snap.size} `engine.advance(case, 'liquidate')` calls, one transaction "
                      f"each, on {processes} process(es) over disjoint cases")
    return record


def sweep(db, url: str, layout: Layout, counts, log, *, rounds: int = 1,
          sample_every: int = SAMPLE_EVERY) -> dict[str, Any]:
    snap = Snapshot(db, "SELECT case_id FROM bench_group WHERE grp = 'sweep'", sample_every)
    spec = {"scenario": "sweep", "url": url, "now": layout.as_of.isoformat(),
            "day": BULLETIN_DAY.isoformat(), "limit": layout.sweep_due, "batch": SWEEP_BATCH}
    record = compare("sweep", snap, spec, 1, TARGETS["sweep"], log,
                     sides=("engine", "floor", "per_row"), rounds=rounds)
    record["floor"] = "true floor (benchmarks/true_sweep.py); per_row: benchmarks/floors.py"
    padded = (f", {counts.padding} of them padding due from 2031 on finalized cases"
              if counts.padding else "")
    record["rows"] = (f"{layout.sweep_due} due timers (auto-schedule) among "
                      f"{counts.pending} pending{padded}; batches of {SWEEP_BATCH}")
    return record


def compare(name: str, snap: Snapshot, spec: dict[str, Any], processes: int, target: float,
            log, *, sides: tuple[str, ...] = ("engine", "floor"), rounds: int = 1
            ) -> dict[str, Any]:
    """Time each side in turn, `rounds` times interleaved (engine, floor, per-row floor, engine,
    …), restoring the rows after each; the ratio is the median of the rounds' engine ÷ floor.
    Every side's rows are fingerprinted and must match the engine's."""
    record: dict[str, Any] = {"name": name, "processes": processes, "target": target,
                              "rounds": rounds}
    prints: dict[str, Any] = {}
    seconds: dict[str, list[float]] = {side: [] for side in sides}
    latencies: dict[str, list[float]] = {}
    for round_ in range(rounds):
        for side in sides:
            outcome = timed({**spec, "side": side}, processes)
            print_ = snap.fingerprint()
            snap.restore()
            if prints.setdefault(side, print_) != print_:
                record.setdefault("notes", f"{side}: rows differ between rounds")
            seconds[side].append(outcome["seconds"])
            record[f"{side}_done"] = outcome["done"]
            record[f"{side}_maxrss_mb"] = round(max(outcome["maxrss_mb"], record.get(
                f"{side}_maxrss_mb", 0)), 1)
            if outcome.get("latencies"):
                latencies.setdefault(side, []).extend(outcome["latencies"])
            if "unavailable" in outcome:
                record["notes"] = outcome["unavailable"]
                record.update(ratio=None, met=False, verified=False)
                log(f"{name}: {outcome['unavailable']}")
                return record
            log(f"{name} x{processes} {side} (round {round_ + 1}/{rounds}): "
                f"{outcome['seconds']:.2f} s for {outcome['done']} "
                f"(peak {outcome['maxrss_mb']:.0f} MB)")
    for side in sides:
        record[f"{side}_seconds"] = round(statistics.median(seconds[side]), 3)
        record[f"{side}_runs"] = [round(x, 3) for x in seconds[side]]
    ratios = [e / f for e, f in zip(seconds["engine"], seconds["floor"], strict=True)]
    record["ratio"] = round(statistics.median(ratios), 2)
    for side, key in (("per_row", "per_row_ratio"), ("floor_all", "all_centers_ratio")):
        if side in sides:
            record[key] = round(statistics.median(
                [e / f for e, f in zip(seconds["engine"], seconds[side], strict=True)]), 2)
    for side, values in latencies.items():
        record[f"{side}_latency_ms"] = percentiles(values)
    record["met"] = record["ratio"] <= target
    record["verified"] = all(prints[side] == prints["engine"] for side in sides)
    record["fingerprint"] = prints["engine"]
    for side in sides:
        if prints[side] != prints["engine"]:
            record[f"{side}_fingerprint"] = prints[side]
    log(f"{name} x{processes}: ratio {record['ratio']} (target {target}), same rows: "
        f"{record['verified']}")
    return record


def percentiles(values: list[float]) -> dict[str, float]:
    """Mean and p50/p90/p99 of latencies in seconds, in milliseconds."""
    ordered = sorted(values)

    def at(q: float) -> float:
        return round(1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))], 3)
    return {"mean": round(1000 * statistics.fmean(ordered), 3), "p50": at(0.50),
            "p90": at(0.90), "p99": at(0.99), "n": len(ordered)}


def timed(spec: dict[str, Any], processes: int) -> dict[str, Any]:
    """Start `processes` workers, release them together, and time the whole run."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, (
        str(ROOT), os.environ.get("PYTHONPATH"))))}
    workers = [subprocess.Popen(
        [sys.executable, "-m", "benchmarks.worker", json.dumps({**spec, "index": i,
                                                                "of": processes})],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
        for i in range(processes)]
    for worker in workers:
        line = worker.stdout.readline().strip()
        if line != "ready":
            for other in workers:
                other.kill()
            raise RuntimeError(f"a {spec['side']} worker of {spec['scenario']} failed to start")
    for worker in workers:
        worker.stdin.write("go\n")
        worker.stdin.flush()
    outcomes = []
    for worker in workers:
        output, _ = worker.communicate()
        if worker.returncode != 0:
            raise RuntimeError(f"a {spec['side']} worker of {spec['scenario']} failed "
                               f"(exit {worker.returncode})")
        outcomes.append(json.loads(output.strip().splitlines()[-1]))
    merged = {"seconds": max(o["end"] for o in outcomes) - min(o["start"] for o in outcomes),
              "done": sum(o["done"] for o in outcomes),
              "maxrss_mb": max(o["maxrss_mb"] for o in outcomes),
              "latencies": [x for o in outcomes for x in o.get("latencies", ())]}
    for o in outcomes:
        if "unavailable" in o:
            merged["unavailable"] = o["unavailable"]
    return merged


def machine() -> dict[str, Any]:
    memory = "unknown"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cores": os.cpu_count(), "memory": memory, "cpu": cpu,
            "python": platform.python_version(), "platform": platform.platform()}


def steps(kind: str, scenarios=SCENARIOS, processes: tuple[int, ...] | None = None,
          rounds: int = 1) -> int:
    """How many steps a run has (generating, then each timed run of each side, each start-up
    measurement): the length of its progress bar."""
    if processes is None:
        processes = (1, 2, 4) if kind == "postgresql" else (1,)
    per = {"bulletin": 4 * rounds, "advance": 2 * rounds * len(processes), "sweep": 3 * rounds,
           "startup": 1, "reads": 1}
    return 1 + sum(per[name] for name in scenarios)


def _ticking(log, tick):
    """A log that also advances the progress bar on the messages that end a step."""
    def logged(message: str) -> None:
        log(message)
        if message.startswith("generated") or " (round " in message \
                or message in ("start-up measured", "reads measured"):
            tick(message.split(":")[0])
    return logged


def contention() -> dict[str, Any]:
    """How busy the machine was when the run began (the load average over 1, 5, 15 minutes)."""
    try:
        one, five, fifteen = os.getloadavg()
    except OSError:
        return {}
    return {"loadavg": [round(one, 2), round(five, 2), round(fifteen, 2)],
            "cores": os.cpu_count()}


def elapsed_since(started: float) -> str:
    return str(timedelta(seconds=round(time.perf_counter() - started)))
