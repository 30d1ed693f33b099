"""A database made by an earlier release keeps working: upgraded, verified and worked on with
today's rulebooks (issue #11 item 6, issue #10: existing cases under the dated rules).

tests/fixtures/db-0003-demo.sql is a SQL dump of a database made at commit e9bd814 (schema
0003: before the dated rules, the legal dates and the cee_ table names) by `cee demo`, with at
2027-04-06 a protest denied the old way (no `summons_from`, no `protested`), an entry with an
open PSC, a protest with further review and a written disclosure. Its cases carry none of the
fields this release's rulebooks add; each must still fold, show its deadlines and move on.
"""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

import pytest

pytest.register_assert_rewrite("cli_harness")
sys.path.insert(0, str(Path(__file__).parent))
from cli_harness import cee, cee_json, isolated_environment  # noqa: E402

DUMP = Path(__file__).parent / "fixtures" / "db-0003-demo.sql"
THEN = "2027-04-07T15:00:00+00:00"


@pytest.fixture(scope="module")
def _isolated_env(tmp_path_factory):
    yield from isolated_environment(tmp_path_factory)


@pytest.fixture
def old_db(_isolated_env, tmp_path) -> str:
    path = tmp_path / "old.db"
    connection = sqlite3.connect(path)
    connection.executescript(DUMP.read_text())
    connection.close()
    return f"sqlite:///{path}"


def test_an_old_database_upgrades_and_its_trail_still_verifies(old_db):
    # Three open cases hold timers the old rulebooks armed (a PSC's lead, no further-review
    # timer, ...): each is re-armed by a recorded SYSTEM event, once. (The old denial's summons
    # window is the same under today's rules: it counts from `denied_on`.)
    assert cee_json("db", "upgrade", db=old_db)["rearmed"] == 3
    assert cee_json("db", "upgrade", db=old_db)["rearmed"] == 0
    status = cee_json("audit", "verify", db=old_db)
    assert status["ok"], status
    rearmed = cee_json("case", "show", "PR-270427000001", db=old_db)["history"][-1]
    assert (rearmed["trigger"], rearmed["actor"]) == ("apply_rulebook", "system")
    assert [t["timer"] for t in rearmed["data"]["armed"]] == ["decision_limit",
                                                              "further_review_decision"]
    cases = cee_json("case", "list", db=old_db)
    assert len(cases) == 15
    for case in cases:  # every case shows, with today's deadline and rules code
        shown = cee_json("case", "show", case["id"], db=old_db)
        assert shown["state"] == case["state"]


def test_an_old_denial_keeps_its_summons_window_counted_from_the_denial(old_db):
    cee("db", "upgrade", db=old_db)
    denied = cee_json("case", "show", "PR-380125000001", db=old_db)
    assert denied["state"] == "denied" and "summons_from" not in denied["data"]
    summons = [d for d in denied["deadlines"] if d["status"] == "pending"]
    # 180 days from the denial of 2027-04-06: Sunday 10-03, rolled to Monday (28 U.S.C. 2636(a))
    assert [(d["timer"], d["last_day"]) for d in summons] == [("summons_window", "2027-10-04")]


def test_old_open_cases_move_on_under_the_new_rules(old_db):
    cee("db", "upgrade", db=old_db)
    # An old protest with further review: the center allows it; the entry reliquidates.
    cee("case", "advance", "PR-270427000001", "accept", db=old_db, actor="pete.ortiz", now=THEN)
    allowed = cee_json("case", "advance", "PR-270427000001", "allow", db=old_db,
                       actor="ana.lee", now=THEN)
    assert allowed["state"] == "allowed"
    # An old PSC and an old disclosure go on; then two years of sweeps find nothing they cannot
    # explain.
    cee("deadlines", "sweep", db=old_db, now=THEN)  # ACE validates the PSC (SYSTEM)
    cee("case", "advance", "PS-270427000001", "take_into_review", db=old_db, actor="ana.lee",
        now=THEN)
    cee("case", "advance", "PD-270427000001", "perfect", db=old_db,
        actor="filer:12-3456789AB", now=THEN)
    for year in ("2027-10-06", "2028-04-06", "2029-04-06"):
        cee("deadlines", "sweep", db=old_db, now=f"{year}T15:00:00+00:00")
    assert cee_json("audit", "verify", db=old_db)["ok"]
    lq = cee_json("case", "show", "LQ-11274000014", db=old_db)
    assert lq["state"] in ("liquidated", "final")
