"""Idempotency keys (issue #14 item 6): `case open` and `entry add` with a request id.

A retry with the same key returns the case the first request opened and files nothing more;
the same key with different content (or by another actor) is refused, exit 2; two retries
racing each other open one case. In the API and in the CLI (a real subprocess), on SQLite and
PostgreSQL.
"""

from __future__ import annotations

from datetime import date
from functools import partial

import pytest
from conftest import entry_number, race

from cee_workflow.workflow.errors import InvalidInput, RequestReused

pytest.register_assert_rewrite("cli_harness")
from cli_harness import cee, cee_json, isolated_environment  # noqa: E402


@pytest.fixture(scope="module", autouse=True)
def _isolated_env(tmp_path_factory):
    yield from isolated_environment(tmp_path_factory)


def _counts(engine):
    cases = engine.list_cases()
    return len(cases), sum(len(engine.history(c.id)) for c in cases)


def test_a_retried_protest_returns_the_first_and_files_no_second(cast, engine):
    liquidated = cast.liquidated()
    cast.at("2025-03-03")
    filer = cast.actor(f"filer:{cast.ACME}")
    first = engine.open_case("protest", actor=filer, entries=list(liquidated.entries),
                             reason="classification", request_id="req-0001")
    before = _counts(engine)
    again = engine.open_case("protest", actor=filer, entries=list(liquidated.entries),
                             reason="classification", request_id="req-0001")
    assert again.id == first.id and again.state == "filed"
    assert _counts(engine) == before
    assert [c.id for c in engine.list_cases(kind="protest")] == [first.id]
    # The key with other content, or by another actor: refused, nothing written.
    with pytest.raises(RequestReused, match="req-0001 was used before for a different"):
        engine.open_case("protest", actor=filer, entries=list(liquidated.entries),
                         reason="valuation", request_id="req-0001")
    with pytest.raises(RequestReused):
        engine.open_case("protest", actor=cast.actor(f"filer:{cast.ZETA}"),
                         entries=list(liquidated.entries), reason="classification",
                         request_id="req-0001")
    assert _counts(engine) == before
    assert engine.verify_audit().ok


def test_a_retried_entry_returns_its_liquidation_case(cast, engine):
    number = entry_number(500)
    add = partial(engine.add_entry, number, importer=cast.ACME, port="2704",
                  entry_date=date(2025, 1, 6), actor=cast.actor("p2704"))
    first = add(request_id="entry-500")
    before = _counts(engine)
    assert add(request_id="entry-500").id == first.id
    assert _counts(engine) == before
    with pytest.raises(RequestReused):
        engine.add_entry(entry_number(501), importer=cast.ACME, port="2704",
                         entry_date=date(2025, 1, 6), actor=cast.actor("p2704"),
                         request_id="entry-500")
    assert _counts(engine) == before
    with pytest.raises(InvalidInput, match="request id is 1 to 128 printable"):
        engine.add_entry(entry_number(502), importer=cast.ACME, port="2704",
                         entry_date=date(2025, 1, 6), actor=cast.actor("p2704"),
                         request_id="bad key\n")


def test_racing_retries_with_one_key_open_one_disclosure(cast, engine):
    cast.at("2025-03-03")
    filer = cast.actor(f"filer:{cast.ACME}")
    calls = [partial(engine.open_case, "prior_disclosure", actor=filer, importer=cast.ACME,
                     port="2704", form="written", request_id="pd-race") for _ in range(4)]
    outcomes = race(calls)
    assert all(kind == "ok" for kind, _ in outcomes), outcomes
    assert len({view.id for _, view in outcomes}) == 1
    assert len(engine.list_cases(kind="prior_disclosure")) == 1
    assert engine.verify_audit().ok


def test_the_cli_retry_returns_the_same_case_and_a_reused_key_exits_2(cast, engine, db_url):
    entry = cast.entry()
    args = ("case", "open", "psc", "--entry", entry.entries[0], "--reason", "value",
            "--request-id", "psc-1")
    filer = f"filer:{cast.ACME}"
    first = cee_json(*args, db=db_url, actor=filer, now="2025-03-03")
    assert cee_json(*args, db=db_url, actor=filer, now="2025-03-03")["id"] == first["id"]
    assert len(engine.list_cases(kind="psc")) == 1
    _, error = cee(*args[:-4], "--reason", "other", "--request-id", "psc-1", db=db_url,
                   actor=filer, now="2025-03-03", expect=2)
    assert "psc-1 was used before for a different request" in error
    number = entry_number(600)
    entry = ("entry", "add", number, "--importer", cast.ACME, "--port", "2704", "--date",
             "2025-03-03", "--request-id", "e-600")
    first = cee_json(*entry, db=db_url, actor="p2704", now="2025-03-03")
    assert cee_json(*entry, db=db_url, actor="p2704", now="2025-03-03")["id"] == first["id"]
    assert len(engine.list_cases()) == 3
    assert engine.verify_audit().ok
