"""Where `cee demo` builds its database, and the command its closing hint prints.

The demo's database is always `<temporary directory>/cee-demo/demo.db`: one named place,
reused by every run (the previous demo's database is removed first — only if it is a
simulation database, which is all a demo makes), so demos do not pile up. The closing hint
names the running `cee` by its absolute path, so it runs as printed even when the virtual
environment is not activated (the quick start runs `.venv/bin/cee demo`).
"""

from __future__ import annotations

import shlex
import sqlite3
import sys
from contextlib import closing, suppress
from pathlib import Path

DEMO_DIRECTORY = "cee-demo"


def demo_url(temporary: str) -> str:
    folder = Path(temporary) / DEMO_DIRECTORY
    folder.mkdir(mode=0o700, exist_ok=True)
    path = folder / "demo.db"
    if path.exists() and _is_simulation(path):
        for stale in (path, path.with_name("demo.db-wal"), path.with_name("demo.db-shm")):
            with suppress(FileNotFoundError):
                stale.unlink()
    return f"sqlite:///{path}"


def _is_simulation(path: Path) -> bool:
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as connection:
            row = connection.execute(
                "SELECT value FROM cee_setting WHERE key = 'simulation'").fetchone()
    except sqlite3.Error:
        return False
    return bool(row) and row[0] == "true"


def this_command() -> str:
    """The running cee as a command a shell runs from anywhere."""
    script = Path(sys.argv[0]) if sys.argv and sys.argv[0] else None
    if script is not None and script.name == "cee":
        return shlex.quote(str(script.absolute()))
    return f"{shlex.quote(sys.executable)} -m cee_workflow.cli"
