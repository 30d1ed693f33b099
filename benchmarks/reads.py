"""Scenario (e): the reads at national scale, as an officer runs them (whole `cee` processes).

- `cee case list` and `cee deadlines list`: seconds from the start of the process (the `cee`
  console script) to its first row on stdout, the median of five processes (target < 0.5 s at
  1,000,000 cases), each killed once the row is out; read as an officer does, on a real
  database through the officer's own login (the identity resolved before the first row);
- `cee deadlines forecast` over a week's horizon: whole wall time (target ≤ 60 s at 1M) and the
  process's own peak memory (`VmHWM` of the `cee` process itself, read from /proc at its exit:
  not the runner's size, which a fork's `ru_maxrss` would include; target < 200 MB);
- the plan of every paged read (PostgreSQL: EXPLAIN), recorded beside, so that a page that
  stops being an index range scan shows.

It writes only one registry event (the reading officer, registered once) and the simulation
setting, switched off for the first rows and on again after them.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from statistics import median
from typing import Any

TARGETS = {"first row": 0.5, "forecast week": 60.0, "forecast_peak_rss_mb": 200}
# A `cee` process that writes its own peak resident size to stderr as it exits.
_CEE_WITH_HWM = (
    "import atexit, sys\n"
    "def hwm():\n"
    "    for line in open('/proc/self/status'):\n"
    "        if line.startswith('VmHWM:'):\n"
    "            sys.stderr.write('VMHWM ' + line.split()[1] + '\\n')\n"
    "atexit.register(hwm)\n"
    "from cee_workflow.cli import main\n"
    "main(sys.argv[1:])\n")


RUNS = 5  # whole processes per first-row measure; the median is reported (a shared machine)
READER = "bench.reader"  # the officer whose login reads the real database


def measure(url: str, now: datetime, log) -> list[dict[str, Any]]:
    records = []
    until = (now + timedelta(days=7)).date().isoformat()
    seconds_forecast, peak_mb, lines = forecast_run(url, now, until)  # --now: a simulation
    log(f"forecast to {until}: {seconds_forecast:.1f} s, {lines} stages, peak {peak_mb:.0f} MB")
    plans = page_plans(url)
    # The first rows as an officer reads them: on a real database, through its own login (the
    # established identity is resolved before the first row). The scratch database is a
    # simulation for the generator and the forecast; it is made real for these reads, and a
    # simulation again after them.
    with real_database(url):
        from benchmarks.startup import bytecode_compiled

        bytecode_compiled()  # as installed: no measured process compiles cee's source
        pg = url.startswith("postgres")
        # What of the first row is the machine's: the same interpreter importing the driver
        # stack and printing a line.
        stack = "import sqlalchemy, psycopg" if pg else "import sqlalchemy"
        bare = median(first_row_seconds(url, None, stack) for _ in range(RUNS))
        for name, args in (("case list: first row", ["case", "list", "--jsonl"]),
                           ("deadlines list: first row", ["deadlines", "list", "--jsonl"])):
            seconds = median(first_row_seconds(url, args) for _ in range(RUNS))
            log(f"{name}: {seconds:.3f} s (a bare `{stack}` printing a line: {bare:.3f} s)")
            records.append({"name": name, "processes": 1, "unit": "s-limit",
                            "engine_seconds": seconds, "target": TARGETS["first row"],
                            "met": seconds < TARGETS["first row"],
                            "notes": f"`cee` on a real database as officer {READER}'s login, "
                                     f"median of {RUNS} processes; of which start-up (python "
                                     f"running `{stack}` and printing a line): {bare:.2f} s"})
    records.append({"name": "forecast week", "processes": 1, "unit": "s-limit",
                    "engine_seconds": seconds_forecast, "target": TARGETS["forecast week"],
                    "met": seconds_forecast <= TARGETS["forecast week"],
                    "notes": f"{lines} stages to {until}"})
    records.append({"name": "forecast_peak_rss_mb", "processes": 1, "unit": "MB",
                    "engine": peak_mb, "floor": None, "target": TARGETS["forecast_peak_rss_mb"],
                    "met": peak_mb < TARGETS["forecast_peak_rss_mb"],
                    "notes": "VmHWM of the cee process"})
    if plans:
        records.append({"name": "paged reads: plans", "processes": 1, "unit": "plan",
                        "plans": plans, "met": all(p["index_range"] for p in plans.values())})
    return records


@contextmanager
def real_database(url: str) -> Iterator[None]:
    """The scratch database as a real one for the block: officer READER registered (by the
    registry's administrator, once) with this process's established login, the simulation
    setting off; on again after."""
    import sqlalchemy as sa

    from cee_workflow import Engine
    from cee_workflow.workflow.identity import established_login

    engine = Engine(url)
    try:
        with engine.db.connect() as connection:
            known = connection.execute(sa.text("SELECT 1 FROM cee_officer WHERE id = :id"),
                                       {"id": READER}).first()
        if known is None:
            engine.add_officer(READER, name="Benchmark Reader", office="007",
                               unit="partnership", login=established_login(engine.db))
        flip = sa.text("UPDATE cee_setting SET value = :value WHERE key = 'simulation'")
        with engine.db.begin() as connection:
            connection.execute(flip, {"value": "false"})
        try:
            yield
        finally:
            with engine.db.begin() as connection:
                connection.execute(flip, {"value": "true"})
    finally:
        engine.close()


def cee_command() -> list[str]:
    """The `cee` console script beside this interpreter (what an officer runs)."""
    script = Path(sys.executable).with_name("cee")
    return [str(script)] if script.exists() else [sys.executable, "-m", "cee_workflow.cli"]


def first_row_seconds(url: str, args: list[str] | None, stack: str = "import sqlalchemy"
                      ) -> float:
    """Seconds to the first line of `cee --db URL ARGS` (None: of a bare `stack` import)."""
    command = ([*cee_command(), "--db", url, *args] if args else
               [sys.executable, "-c", f"{stack}; print('ready', flush=True)"])
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        line = process.stdout.readline()
        elapsed = time.perf_counter() - started
        if not line:
            process.kill()
            error = process.stderr.read().decode(errors="replace").strip()
            raise RuntimeError(f"`{' '.join(command)}` printed no row: {error[-300:]}")
        return elapsed
    finally:
        process.kill()
        process.wait()


def forecast_run(url: str, now: datetime, until: str) -> tuple[float, float, int]:
    """(wall seconds, peak MB of the process itself, stages printed)."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-c", _CEE_WITH_HWM, "--db", url, "--now", now.isoformat(),
         "deadlines", "forecast", "--until", until, "--jsonl"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines = sum(1 for _ in process.stdout)
    error = process.stderr.read()
    process.wait()
    elapsed = time.perf_counter() - started
    found = re.search(r"VMHWM (\d+)", error)
    if process.returncode != 0 or not found:
        raise RuntimeError(f"the forecast failed: {error.strip()[-300:]}")
    return elapsed, int(found.group(1)) / 1024, lines


def page_plans(url: str) -> dict[str, dict[str, Any]]:
    """EXPLAIN of each paged read (PostgreSQL); {} on SQLite."""
    import sqlalchemy as sa

    from cee_workflow.storage import reads
    from cee_workflow.storage.database import create_db_engine

    db = create_db_engine(url)
    try:
        if db.dialect.name != "postgresql":
            return {}
        with db.connect() as connection:
            due = connection.execute(sa.text(
                "SELECT min(due_at) FROM cee_deadline WHERE status = 'pending'")).scalar()
            middle = connection.execute(sa.text(
                "SELECT id FROM cee_case ORDER BY id OFFSET (SELECT count(*) / 2 FROM cee_case)"
                " LIMIT 1")).scalar()
            statements = {
                "case list page": reads.case_page_statement(after=middle, limit=50),
                "case list page, kind+state+center": reads.case_page_statement(
                    after=middle, limit=50, kind="liquidation", state="unliquidated",
                    center="007"),
                "deadlines list page": reads.deadline_page_statement(after=(due, 0), limit=50),
            }
            plans = {}
            for name, statement in statements.items():
                compiled = statement.compile(connection, compile_kwargs={"literal_binds": True})
                plan = list(connection.exec_driver_sql(f"EXPLAIN {compiled}").scalars())
                scans = [line.strip() for line in plan if "Scan" in line]
                plans[name] = {"plan": plan, "index_range": bool(scans) and all(
                    "Index" in s for s in scans) and not any("Sort" in p for p in plan[1:2])}
            return plans
    finally:
        db.dispose()
