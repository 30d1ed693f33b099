"""Dated legal acts (states/inputs.py `LegalDate`, REFERENCE.md §6): an act keeps the instant it
was recorded (`at`) and the legal date the law counts from, bounded by today and by the act it
follows; `cee case history` shows both; a bad date exits 2, a date before its predecessor 5."""

from __future__ import annotations

from datetime import date

import pytest

pytest.register_assert_rewrite("cli_harness")
from cli_harness import ACME, Call, cee, cee_json, cee_many, isolated_environment  # noqa: E402
from test_cli_prior_disclosure import advance, registered  # noqa: E402

from cee_workflow.states.base import Facts, LegalDate, data_bound  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def _isolated_env(tmp_path_factory):
    yield from isolated_environment(tmp_path_factory)


MAILED = LegalDate("mailed_on", "the day the request was mailed", citation="19 CFR 174.22(d)",
                   not_before=(data_bound("filed_on", "the filing of the protest"),))


def test_a_legal_date_says_it_defaults_to_today_and_is_bounded_by_its_predecessor():
    assert MAILED.help == "the day the request was mailed (default: today)"
    assert LegalDate("x", "a date", required=True).help == "a date"
    facts = Facts(today=date(2026, 3, 10), data={"filed_on": "2026-03-02"},
                  inputs={"mailed_on": "2026-03-01"})
    (guard,) = MAILED.guards()
    assert guard.check(facts) == ("mailed_on 2026-03-01 is before the filing of the protest on "
                                  "2026-03-02; give a date on or after 2026-03-02")
    assert guard.citation == "19 CFR 174.22(d)"
    on_the_day = Facts(today=date(2026, 3, 10), data={"filed_on": "2026-03-02"})
    assert on_the_day.legal("mailed_on") == date(2026, 3, 10) and guard.check(on_the_day) is None
    assert MAILED.too_late("2026-03-11", date(2026, 3, 10)).startswith(
        "mailed_on 2026-03-11 is after today (2026-03-10)")


def test_cli_records_the_legal_date_beside_the_instant_and_refuses_bad_dates(db_url):
    db = db_url
    registered(db)
    filer = f"filer:{ACME}"
    pd = cee_json("case", "open", "prior_disclosure", "--importer", ACME, "--port", "2704",
                  "--set", "form=written", db=db, actor=filer, now="2025-03-03")["id"]
    advance(db, pd, "perfect", actor=filer, now="2025-03-24")

    def calc(day, expect):
        return Call(("case", "advance", pd, "calculate_loss", "--set", "amount=100",
                     "--set", f"notice_date={day}"), db, actor="c007", now="2025-04-09",
                    expect=expect)

    (_, future), (_, impossible), (_, before) = cee_many(
        [calc("2025-04-10", 2), calc("2025-02-30", 2), calc("2025-03-21", 5)])
    assert "notice_date 2025-04-10 is after today (2025-04-09)" in future
    assert "notice_date must be a date YYYY-MM-DD" in impossible
    assert "notice_date 2025-03-21 is before the perfection of the disclosure on 2025-03-24" \
        in before and "162.74(c)" in before

    advance(db, pd, "calculate_loss", "amount=100", "notice_date=2025-04-07", actor="c007",
            now="2025-04-09T15:00")
    history = cee_json("case", "history", pd, db=db)
    last = history[-1]
    assert last["at"].startswith("2025-04-09T19:00")  # 15:00 Eastern
    assert last["data"]["legal_dates"] == {"notice_date": "2025-04-07"}
    text, _ = cee("case", "history", pd, db=db)
    row = next(line for line in text.splitlines() if "calculate_loss" in line)
    # The instant in Eastern time with its zone (the JSON keeps UTC), the legal date beside it.
    assert "2025-04-09 15:00 EDT" in row and "notice_date=2025-04-07" in row
    shown, _ = cee("case", "show", pd, db=db)
    assert "notice_date=2025-04-07" in shown and "loss_notice_on: 2025-04-07" in shown
    # The tender period counts from the legal date, not the day it was keyed in.
    deadlines = cee_json("case", "show", pd, db=db)["deadlines"]
    assert any(d["last_day"] == "2025-05-07" for d in deadlines if d["status"] == "pending")
