"""The protest rules of issue #10 from the command line, in a subprocess, on SQLite and PostgreSQL:
a surety's protest timed from the demand on its bond, another party's protest consolidated, a
second one by the same party refused (exit 5), and the Headquarters set-aside of a denied
application for further review (19 U.S.C. 1514(c), 1515(c); 19 CFR 174.15)."""

from __future__ import annotations

import pytest

pytest.register_assert_rewrite("cli_harness")
from cli_harness import ACME, E1, cee, cee_json, isolated_environment  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def _isolated_env(tmp_path_factory):
    yield from isolated_environment(tmp_path_factory)


def test_surety_consolidation_and_hq_set_aside_from_the_cli(db_url):
    db = db_url
    cee("office", "add", "HQ", "--kind", "hq", "--name", "Headquarters", db=db)
    officer = cee_json("officer", "add", "hq1", "--name", "HQ attorney", "--hq", db=db)
    assert (officer["office"], officer["unit"]) == ("HQ", None)
    cee("officer", "add", "c007", "--name", "Ana", "--center", "007", "--division",
        "partnership", db=db)
    cee("officer", "add", "p2704", "--name", "Pete", "--port", "2704", db=db)
    cee("importer", "add", ACME, "--name", "Acme", "--center", "007", db=db)
    party = cee_json("party", "add", "bonding", "--name", "Great Bonding Co.", "--role",
                     "surety", db=db)
    assert (party["id"], party["role"], party["importer"]) == ("bonding", "surety", None)
    lq = cee_json("entry", "add", E1, "--importer", ACME, "--port", "2704", "--date",
                  "2025-01-06", "--surety", "bonding", db=db, actor="p2704",
                  now="2025-01-06")["id"]
    cee("case", "advance", lq, "schedule", "--set", "date=2025-02-07", db=db, actor="c007",
        now="2025-01-13")
    cee("case", "advance", lq, "liquidate", db=db, actor="c007", now="2025-02-07")

    # The ordinary period ended 2025-08-06; the surety's runs 180 days from the demand.
    # The surety protests as itself: the filing records the party and role from the actor.
    surety = cee_json("case", "open", "protest", "--entry", E1, "--set",
                      "demand_mailed_on=2025-05-28", "--further-review", db=db,
                      actor="party:bonding", now="2025-11-24")
    assert (surety["data"]["role"], surety["data"]["party"],
            surety["data"]["protest_deadline"]) == ("surety", "bonding", "2025-11-24")
    _, err = cee("case", "open", "protest", "--entry", E1, "--set", "role=surety", "--set",
                 "demand_mailed_on=2025-05-28", db=db, actor="party:bonding",
                 now="2025-11-24", expect=5)
    assert f"already has protest {surety['id']}" in err and "amend" in err
    # The importer claiming the surety's role is refused, one line, exit 5.
    _, err = cee("case", "open", "protest", "--entry", E1, "--set", "role=surety", db=db,
                 actor=f"filer:{ACME}", now="2025-11-24", expect=5)
    assert "not a surety" in err and len(err.strip().splitlines()) == 1

    pr = surety["id"]
    cee("case", "advance", pr, "deny_further_review", db=db, actor="c007", now="2025-12-01")
    _, err = cee("case", "advance", pr, "set_aside_further_review_denial", db=db,
                 actor="c007", now="2025-12-02", expect=4)
    assert "needs HQ authority" in err
    done = cee_json("case", "advance", pr, "set_aside_further_review_denial", "--set",
                    "requested_on=2026-01-30", db=db, actor="hq1", now="2026-02-03")
    assert (done["data"]["set_aside_of"], done["data"]["further_review_denied_on"]) == (
        "2025-12-01", None)
    _, err = cee("case", "advance", pr, "set_aside_further_review_denial", db=db, actor="hq1",
                 now="2026-02-03", expect=5)
    assert "was not denied" in err
