"""Scenario (d): the CLI's start-up, as whole processes, next to bare imports in the same run.

`cee --help` is measured against `python -c 'import click'` and `cee case show` against
`python -c 'import sqlmodel'`: each command runs `runs` times, interleaved with its reference so
both see the same machine. The ratio is of the best (least disturbed) wall times — noise only
ever adds to a start-up — and the medians and CPU times (user + system) are kept beside it.
"""

from __future__ import annotations

import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

# What `cee --help` and a usage error must not load: the database stack, the scheduler, psycopg.
HEAVY_MODULES = ("sqlalchemy", "sqlmodel", "apscheduler", "psycopg", "pydantic", "alembic",
                 "cee_workflow.workflow.engine")


def bytecode_compiled() -> None:
    """Compile cee's modules to bytecode first, as an installed package is (`pip install`
    compiles them), so that no measured process compiles source: with PYTHONDONTWRITEBYTECODE
    set, as on some machines, an editable checkout would otherwise be compiled by every run."""
    import compileall
    import re

    import cee_workflow

    root = Path(cee_workflow.__file__).parent
    compileall.compile_dir(root, quiet=2, rx=re.compile(
        r"[/\\](\.venv[^/\\]*|\.git|tests|benchmarks|build|docs|examples)([/\\]|$)"))


def cee_command() -> list[str]:
    script = Path(sys.executable).with_name("cee")
    return [str(script)] if script.exists() else [sys.executable, "-m", "cee_workflow.cli"]


def wall(command: list[str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one whole run of `command`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return elapsed, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def heavy_imports(argv: list[str]) -> list[str]:
    """The heavy modules `cee ARGV` has imported by the time it exits (help, usage errors)."""
    probe = ("import contextlib, io, sys\nfrom cee_workflow import cli\n"
             "with contextlib.redirect_stdout(io.StringIO()):\n"
             f"    try:\n        cli.main({argv!r})\n    except SystemExit:\n        pass\n"
             f"print(' '.join(m for m in {HEAVY_MODULES!r} if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          check=True)
    return done.stdout.split()


def measure(url: str, case_id: str, runs: int, targets: dict[str, float]) -> list[dict[str, Any]]:
    bytecode_compiled()
    python = [sys.executable, "-c"]
    pairs = (
        ("cee --help", [*cee_command(), "--help"], "import click", [*python, "import click"]),
        ("cee case show", [*cee_command(), "--db", url, "case", "show", case_id],
         "import sqlmodel", [*python, "import sqlmodel"]),
    )
    records = []
    for name, command, reference_name, reference in pairs:
        wall(command), wall(reference)  # warm the file cache
        mine, theirs = [], []
        for _ in range(runs):
            mine.append(wall(command))
            theirs.append(wall(reference))
        best, best_ref = min(w for w, _ in mine), min(w for w, _ in theirs)
        ratio = best / best_ref
        record = {"name": name, "processes": 1, "runs": runs, "target": targets[name],
                  "engine_seconds": round(best, 3), "floor_seconds": round(best_ref, 3),
                  "engine_median": round(statistics.median(w for w, _ in mine), 3),
                  "floor_median": round(statistics.median(w for w, _ in theirs), 3),
                  "engine_cpu": round(statistics.median(c for _, c in mine), 3),
                  "floor_cpu": round(statistics.median(c for _, c in theirs), 3),
                  "ratio": round(ratio, 2), "met": ratio <= targets[name],
                  "rows": f"whole process, best of {runs}, against `python -c "
                          f"'{reference_name}'`"}
        if name == "cee --help":
            loaded = sorted(set(heavy_imports(["--help"])) | set(heavy_imports(["nonsense"])))
            record["heavy_imports_on_help_or_usage_error"] = loaded
            record["notes"] = ("help and usage errors load none of " + ", ".join(HEAVY_MODULES)
                               if not loaded else "help or a usage error loads " +
                               ", ".join(loaded))
        records.append(record)
    return records
