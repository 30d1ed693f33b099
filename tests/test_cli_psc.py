"""The PSC from the `cee` command line, in a real subprocess, on SQLite and PostgreSQL.

`cee case open psc`, `cee entry review ENTRY --start|--finish`, the sweep validating a PSC, a
liquidation refused over it, and a supervisor's override with its recorded reason. Each refusal
is one `error:` line with its exit code (harness: tests/cli_harness.py) and writes nothing.
"""

from __future__ import annotations

import pytest

pytest.register_assert_rewrite("cli_harness")
from cli_harness import ACME, E1, Call, cee, cee_json, cee_many, isolated_environment  # noqa: E402

from cee_workflow import Engine  # noqa: E402

LQ = "LQ-" + E1.replace("-", "")
FILER = f"filer:{ACME}"


@pytest.fixture(scope="session", autouse=True)
def _isolated_env(tmp_path_factory):
    yield from isolated_environment(tmp_path_factory)


def cast(db: str) -> None:
    """Set-up not under test, in-process: officers, a C-TPAT importer, an entry scheduled for
    the Friday bulletin of 2025-03-07."""
    from datetime import date

    from conftest import eastern

    from cee_workflow import SettableClock

    engine = Engine(db, clock=SettableClock(eastern("2025-01-13")))
    try:
        engine.add_officer("c007", name="Ana Lee", office="007", unit="partnership")
        engine.add_officer("c007-sup", name="Sam Cole", office="007", unit="partnership",
                           role="supervisor")
        engine.add_officer("p2704", name="Pete Ortiz", office="2704")
        engine.add_importer(ACME, name="Acme Electronics", center="007", trusted=["ctpat"])
        engine.add_entry(E1, importer=ACME, port="2704", entry_date=date(2025, 1, 6),
                         actor=engine.actor("p2704"))
        engine.advance(LQ, "schedule", actor=engine.actor("c007"), inputs={"date": "2025-03-07"})
    finally:
        engine.close()


def test_psc_story_from_the_command_line(db_url):
    db = db_url
    cast(db)
    _, err = cee("entry", "review", E1, "--start", db=db, actor="p2704", now="2025-02-03",
                 expect=4)
    assert "center 007 decides" in err
    cee("entry", "review", E1, db=db, actor="c007", now="2025-02-03", expect=2)
    reviewed = cee_json("entry", "review", E1, "--start", "--note", "valuation audit", db=db,
                        actor="c007", now="2025-02-03")
    assert (reviewed["id"], reviewed["data"]["summary_under_review"]) == (LQ, True)

    _, err = cee("case", "open", "psc", "--entry", E1, db=db, actor=FILER, now="2025-02-03",
                 expect=5)
    assert "under CBP review" in err and "PSC not allowed-under CBP Review" in err
    stdout, _ = cee("entry", "review", E1, "--finish", db=db, actor="c007", now="2025-02-04")
    assert "summary review finished" in stdout

    _, err = cee("case", "open", "psc", "--entry", E1, db=db, actor=FILER, now="2025-02-21",
                 expect=5)
    assert "until 2025-02-20 (15 days before the scheduled liquidation date 2025-03-07)" in err
    assert "(19 CFR 101.9(b); 82 FR 50656 (2017))" in err
    psc = cee_json("case", "open", "psc", "--entry", E1, "--reason", "value of assists", db=db,
                   actor=FILER, now="2025-02-20")
    assert (psc["kind"], psc["state"], psc["division"]) == ("psc", "filed", "partnership")
    assert (psc["data"]["last_permitted_day"], psc["data"]["corrects_version"]) == (
        "2025-02-20", 1)

    stdout, _ = cee("deadlines", "sweep", db=db, now="2025-02-20")
    assert f"fired      {psc['id']} validate" in stdout
    # Only a PSC in team review holds the bulletin.
    cee("case", "advance", psc["id"], "take_into_review", db=db, actor="c007", now="2025-02-21")

    refusals = cee_many([
        Call(("case", "advance", LQ, "liquidate"), db, "c007", "2025-03-07", expect=5),
        Call(("case", "advance", LQ, "liquidate_over_psc", "--set", "reason=x"), db, "c007",
             "2025-03-07", expect=4),
        Call(("case", "advance", LQ, "liquidate_over_psc"), db, "c007-sup", "2025-03-07",
             expect=2),
    ])
    assert f"correction {psc['id']} is in team review" in refusals[0][1]
    assert "needs a supervisor" in refusals[1][1]
    assert "needs reason" in refusals[2][1]

    done = cee_json("case", "advance", LQ, "liquidate_over_psc", "--set",
                    "reason=assists documented; importer may protest", db=db,
                    actor="c007-sup", now="2025-03-07")
    assert (done["state"], done["data"]["liquidated_over_psc"]) == ("liquidated", [psc["id"]])
    shown = cee_json("case", "show", psc["id"], db=db, actor="c007", now="2025-03-10")
    # Closed by the liquidation, by SYSTEM, in the same transaction; the remedy is a protest.
    assert (shown["state"], shown["data"]["closed_by"]) == ("closed_by_liquidation", LQ)
    assert shown["available"] == []
    listed = cee_json("case", "list", "--kind", "psc", db=db)
    assert [c["id"] for c in listed] == [psc["id"]]


def test_a_psc_accepted_after_team_review_raises_the_summary_version(db_url):
    db = db_url
    cast(db)
    psc = cee_json("case", "open", "psc", "--entry", E1, db=db, actor=FILER, now="2025-02-03")
    cee("deadlines", "sweep", db=db, now="2025-02-03")
    cee("case", "advance", psc["id"], "take_into_review", db=db, actor="c007", now="2025-02-04")
    accepted = cee_json("case", "advance", psc["id"], "accept_changes", db=db, actor="c007",
                        now="2025-02-05")
    assert (accepted["state"], accepted["data"]["summary_version"]) == ("accepted", 2)
    stdout, _ = cee("case", "show", psc["id"], db=db)
    assert "summary_version: 2" in stdout
