"""Scenario (e): the reads at national scale, as an officer runs them (whole `cee` processes).

- `cee case list` and `cee deadlines list`: seconds from the start of the process to its first
  row on stdout (target < 0.5 s at 1,000,000 cases), the process killed once the row is out;
- `cee deadlines forecast` over a week's horizon: whole wall time (target ≤ 60 s at 1M) and the
  process's own peak memory (`VmHWM` of the `cee` process itself, read from /proc at its exit:
  not the runner's size, which a fork's `ru_maxrss` would include; target < 200 MB);
- the plan of every paged read (PostgreSQL: EXPLAIN), recorded beside, so that a page that
  stops being an index range scan shows.

Read-only: nothing is restored after it.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from datetime import datetime, timedelta
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


def measure(url: str, now: datetime, log) -> list[dict[str, Any]]:
    records = []
    # The same process reading nothing: what of the first row is start-up (the machine's share).
    bare = first_row_seconds(url, None)
    for name, args in (("case list: first row", ["case", "list", "--jsonl"]),
                       ("deadlines list: first row", ["deadlines", "list", "--jsonl"])):
        seconds = first_row_seconds(url, args)
        log(f"{name}: {seconds:.3f} s (a bare start printing a line: {bare:.3f} s)")
        records.append({"name": name, "processes": 1, "unit": "s-limit",
                        "engine_seconds": seconds, "target": TARGETS["first row"],
                        "met": seconds < TARGETS["first row"],
                        "notes": f"of which start-up (python importing SQLAlchemy and printing"
                                 f" a line): {bare:.2f} s"})
    until = (now + timedelta(days=7)).date().isoformat()
    seconds, peak_mb, lines = forecast_run(url, now, until)
    log(f"forecast to {until}: {seconds:.1f} s, {lines} stages, peak {peak_mb:.0f} MB")
    records.append({"name": "forecast week", "processes": 1, "unit": "s-limit",
                    "engine_seconds": seconds, "target": TARGETS["forecast week"],
                    "met": seconds <= TARGETS["forecast week"],
                    "notes": f"{lines} stages to {until}"})
    records.append({"name": "forecast_peak_rss_mb", "processes": 1, "unit": "MB",
                    "engine": peak_mb, "floor": None, "target": TARGETS["forecast_peak_rss_mb"],
                    "met": peak_mb < TARGETS["forecast_peak_rss_mb"],
                    "notes": "VmHWM of the cee process"})
    plans = page_plans(url)
    if plans:
        records.append({"name": "paged reads: plans", "processes": 1, "unit": "plan",
                        "plans": plans, "met": all(p["index_range"] for p in plans.values())})
    return records


def first_row_seconds(url: str, args: list[str] | None) -> float:
    """Seconds to the first line of `cee --db URL ARGS` (None: of a bare SQLAlchemy import)."""
    command = ([sys.executable, "-m", "cee_workflow.cli", "--db", url, *args] if args else
               [sys.executable, "-c", "import sqlalchemy; print('ready', flush=True)"])
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        line = process.stdout.readline()
        elapsed = time.perf_counter() - started
        if not line:
            raise RuntimeError(f"`{' '.join(command)}` printed no row")
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
