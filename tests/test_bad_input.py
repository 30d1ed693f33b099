"""Bad input never surprises (issue #14, items 2 and 5): look-alike officer ids, the fuzzer's
"unexpected" classes, and the SQLite file's permissions. The fuzz itself, over every command
and option click knows, is tests/test_fuzz_cli.py."""

from __future__ import annotations

import os
import stat

import pytest
from click.testing import CliRunner

from cee_workflow import Engine
from cee_workflow.cli import cee
from cee_workflow.workflow.errors import InvalidInput


@pytest.mark.parametrize("bad", ["c007\n", "c007 ", " c007", "c\x00007", "SYSTEM", "sys",
                                 "c007:x", "", "é007", "c007\u200b"])
def test_look_alike_and_reserved_officer_ids_are_refused(db_url, bad):
    engine = Engine(db_url)
    try:
        with pytest.raises(InvalidInput):
            engine.add_officer(bad, name="Mallory", office="2704")
    finally:
        engine.close()


def test_officer_ids_are_unique_regardless_of_case(db_url):
    engine = Engine(db_url)
    try:
        engine.add_officer("c007", name="Officer", office="2704")
        with pytest.raises(InvalidInput, match="already registered"):
            engine.add_officer("C007", name="Mallory", office="2704")
    finally:
        engine.close()


def test_a_new_sqlite_file_is_readable_by_its_owner_only(tmp_path):
    path = tmp_path / "private.db"
    engine = Engine(f"sqlite:///{path}")
    try:
        engine.upgrade()
    finally:
        engine.close()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def run(args, db):
    result = CliRunner().invoke(cee, ["--db", db, *args], catch_exceptions=True)
    return result.exit_code, result.output


@pytest.fixture
def sim_db(tmp_path):
    url = f"sqlite:///{tmp_path / 'fuzz.db'}"
    assert run(["db", "upgrade", "--simulation"], url)[0] == 0
    return url


@pytest.mark.parametrize("args, code", [
    (["case", "list", "--limit", "99999999999999999999"], 2),
    (["deadlines", "list", "--limit", "99999999999999999999"], 2),
    (["case", "advance", "X", "t", "--version", "99999999999999999999"], 2),
])
def test_the_fuzzers_overflows_are_bad_input(sim_db, args, code):
    exit_code, output = run(args, sim_db)
    assert exit_code == code and "unexpected" not in output


@pytest.mark.parametrize("url", ["nosuchdialect://x/y", "mysql+nosuchdriver://h/d", "::::",
                                 "sqlite+nosuch:///x.db"])
def test_an_unknown_database_dialect_is_bad_input(url):
    exit_code, output = run(["case", "list"], url)
    assert exit_code == 2 and "error: unexpected" not in output, output
    assert "database URL" in output or "not supported" in output, output


def test_a_tender_of_1e400_is_bad_input():
    from cee_workflow.states.base import _parse_amount

    for text in ("1e400", "1e15", "-1", "NaN", "1.001", "9" * 5000):
        with pytest.raises(ValueError, match="amount in dollars and cents"):
            _parse_amount("tender", text)
