"""The work queue at any office and any size (issue #13 item 6): Headquarters sees the national
requests it alone decides; the queue pages with a keyset cursor like every list — each case once
across the pages, in the order of its nearest legal deadline — and a mistyped cursor is bad
input. Unknown offices named in registry commands are typos (exit 2) with the known codes, and a
login the server refuses has its own diagnosis (exit 4). SQLite and PostgreSQL; the CLI in a
real subprocess."""

from __future__ import annotations

import json
import uuid
from datetime import date

import pytest
import sqlalchemy as sa
from test_protest import who
from test_protest_parties import afr_denied, hq

pytest.register_assert_rewrite("cli_harness")
from cli_harness import ACME, Call, cee, cee_many, isolated_environment  # noqa: E402

from cee_workflow.workflow.worklist import iter_queue, queue_page  # noqa: E402

FRIDAYS = ("2025-01-10", "2025-01-17", "2025-01-24", "2025-01-31", "2025-02-07")


@pytest.fixture(scope="session", autouse=True)
def _isolated_env(tmp_path_factory):
    yield from isolated_environment(tmp_path_factory)


def test_headquarters_queue_holds_the_set_aside_requests_of_every_center(cast, engine):
    """1515(c): only Headquarters acts on a request to set aside a denied further review; its
    queue is national (the request's protest belongs to port 2704 and center 007)."""
    headquarters = hq(cast)
    protest = afr_denied(cast, engine)
    # The set-aside may be taken on a request handed in with it (its date an input), but there
    # is nothing to refuse before a request is on record.
    [before] = iter_queue(engine, headquarters)
    assert (before.case, before.triggers) == (protest.id, ("set_aside_further_review_denial",))
    cast.at("2025-03-20")
    engine.advance(protest.id, "request_set_aside", actor=who(cast, "filer"))
    [item] = iter_queue(engine, headquarters)
    assert item.case == protest.id
    assert set(item.triggers) == {"set_aside_further_review_denial", "deny_set_aside"}
    # The request's 60 days (1515(c)) are the deadline Headquarters works to.
    assert (item.deadline, item.last_day.isoformat()) == ("set_aside_deemed_refusal",
                                                           "2025-05-19")
    # A center officer's queue never offers Headquarters' decision.
    for other in iter_queue(engine, who(cast, "c007")):
        assert not {"set_aside_further_review_denial", "deny_set_aside"} & set(other.triggers)


def test_the_queue_pages_each_case_once_in_deadline_order(cast, engine):
    liquidated = [cast.liquidated(on=day) for day in FRIDAYS]
    cast.at("2025-03-04")
    center = who(cast, "c007")
    whole = [i.case for i in iter_queue(engine, center)]
    assert set(whole) >= {c.id for c in liquidated}
    days = [i.last_day for i in iter_queue(engine, center)]
    assert days == sorted(days, key=lambda d: (d is None, d))
    seen, after = [], None
    while True:
        page = queue_page(engine, center, after=after, limit=2)
        assert len(page.items) <= 2
        seen += [i.case for i in page.items]
        if page.next is None:
            break
        after = page.next
    assert seen == whole


def test_queue_on_the_command_line_pages_and_refuses_a_mistyped_cursor(db_url, cast):
    for day in FRIDAYS[:3]:
        cast.liquidated(on=day)
    calls = [Call(("queue", "--limit", "2"), db_url, actor="c007", now="2025-03-04"),
             Call(("queue", "--all", "--jsonl"), db_url, actor="c007", now="2025-03-04"),
             Call(("queue", "--after", "tomorrow"), db_url, actor="c007", now="2025-03-04",
                  expect=2)]
    (first, _), (every, _), (_, wrong) = cee_many(calls)
    lines = first.splitlines()
    assert lines[0].split("\t")[0] == "case" and len(lines) == 4, first
    assert lines[-1].startswith("… more: --after ")
    cursor = lines[-1].split()[3]
    rest, _ = cee("queue", "--after", cursor, "--jsonl", db=db_url, actor="c007",
                  now="2025-03-04")
    everything = [json.loads(line)["case"] for line in every.splitlines()]
    paged = [row.split("\t")[0] for row in lines[1:3]] + [
        json.loads(line)["case"] for line in rest.splitlines()]
    assert paged == everything and len(everything) == 3
    assert "is not a queue cursor" in wrong and len(wrong.splitlines()) == 1


def test_an_unknown_office_in_a_registry_command_is_a_typo_with_the_known_codes(db_url, cast):
    calls = [
        Call(("officer", "add", "new.one", "--name", "N", "--port", "2705"), db_url,
             actor="admin", expect=2),
        Call(("officer", "add", "new.two", "--name", "N", "--center", "0077",
              "--division", "validation"), db_url, actor="admin", expect=2),
        Call(("importer", "add", "22-2222222BB", "--name", "B", "--center", "011"), db_url,
             actor="admin", expect=2),
        Call(("entry", "add", "11200000997", "--importer", ACME, "--port", "2740",
              "--date", "2025-03-03"), db_url, actor="p2704", now="2025-03-04", expect=2),
    ]
    port, center, importer, entry = (err for _, err in cee_many(calls))
    assert port.startswith("error: --port 2705: no port has that code; did you mean 2709 or "
                           "2704? known ports: "), port
    assert center.startswith("error: --center 0077: no center has that code; did you mean "
                             "007? known centers: 001, 002"), center
    assert importer.startswith("error: --center 011: no center has that code"), importer
    assert entry.startswith("error: --port 2740: no port has that code; did you mean "), entry
    assert all(len(err.splitlines()) == 1 for err in (port, center, importer, entry))


@pytest.mark.postgres
def test_a_login_the_server_refuses_is_its_own_diagnosis(postgres_url):
    url = sa.make_url(postgres_url)
    nobody = f"cee_nobody_{uuid.uuid4().hex[:8]}"
    nologin = f"cee_nologin_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(postgres_url)
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE ROLE "{nologin}" NOLOGIN'))
    try:
        (_, absent), (_, barred) = cee_many([
            Call(("case", "list"), url.set(username=nobody).render_as_string(
                hide_password=False), expect=4),
            Call(("case", "list"), url.set(username=nologin).render_as_string(
                hide_password=False), expect=4),
        ])
    finally:
        with admin.begin() as connection:
            connection.execute(sa.text(f'DROP ROLE "{nologin}"'))
        admin.dispose()
    for err in (absent, barred):
        assert err.startswith("error: the server 127.0.0.1:5432 refused the login ("), err
        assert err.rstrip().endswith("check the user and password in --db")
        assert len(err.splitlines()) == 1
    assert nobody in absent and nologin in barred


def test_an_unknown_office_through_the_api_is_invalid_input(cast, engine):
    from cee_workflow import InvalidInput

    with pytest.raises(InvalidInput, match=r"port 2705 is not registered; did you mean 2709 or "
                                           r"2704\? known ports: .*`cee office add`"):
        engine.add_entry("11200000997", importer=ACME, port="2705",
                         entry_date=date(2025, 3, 3),
                         actor=who(cast, "p2704"))


def test_a_mistyped_trigger_or_officer_is_a_typo_with_did_you_mean(db_url, cast):
    liquidated = cast.liquidated()
    (_, trigger), (_, help_trigger), (_, officer) = cee_many([
        Call(("case", "advance", liquidated.id, "reliquidat"), db_url, actor="c007",
             now="2025-03-04", expect=2),
        Call(("case", "advance", liquidated.id, "--help-trigger", "finalise"), db_url,
             actor="c007", now="2025-03-04", expect=2),
        Call(("officer", "deactivate", "c07"), db_url, actor="admin", expect=2),
    ])
    assert trigger.startswith("error: liquidation has no trigger 'reliquidat'; did you mean "
                              "reliquidate or "), trigger
    assert "triggers: record_entry, " in trigger
    assert "did you mean finalize?" in help_trigger
    assert officer.startswith("error: officer 'c07' is not registered; did you mean c007?")
    assert "officers: c005, c007" in officer


def test_registry_lists_page_each_row_once_and_a_filer_lists_its_own_entries(db_url, cast):
    """The registry is national (some 36 million entries a year): its lists page with a keyset
    cursor like every list, and a filer reads only its own importer's entries."""
    mine = [cast.entry() for _ in range(3)]
    theirs = cast.entry(importer=cast.ZETA)
    calls = [Call(("entry", "list", "--limit", "2"), db_url),
             Call(("entry", "list", "--all", "--jsonl"), db_url),
             Call(("officer", "list", "--limit", "3"), db_url),
             Call(("importer", "list", "--all"), db_url),
             Call(("entry", "list", "--jsonl"), db_url, actor=f"filer:{ACME}"),
             Call(("entry", "list", "--importer", cast.ZETA), db_url, actor=f"filer:{ACME}",
                  expect=4),
             Call(("entry", "show", theirs.entries[0]), db_url, actor=f"filer:{ACME}",
                  expect=3)]
    ((page, _), (every, _), (officers, _), (importers, _), (own, _), (_, refused),
     (_, hidden)) = cee_many(calls)
    everything = [json.loads(line)["number"] for line in every.splitlines()]
    assert len(everything) == 4 and everything == sorted(everything)
    header, first, second, hint = page.splitlines()
    assert hint.startswith("… more: --after ")
    rest, _ = cee("entry", "list", "--after", hint.split()[3], "--jsonl", db=db_url)
    assert [first.split("\t")[0], second.split("\t")[0]] + [
        json.loads(line)["number"] for line in rest.splitlines()] == everything
    assert len(officers.splitlines()) == 5 and officers.splitlines()[-1].startswith("… more: ")
    assert {line.split("\t")[0] for line in importers.splitlines()[1:]} >= {ACME, cast.ZETA}
    assert sorted(json.loads(line)["number"] for line in own.splitlines()) == sorted(
        c.entries[0] for c in mine)
    assert "lists its own entries only" in refused
    assert "sees only the entries it stands on" in hidden and cast.ZETA not in hidden
