"""The subprocess harness of tests/test_cli.py: run the `cee` command line and check how it ends.

`cee` runs the installed `cee` script (or `python -m cee_workflow.cli`) against a database given
with --db, in
the environment `isolated_environment` builds: without CEE_DATABASE_URL or CEE_ACTOR, with the
user data directory and the temporary directory moved under pytest's tmp_path, so no run can touch
a person's own data. Every run must exit with the expected code, never print a traceback, and, on
an error exit, print one `error:` line on stderr and nothing on stdout. `cee_many` runs
independent invocations concurrently, since starting the CLI costs about a second.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from cee_workflow import Engine
from cee_workflow.workflow.identifiers import entry_check_digit
from cee_workflow.workflow.identity import established_login  # noqa: E402


def entry_number(serial: int) -> str:
    """The valid entry number 112-<serial>-<check digit>, numbered as the conftest cast does."""
    return f"112-{serial:07d}-{entry_check_digit(f'112{serial:07d}')}"


ACME = "12-3456789AB"  # center 007, C-TPAT: cases route to the partnership division
E1 = entry_number(1)  # 112-0000001-3
SCRIPT = Path(sys.executable).with_name("cee")
COMMAND = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "cee_workflow.cli"]
TIMEOUT = 120

_base_env: dict[str, str] = {}


def isolated_environment(tmp_path_factory):
    """No CEE_* from the caller; user data and temp directories inside pytest's tmp_path.

    The body of test_cli's session fixture (`yield from` it): the environment holds until the
    generator resumes."""
    home = tmp_path_factory.mktemp("cli-home")
    (home / "tmp").mkdir()
    _base_env.update({k: v for k, v in os.environ.items()
                      if not k.startswith("CEE_") and k != "PYTHONWARNINGS"})
    _base_env.update(XDG_DATA_HOME=str(home / "data"), TMPDIR=str(home / "tmp"))
    yield
    _base_env.clear()


# --- helpers -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    """One `cee` invocation and the exit code it must end with."""

    args: tuple[str, ...]
    db: str | None = None
    actor: str | None = None
    now: str | None = None
    json: bool = False
    expect: int = 0
    env: tuple[tuple[str, str], ...] = ()

    def argv(self) -> list[str]:
        argv = list(COMMAND)
        if self.db is not None:
            argv += ["--db", self.db]
        if self.actor is not None:
            argv += ["--as", self.actor]
        if self.now is not None:
            argv += ["--now", self.now]
        if self.json:
            argv.append("--json")
        return argv + list(self.args)


def _run(call: Call) -> tuple[str, str]:
    env = {**_base_env, **dict(call.env)}
    done = subprocess.run(call.argv(), capture_output=True, text=True, env=env, timeout=TIMEOUT)
    where = f"`cee {' '.join(call.argv()[len(COMMAND):])}`"
    assert done.returncode == call.expect, (
        f"{where} exited {done.returncode}, expected {call.expect}\n"
        f"stdout:\n{done.stdout}\nstderr:\n{done.stderr}")
    assert "Traceback" not in done.stderr, f"{where} printed a traceback:\n{done.stderr}"
    if call.expect == 0:
        assert done.stderr == "", f"{where} succeeded but wrote to stderr:\n{done.stderr}"
    elif call.expect != 1:  # 1 is a failed audit: a report, not an error line
        lines = done.stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), (
            f"{where} must fail with one 'error:' line, got:\n{done.stderr}")
        if call.json and done.stdout:  # --json: the error's structured form, one document
            error = json.loads(done.stdout)["error"]
            assert (error["message"], error["exit_code"]) == (lines[0][7:], call.expect), where
        else:
            assert done.stdout == "", f"{where} failed but printed:\n{done.stdout}"
    return done.stdout, done.stderr


def cee(*args: str, db: str | None, actor: str | None = None, now: str | None = None,
        json_out: bool = False, expect: int = 0, env: dict[str, str] | None = None
        ) -> tuple[str, str]:
    """Run `cee [--db db] [--as actor] [--now now] [--json] args…`; assert the exit code.

    Returns (stdout, stderr). A success prints nothing on stderr; an error exit (2–6) prints one
    line starting with "error:" on stderr and nothing on stdout; nothing ever prints a traceback.
    """
    return _run(Call(tuple(args), db, actor, now, json_out, expect, tuple((env or {}).items())))


def cee_json(*args: str, db: str | None, **kwargs):
    """`cee --json …`: stdout must be exactly one JSON document; returns it."""
    stdout, _ = cee(*args, db=db, json_out=True, **kwargs)
    return json.loads(stdout)


def cee_many(calls: list[Call]) -> list[tuple[str, str]]:
    """Run independent invocations concurrently; report every failure, not just the first."""
    def attempt(call: Call):
        try:
            return _run(call)
        except AssertionError as failure:
            return failure

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(attempt, calls))
    failures = [str(r) for r in results if isinstance(r, AssertionError)]
    assert not failures, "\n\n".join(failures)
    return results  # type: ignore[return-value]



def snapshot(url: str) -> dict:
    """Every case with its history: what a refused command must leave unchanged."""
    engine = Engine(url)
    try:
        return {c.id: (c.to_dict(), [e.to_dict() for e in engine.history(c.id)])
                for c in engine.list_cases()}
    finally:
        engine.close()


def real_database(path: Path) -> str:
    """A non-simulation SQLite database holding one officer, one importer and one case."""
    url = f"sqlite:///{path}"
    engine = Engine(url)
    try:
        # A real database: a registrar, and the port officer is whoever runs the tests (their
        # PostgreSQL login or OS user), so that the established identity may act as p2704.
        engine.upgrade(admin="registrar")
        engine.add_officer("p2704", name="Port officer", office="2704",
                           login=established_login(engine.db))
        engine.add_importer(ACME, name="Acme Electronics", center="007", trusted=["ctpat"])
        engine.add_entry(E1, importer=ACME, port="2704", entry_date=date(2025, 1, 6),
                         actor=engine.actor("p2704"))
    finally:
        engine.close()
    return url
