"""Suspension from the `cee` command line, in a real subprocess, on SQLite and PostgreSQL:
`cee entry add … --suspended 04 --suspended-from DATE` and `lift_suspension` with the date CBP
received Commerce's notice (19 U.S.C. 1504(d))."""

from __future__ import annotations

import pytest

pytest.register_assert_rewrite("cli_harness")
from cli_harness import ACME, E1, cee, cee_json, isolated_environment  # noqa: E402

from cee_workflow import Engine  # noqa: E402

LQ = "LQ-" + E1.replace("-", "")


@pytest.fixture(scope="session", autouse=True)
def _isolated_env(tmp_path_factory):
    yield from isolated_environment(tmp_path_factory)


def cast(db: str) -> None:
    from conftest import eastern

    from cee_workflow import SettableClock

    engine = Engine(db, clock=SettableClock(eastern("2025-01-13")))
    try:
        engine.add_officer("c007", name="Ana Lee", office="007", unit="validation")
        engine.add_officer("p2704", name="Pete Ortiz", office="2704")
        engine.add_importer(ACME, name="Acme Electronics", center="007")
    finally:
        engine.close()


def test_an_adcvd_entry_added_suspended_and_lifted_on_a_commerce_notice(db_url):
    db = db_url
    cast(db)
    _, err = cee("entry", "add", E1, "--importer", ACME, "--port", "2704", "--date",
                 "2019-04-01", "--suspended-from", "2019-04-01", db=db, actor="p2704",
                 now="2019-04-02", expect=2)
    assert "--suspended-from needs --suspended" in err
    added = cee_json("entry", "add", E1, "--importer", ACME, "--port", "2704", "--date",
                     "2019-04-01", "--suspended", "04", db=db, actor="p2704", now="2019-04-02")
    assert (added["state"], added["data"]["suspended_from"]) == ("suspended", "2019-04-01")
    cee("case", "advance", LQ, "lift_suspension", db=db, actor="c007", now="2025-03-03",
        expect=2)  # the notice's date is required
    lifted = cee_json("case", "advance", LQ, "lift_suspension", "--set",
                      "notice_received_on=2025-02-14", db=db, actor="c007", now="2025-03-03")
    assert lifted["data"]["liquidation_deadline"] == "2025-08-14"
    history, _ = cee("case", "history", LQ, db=db)
    assert "notice_received_on" in history and "2025-02-14" in history
