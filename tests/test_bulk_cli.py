"""`cee liquidate --bulletin DATE`, end to end in a real subprocess, on SQLite and PostgreSQL.

The summary line and --json document of a run, a re-run that finds nothing left, and the errors:
each one line on stderr with its exit code (2 input, 4 not permitted, 5 rule), writing nothing.
Set-up that is not under test goes through the engine in-process (tests/cli_harness.py).
"""

from __future__ import annotations

import re

import pytest

pytest.register_assert_rewrite("cli_harness")
from cli_harness import Call, cee, cee_json, cee_many, isolated_environment, snapshot  # noqa: E402

BULLETIN = "2025-02-07"


@pytest.fixture(scope="session", autouse=True)
def _isolated_env(tmp_path_factory):
    yield from isolated_environment(tmp_path_factory)


def schedule(cast, count: int, importer: str) -> list[str]:
    officer = cast.actor("c005" if importer == cast.BETA else "c007")
    ids = []
    for _ in range(count):
        cast.at("2025-01-06")
        case = cast.entry(importer=importer)
        cast.engine.advance(case.id, "schedule", actor=officer, inputs={"date": BULLETIN})
        ids.append(case.id)
    return sorted(ids)


def test_liquidate_bulletin_prints_a_summary_and_json_and_a_rerun_does_nothing(db_url, cast):
    ours = schedule(cast, 5, cast.ACME)
    theirs = schedule(cast, 1, cast.BETA)
    out, _ = cee("liquidate", "--bulletin", BULLETIN, "--batch-size", "2", db=db_url,
                 actor="c007", now=BULLETIN)
    assert re.fullmatch(r"bulletin 2025-02-07 of center 007: 5 liquidated, 0 skipped, in "
                        r"[\d.]+ s \([\d,]+ entries/s, 3 batches\)\n", out), out
    states = {c["id"]: c["state"] for c in cee_json("case", "list", db=db_url)}
    assert {states[i] for i in ours} == {"liquidated"} and states[theirs[0]] == "scheduled"

    again = cee_json("liquidate", "--bulletin", BULLETIN, db=db_url, actor="c007", now=BULLETIN)
    assert {k: again[k] for k in ("bulletin", "center", "done", "skipped", "batches")} == {
        "bulletin": BULLETIN, "center": "007", "done": 0, "skipped": [], "batches": 0}
    assert set(again) >= {"seconds", "rows_per_second"}

    theirs_run = cee_json("liquidate", "--bulletin", BULLETIN, "--center", "005", db=db_url,
                          actor="c005", now=BULLETIN)
    assert (theirs_run["done"], theirs_run["center"]) == (1, "005")
    audit = cee_json("audit", "verify", db=db_url)
    assert audit["ok"] and audit["cases"] == 6


def test_liquidate_bulletin_errors_are_one_line_with_their_code_and_write_nothing(db_url, cast):
    schedule(cast, 2, cast.ACME)
    before = snapshot(db_url)
    common = {"db": db_url, "now": BULLETIN}
    cee_many([
        Call(("liquidate", "--bulletin", BULLETIN), actor="p2704", expect=2, **common),
        Call(("liquidate", "--bulletin", BULLETIN, "--center", "007"), actor="p2704",
             expect=4, **common),
        Call(("liquidate", "--bulletin", BULLETIN, "--center", "007"), actor="c005",
             expect=4, **common),
        Call(("liquidate", "--bulletin", "2025-02-06"), actor="c007", expect=5, **common),
        Call(("liquidate", "--bulletin", "2025-02-14"), actor="c007", expect=5, **common),
        Call(("liquidate", "--bulletin", "next friday"), actor="c007", expect=2, **common),
        Call(("liquidate", "--bulletin", BULLETIN, "--batch-size", "0"), actor="c007",
             expect=2, **common),
    ])
    _, err = cee("liquidate", "--bulletin", BULLETIN, "--center", "007", actor="c005",
                 expect=4, **common)
    assert "no jurisdiction over" in err and "center 007" in err
    _, err = cee("liquidate", "--bulletin", "2025-02-06", actor="c007", expect=5, **common)
    assert "is a Thursday" in err and "19 CFR 159.9(c)(1)" in err
    assert snapshot(db_url) == before
