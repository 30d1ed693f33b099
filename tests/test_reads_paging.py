"""Lists at national scale: keyset pages return every row exactly once while rows are being
inserted, a list of more than 65,535 cases works (no parameter per row), and on PostgreSQL each
page is an index range scan (both databases unless marked)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import sqlalchemy as sa
from cli_harness import cee

from cee_workflow.storage import reads

MANY = 70_000  # more than the 65,535 parameters a statement may bind


def _is_postgres(engine) -> bool:
    return engine.db.dialect.name == "postgresql"


def _clone_cases(engine, template: str, count: int, prefix: str, start: int = 0) -> None:
    """`count` copies of the case `template` (ids prefix + a zero-padded number), naming its
    entry — written set-based, one statement per table."""
    series = ("generate_series(CAST(:start AS integer), CAST(:stop AS integer)) AS n"
              if _is_postgres(engine) else
              "(WITH RECURSIVE s(n) AS (SELECT :start UNION ALL SELECT n + 1 FROM s "
              "WHERE n < :stop) SELECT n FROM s)")
    number = ("lpad(n::text, 8, '0')" if _is_postgres(engine) else
              "substr('00000000' || n, -8, 8)")
    columns = ("kind, state, version, importer, port, center, division, escalation, data, "
               "head_hash, event_count, opened_at, updated_at, scheduled_for")
    params = {"t": template, "start": start, "stop": start + count - 1}
    with engine.db.begin() as connection:
        connection.execute(sa.text(
            f"INSERT INTO cee_case (id, {columns}) SELECT :p || {number}, {columns} "
            f"FROM cee_case, {series} WHERE cee_case.id = :t"), {**params, "p": prefix})
        connection.execute(sa.text(
            f"INSERT INTO cee_case_entry (case_id, entry) SELECT :p || {number}, entry "
            f"FROM cee_case_entry, {series} WHERE case_id = :t"), {**params, "p": prefix})


def test_a_list_of_more_than_65535_cases_is_read_whole_and_streamed(cast, engine, db_url):
    template = cast.entry()
    _clone_cases(engine, template.id, MANY, "LQ-X")
    listed = engine.list_cases(kind="liquidation", center="007")
    assert len(listed) == MANY + 1
    assert listed[0].entries == template.entries == listed[-1].entries
    assert [c.id for c in listed] == sorted(c.id for c in listed)
    # The command line, piped: every case, one JSON line each, in bounded memory.
    out, _ = cee("case", "list", "--center", "007", "--jsonl", db=db_url)
    lines = out.splitlines()
    assert len(lines) == MANY + 1 and json.loads(lines[-1])["id"] == f"LQ-X{MANY - 1:08d}"


def test_case_pages_return_every_case_exactly_once_while_cases_are_added(cast, engine):
    template = cast.entry()
    _clone_cases(engine, template.id, 500, "LQ-M", start=0)
    before = {c.id for c in engine.iter_cases()}
    seen: list[str] = []
    after, added = None, 0
    while True:
        page = engine.case_page(after=after, limit=37)
        seen.extend(c.id for c in page.items)
        # Between two pages another writer adds cases before and after the cursor.
        _clone_cases(engine, template.id, 3, "LQ-A", start=added)
        _clone_cases(engine, template.id, 3, "LQ-Z", start=added)
        added += 3
        if page.next is None:
            break
        after = page.next
    assert len(seen) == len(set(seen))  # none twice
    assert before <= set(seen)  # every case that was there from the start
    assert all(not s.startswith("LQ-A") for s in seen)  # behind the cursor: not shown


def test_deadline_pages_return_every_deadline_exactly_once_while_deadlines_are_added(
        cast, engine):
    for _ in range(4):
        cast.entry()
    table = "cee_deadline"
    copy = (f"INSERT INTO {table} (case_id, timer, kind, state, armed_version, last_day, "
            "due_at, warn_at, action, citation, status, level, next_at) SELECT case_id, timer, "
            "kind, state, armed_version, last_day, due_at + :shift, warn_at, action, citation, "
            f"'pending', 0, next_at FROM {table} WHERE status = 'pending' AND id <= :top")
    with engine.db.connect() as connection:  # copies of the rows the cases armed, no more
        top = connection.execute(sa.text(f"SELECT max(id) FROM {table}")).scalar()

    def add(days: int) -> None:
        with engine.db.begin() as connection:
            if _is_postgres(engine):
                connection.execute(sa.text(copy.replace(":shift", f"interval '{days} days'")),
                                   {"top": top})
            else:
                connection.execute(sa.text(
                    copy.replace("due_at + :shift", "strftime('%Y-%m-%d %H:%M:%S', due_at, "
                                 f"'{days} days') || '.000000'")),
                    {"top": top})

    for days in range(1, 5):
        add(days * 3)
    before = {(d.case_id, d.timer, d.due_at) for d in engine.iter_deadlines()}
    keys: list[tuple] = []
    after, shift = None, 0
    while True:
        page = engine.deadline_page(after=after, limit=5)
        keys.extend((d.case_id, d.timer, d.due_at) for d in page.items)
        shift += 1
        add(-400 - shift)  # due before the cursor
        add(400 + shift)  # due after it
        if page.next is None:
            break
        after = page.next
    originals = [k for k in keys if k in before]
    assert sorted(originals) == sorted(before)  # each once
    assert [k[2] for k in keys] == sorted(k[2] for k in keys)  # soonest first throughout


def test_a_bad_cursor_is_one_line_saying_what_to_pass(cast, db_url):
    cast.entry()
    _, err = cee("deadlines", "list", "--after", "yesterday", db=db_url, expect=2)
    assert "--after 'yesterday' is not a cursor" in err


def test_a_page_says_how_to_see_more(cast, db_url):
    for _ in range(3):
        cast.entry()
    out, _ = cee("case", "list", "--limit", "2", db=db_url)
    rows = out.splitlines()
    assert len(rows) == 5 and rows[-1].startswith("… more: --after LQ-")
    cursor = rows[-1].split()[3]
    rest, _ = cee("case", "list", "--after", cursor, db=db_url)
    assert len(rest.splitlines()) == 3  # header, rule, the third case


postgres_only = pytest.mark.parametrize(
    "db_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True)


@postgres_only
def test_each_page_is_an_index_range_scan(cast, engine):
    case = cast.entry()
    _clone_cases(engine, case.id, 2000, "LQ-P")
    due = engine.deadlines(case.id)[0].due_at
    statements = [
        reads.case_page_statement(after="LQ-P00001000", limit=50),
        reads.case_page_statement(after="LQ-P00001000", limit=50, kind="liquidation",
                                  state="unliquidated", center="007"),
        reads.deadline_page_statement(after=(due, 1), limit=50),
        reads.deadline_page_statement(after=(due, 1), limit=50, before=due + timedelta(1)),
    ]
    with engine.db.connect() as connection:
        connection.exec_driver_sql("ANALYZE")
        connection.exec_driver_sql("SET enable_seqscan = off")
        for statement in statements:
            compiled = statement.compile(connection, compile_kwargs={"literal_binds": True})
            plan = "\n".join(connection.exec_driver_sql(f"EXPLAIN {compiled}").scalars())
            assert "Index" in plan and "Seq Scan" not in plan and "Sort" not in plan.split(
                "->")[1], plan
