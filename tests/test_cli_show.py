"""`cee case show` on its fast path: a Reader, without the ORM, the rulebooks or the engine.

Real subprocesses, as in tests/test_cli.py. Without --as and --now the command reads through
workflow.Reader; its JSON must be what the engine gives, its errors the engine path's errors,
and the process must not load the modules the fast path exists to avoid (issue #5).
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from cee_workflow import Engine
from cee_workflow.workflow.demo import run_demo

pytest.register_assert_rewrite("cli_harness")
from cli_harness import (  # noqa: E402
    Call,
    _base_env,
    cee,
    cee_json,
    cee_many,
    isolated_environment,
    real_database,
)

ROOT = Path(__file__).resolve().parent.parent
# What a read must not load. Plain `import sqlalchemy` loads none of these (checked below), so
# finding one means the command itself pulled it in.
AVOIDED = ("sqlmodel", "pydantic", "sqlalchemy.orm", "cee_workflow.states",
           "cee_workflow.storage.models", "cee_workflow.storage.queries",
           "cee_workflow.workflow.engine")


@pytest.fixture(scope="session", autouse=True)
def _isolated_env(tmp_path_factory):
    yield from isolated_environment(tmp_path_factory)


@pytest.fixture
def demo_url(db_url) -> str:
    run_demo(db_url, lambda *_: None)
    return db_url


def engine_document(engine: Engine, case_id: str) -> dict:
    """What `cee --json case show` printed when it read through the engine."""
    document = {**engine.get(case_id).to_dict(),
                "history": [e.to_dict() for e in engine.history(case_id)],
                "deadlines": [d.to_dict() for d in engine.deadlines(case_id)],
                "available": []}
    return json.loads(json.dumps(document, default=str))


def test_case_show_json_is_what_the_engine_gives(demo_url):
    engine = Engine(demo_url)
    try:
        ids = [case.id for case in engine.list_cases()]
        expected = [engine_document(engine, case_id) for case_id in ids]
    finally:
        engine.close()
    shown = cee_many([Call(("case", "show", case_id), demo_url, json=True) for case_id in ids])
    assert [json.loads(stdout) for stdout, _ in shown] == expected
    # With --as the engine reads (it has the rulebooks for `available`): the same case.
    with_actor = cee_json("case", "show", ids[-1], db=demo_url, actor="ana.lee")
    assert {**with_actor, "available": []} == expected[-1]


def test_case_show_errors_are_unchanged(tmp_path):
    real = real_database(tmp_path / "real.db")
    empty = f"sqlite:///{tmp_path / 'empty.db'}"
    sqlite3.connect(tmp_path / "empty.db").close()  # a file without the schema
    (_, missing), (_, no_schema), (_, backdated) = cee_many([
        Call(("case", "show", "PR-270425999999"), real, expect=3),
        Call(("case", "show", "PR-270425999999"), empty, expect=2),
        Call(("case", "show", "LQ-11200000013"), real, now="2025-01-06", expect=4),
    ])
    assert missing == ("error: case PR-270425999999 not found; "
                       "list cases with `cee case list`\n")
    assert no_schema == f"error: the database {empty} has no cee schema; run `cee db upgrade`\n"
    assert "only on a simulation database" in backdated


def _loaded_by(code: str) -> list[str]:
    probe = code + f"\nprint(' '.join(m for m in {AVOIDED!r} if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          env=_base_env, cwd=ROOT, check=True, timeout=120)
    return done.stdout.split()


def test_case_show_loads_no_orm_rulebook_or_engine(db_url, cast):
    case = cast.entry()
    assert _loaded_by("import sys, sqlalchemy") == [], "the probe would prove nothing"
    loaded = _loaded_by(
        "import contextlib, io, sys\nfrom cee_workflow import cli\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try:\n"
        f"        cli.main(['--db', {db_url!r}, 'case', 'show', {case.id!r}])\n"
        "    except SystemExit as exit:\n"
        "        assert not exit.code, exit.code")
    assert loaded == []
    stdout, _ = cee("case", "show", case.id, db=db_url)  # and the command did show it
    assert stdout.startswith(f"{case.id}  liquidation  unliquidated")
