"""Bulk transitions and the Friday bulletin (workflow/bulk.py), on SQLite and PostgreSQL.

What is covered: a bulk run writes exactly the rows single advances write — case rows, events
with their hashes, deadlines, compared on a clone of the same database —; an interrupted
bulletin leaves whole batches and nothing else, and its re-run finishes the job exactly once;
the audit chain verifies after bulk runs; authority and jurisdiction hold in bulk; a case that
changed since it was selected, or that its guards refuse, is skipped and reported; single
`advance` issues no more statements than it needs. Correctness only: no timing is asserted.
"""

from __future__ import annotations

import os
import shutil
from collections import Counter
from contextlib import contextmanager
from datetime import date

import pytest
import sqlalchemy as sa

from cee_workflow import Engine, InvalidInput, NotPermitted, RuleViolation
from cee_workflow.storage import single as single_path
from cee_workflow.storage.database import create_db_engine, normalize_url
from cee_workflow.storage.models import Case, Deadline, Event
from cee_workflow.workflow.bulk import Selection

BULLETIN = "2025-02-07"  # a Friday
DAY = date.fromisoformat(BULLETIN)
ENTERED = "2025-01-06"


class Interrupted(Exception):
    """Stands for a crash between two batches."""


def scheduled(cast, count: int, *, on: str = BULLETIN, importers=None, entry_date=ENTERED,
              by: str = "c007") -> list[str]:
    """`count` entries recorded on `entry_date` and scheduled for the bulletin `on`."""
    importers = importers or [cast.ACME, cast.ZETA]
    ids = []
    for n in range(count):
        cast.at(ENTERED)
        case = cast.entry(importer=importers[n % len(importers)], entry_date=entry_date)
        cast.engine.advance(case.id, "schedule", actor=cast.actor(by), inputs={"date": on})
        ids.append(case.id)
    return sorted(ids)


def tables(url: str) -> dict[str, list[dict]]:
    """Every case, event and deadline row, in key order: what two runs must agree on."""
    engine = create_db_engine(url)
    try:
        with engine.connect() as connection:
            # An event's `txid` (its stream position on PostgreSQL) is the writing transaction's
            # id, which differs between any two runs: what they must agree on is everything else.
            return {model.__tablename__.removeprefix("cee_"): [
                {k: v for k, v in row.items() if k != "txid"} for row in connection.execute(
                    sa.select(model.__table__).order_by(*model.__table__.primary_key.columns)
                ).mappings()] for model in (Case, Event, Deadline)}
    finally:
        engine.dispose()


@pytest.fixture
def twin(db_url, engine, tmp_path):
    """`make()` clones the test database as it is now (file copy, or a PostgreSQL template)."""
    made = []

    def make() -> str:
        engine.db.dispose()  # a template database must have no open connection
        if db_url.startswith("sqlite"):
            path = tmp_path / "twin.db"
            shutil.copy(db_url.removeprefix("sqlite:///"), path)
            return f"sqlite:///{path}"
        source = sa.make_url(db_url)
        name = f"{source.database}_twin"
        admin = sa.create_engine(normalize_url(os.environ["CEE_TEST_DATABASE_URL"]),
                                 isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
            connection.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE "{source.database}"')
        admin.dispose()
        made.append(name)
        return source.set(database=name).render_as_string(hide_password=False)

    yield make
    if made:
        admin = sa.create_engine(normalize_url(os.environ["CEE_TEST_DATABASE_URL"]),
                                 isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            for name in made:
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


# --- bulk and single paths write the same rows ---------------------------------------------


def test_bulletin_writes_exactly_the_rows_single_liquidations_write(cast, engine, clock, twin,
                                                                    db_url):
    ids = scheduled(cast, 7)
    escalated = ids[2]  # one case whose deemed-liquidation warning went out: the level stays
    cast.at("2025-12-01")
    engine.advance(escalated, "extend", actor=cast.actor("c007"), inputs={"reason": "01"})
    engine.advance(escalated, "schedule", actor=cast.actor("c007"),
                   inputs={"date": "2026-12-04"})
    cast.at(BULLETIN)
    other = twin()

    result = engine.liquidate_bulletin(DAY, actor=cast.actor("c007"), batch_size=3)
    single = Engine(other, clock=clock)
    try:
        for case_id in ids:
            if case_id != escalated:
                single.advance(case_id, "liquidate", actor=single.actor("c007"))
    finally:
        single.close()

    assert (result.done, result.skipped, result.batches) == (6, [], 2)
    bulk_rows, single_rows = tables(db_url), tables(other)
    assert bulk_rows == single_rows  # cases (data, version, head hash), events, deadlines
    liquidated = [c for c in bulk_rows["case"] if c["state"] == "liquidated"]
    assert sorted(c["id"] for c in liquidated) == [i for i in ids if i != escalated]
    assert all(c["data"]["liquidation_type"] == "1" for c in liquidated)
    assert engine.verify_audit().ok


def test_advance_many_by_ids_matches_single_advances_for_a_timer_carrying_trigger(
        cast, engine, clock, twin, db_url):
    # extend: from scheduled, the deemed-liquidation deadline moves; the bulletin timer ends.
    ids = scheduled(cast, 5)
    cast.at("2025-01-08")
    other = twin()
    reason = {"reason": "02"}
    result = engine.advance_many("extend", actor=cast.actor("c007"), case_ids=reversed(ids),
                                 inputs=reason, note="importer asked", batch_size=2)
    single = Engine(other, clock=clock)
    try:
        for case_id in reversed(ids):  # the bulk run's order: batches in the order given
            single.advance(case_id, "extend", actor=single.actor("c007"), inputs=reason,
                           note="importer asked")
    finally:
        single.close()
    assert (result.done, result.batches) == (5, 3)
    bulk_rows, single_rows = tables(db_url), tables(other)
    assert bulk_rows["case"] == single_rows["case"]
    # Within a batch the bulk path writes in id order, so serial keys (event seq, deadline id)
    # may differ from a loop over the ids as given: compare everything else, case by case.
    for table, key in (("event", "seq"), ("deadline", "id")):
        assert without(bulk_rows[table], key) == without(single_rows[table], key)


def without(rows: list[dict], key: str) -> list[dict]:
    stripped = [{k: v for k, v in row.items() if k != key} for row in rows]
    return sorted(stripped, key=lambda r: sorted((k, str(v)) for k, v in r.items()))


# --- interruption and re-run -----------------------------------------------------------------


def test_an_interrupted_bulletin_leaves_whole_batches_and_the_rerun_completes_it(cast, engine):
    ids = scheduled(cast, 10)
    cast.at(BULLETIN)
    heard: list[list] = []
    engine.subscribe(lambda events: heard.append(events))
    calls = []

    def crash_after_two_batches(done: int, total: int) -> None:
        calls.append((done, total))
        if len(calls) == 2:
            raise Interrupted

    with pytest.raises(Interrupted):
        engine.liquidate_bulletin(DAY, actor=cast.actor("c007"), batch_size=3,
                                  progress=crash_after_two_batches)
    assert calls == [(3, 10), (6, 10)]
    states = {c.id: c.state for c in engine.list_cases(kind="liquidation")}
    assert [i for i in ids if states[i] == "liquidated"] == ids[:6]  # two whole batches
    assert [i for i in ids if states[i] == "scheduled"] == ids[6:]  # the rest untouched
    for case_id in ids[6:]:
        assert [e.trigger for e in engine.history(case_id)] == ["record_entry", "schedule"]
        assert {d.timer for d in engine.deadlines(case_id) if d.status == "pending"} == {
            "bulletin_posting", "deemed_liquidation"}
    assert [len(events) for events in heard] == [3, 3]  # each batch heard after its commit

    again = engine.liquidate_bulletin(DAY, actor=cast.actor("c007"), batch_size=3)
    assert (again.done, again.skipped, again.batches) == (4, [], 2)
    for case_id in ids:
        history = engine.history(case_id)
        assert Counter(e.trigger for e in history)["liquidate"] == 1
        assert engine.get(case_id).version == len(history) == 3
        pending = [d for d in engine.deadlines(case_id) if d.status == "pending"]
        assert [d.timer for d in pending] == ["finalization"]
    assert engine.verify_audit().ok

    third = engine.liquidate_bulletin(DAY, actor=cast.actor("c007"), batch_size=3)
    assert (third.done, third.skipped, third.batches) == (0, [], 0)


# --- authority and jurisdiction --------------------------------------------------------------


def test_bulk_enforces_authority_and_jurisdiction_before_writing_anything(cast, engine):
    ours = scheduled(cast, 3)
    theirs = scheduled(cast, 2, importers=[cast.BETA], by="c005")  # center 005
    cast.at(BULLETIN)
    before = {c.id: c.version for c in engine.list_cases()}

    with pytest.raises(NotPermitted, match="no jurisdiction over .*a case of center 007"):
        engine.liquidate_bulletin(DAY, actor=cast.actor("c005"), center="007")
    with pytest.raises(NotPermitted, match="holds port authority — center 007 decides"):
        engine.liquidate_bulletin(DAY, actor=cast.actor("p2704"), center="007")
    with pytest.raises(InvalidInput, match="--center"):
        engine.liquidate_bulletin(DAY, actor=cast.actor("p2704"))
    # By ids: 005's cases come first and would be allowed; 007's refuse the whole run.
    with pytest.raises(NotPermitted, match=r"no jurisdiction over LQ-\d+, a case of center 007"):
        engine.advance_many("liquidate", actor=cast.actor("c005"), case_ids=theirs + ours,
                            batch_size=1)
    with pytest.raises(NotPermitted, match="holds port authority"):
        engine.advance_many("liquidate", actor=cast.actor("p2704"), case_ids=ours)
    assert {c.id: c.version for c in engine.list_cases()} == before

    done = engine.liquidate_bulletin(DAY, actor=cast.actor("c005"))  # its own center's
    assert done.done == 2 and {engine.get(i).state for i in theirs} == {"liquidated"}
    assert {engine.get(i).state for i in ours} == {"scheduled"}
    assert engine.verify_audit().ok


def test_the_bulletin_runs_on_a_friday_that_has_come(cast, engine):
    scheduled(cast, 1)
    cast.at("2025-02-06")
    with pytest.raises(RuleViolation, match="liquidates on that date"):
        engine.liquidate_bulletin(DAY, actor=cast.actor("c007"))
    with pytest.raises(RuleViolation, match="is a Thursday"):
        engine.liquidate_bulletin(date(2025, 2, 6), actor=cast.actor("c007"))


# --- skipped, not failed -----------------------------------------------------------------------


def test_cases_changed_since_selection_or_refused_by_a_guard_are_skipped_and_reported(
        cast, engine):
    ids = scheduled(cast, 6)
    late = scheduled(cast, 1, entry_date="2024-02-09")[0]  # its 1-year period ends 2025-02-09
    everyone = sorted([*ids, late])
    moved = everyone[-1] if everyone[-1] != late else everyone[-2]
    cast.at("2025-02-10")  # the Monday after: `late` is past its liquidation deadline

    def reschedule_between_batches(done: int, total: int) -> None:
        if done == 2:  # after the first batch: an officer moves a case of a later batch
            engine.advance(moved, "extend", actor=cast.actor("c007"), inputs={"reason": "01"})
            engine.advance(moved, "schedule", actor=cast.actor("c007"),
                           inputs={"date": "2025-02-14"})

    result = engine.liquidate_bulletin(DAY, actor=cast.actor("c007"), batch_size=2,
                                       progress=reschedule_between_batches)
    skipped = dict(result.skipped)
    assert set(skipped) == {moved, late}
    assert skipped[moved] == "was rescheduled for 2025-02-14"
    assert "deemed liquidated by operation of law" in skipped[late]
    assert "19 U.S.C. 1504(a)" in skipped[late]
    assert result.done == 5
    assert engine.get(moved).state == engine.get(late).state == "scheduled"
    assert result.to_dict()["skipped"][0].keys() == {"case", "why"}

    wrong_state = engine.advance_many("liquidate", actor=cast.actor("c007"),
                                      case_ids=[ids[0], "LQ-00000000000"])
    assert wrong_state.done == 0
    assert dict(wrong_state.skipped) == {
        ids[0]: "is liquidated; liquidate is possible only from scheduled",
        "LQ-00000000000": "not found"}
    assert engine.verify_audit().ok


def test_a_selection_names_kind_state_center_and_day(cast, engine):
    ids = scheduled(cast, 3)
    others = scheduled(cast, 2, on="2025-02-14")
    cast.at("2025-02-14")
    selection = Selection("liquidation", ("scheduled",), center="007",
                          scheduled_for=date(2025, 2, 14))
    result = engine.advance_many("liquidate", actor=cast.actor("c007"), case_ids=selection,
                                 inputs={"type": "2"})
    assert result.done == 2
    assert {engine.get(i).data["liquidation_type"] for i in others} == {"2"}
    assert {engine.get(i).state for i in ids} == {"scheduled"}


# --- the single path's statements ---------------------------------------------------------------


@contextmanager
def driver_statements(engine):
    """The first word of every statement the database driver executes inside the block (the
    single path runs prepared statements on the driver's cursor, past SQLAlchemy's events)."""
    seen: list[str] = []
    touched = []

    def record(text) -> None:
        word = str(text).split()[0].upper()
        if word not in ("BEGIN", "COMMIT", "ROLLBACK"):
            seen.append(word)

    def install(dbapi_connection, _record, _proxy):
        touched.append(dbapi_connection)
        if engine.db.dialect.name == "sqlite":
            dbapi_connection.set_trace_callback(record)
            return
        import psycopg

        class Recording(psycopg.Cursor):
            def execute(self, query, params=None, **kw):
                record(query)
                return super().execute(query, params, **kw)

            def executemany(self, query, params_seq, **kw):
                record(query)
                return super().executemany(query, params_seq, **kw)

        dbapi_connection.cursor_factory = Recording

    sa.event.listen(engine.db, "checkout", install)
    try:
        yield seen
    finally:
        sa.event.remove(engine.db, "checkout", install)
        for connection in touched:
            if engine.db.dialect.name == "sqlite":
                connection.set_trace_callback(None)
            else:
                import psycopg

                connection.cursor_factory = psycopg.Cursor


def test_a_single_advance_issues_only_the_statements_it_needs(cast, engine):
    case_id = scheduled(cast, 1)[0]
    cast.at(BULLETIN)
    officer = cast.actor("c007")
    with driver_statements(engine) as statements:
        shown = engine.advance(case_id, "liquidate", actor=officer)
    assert shown.state == "liquidated" and shown.version == 3
    assert shown == engine.get(case_id)  # what it returns is what it wrote
    # Read the case with its entries, their liquidation cases and every case naming them (one
    # statement; on PostgreSQL after locking the case row: tests/test_concurrency.py says why);
    # cancel the old deadlines (returning their levels); compare-and-set the case; the event;
    # the new deadline. The raw-SQL floor issues the same five. Before them, in the same
    # transaction, one look-up: the officer is still active (`cee officer deactivate`).
    lock = ["SELECT"] if engine.db.dialect.name == "postgresql" else []
    assert statements == ["SELECT", *lock, "SELECT", "UPDATE", "UPDATE", "INSERT", "INSERT"]


def test_the_single_path_reports_database_errors_as_sqlalchemy_does(cast, engine):
    """A prepared statement's driver error arrives as the same sqlalchemy.exc class a Core
    execute raises (the CLI turns those into one line), and leaves nothing written."""
    case_id = scheduled(cast, 1)[0]
    first = engine.history(case_id)[0]
    row = {**first.to_dict(), "at": first.at, "prev_hash": ""}
    del row["seq"]
    before = engine.history(case_id)
    with pytest.raises(sa.exc.IntegrityError), engine.db.begin() as conn:
        single_path.insert_event(conn, row)  # the case already has event 1: (case_id, case_seq)
    with pytest.raises(sa.exc.StatementError, match="naive datetime"), \
            engine.db.begin() as conn:  # a value its column type refuses
        single_path.insert_event(conn, {**row, "case_seq": 99, "at": first.at.replace(
            tzinfo=None)})
    with pytest.raises(RuntimeError, match="inside the caller's transaction"), \
            engine.db.connect() as conn:
        single_path.insert_event(conn, {**row, "case_seq": 99})
    assert engine.history(case_id) == before


def test_the_facts_read_with_the_case_are_the_facts_read_on_their_own(db_url):
    """The single advance reads an entry's facts in the case's own statement; for every case of
    the demo (every kind, open and closed protests and PSCs, entries under review), they equal
    what `entry_facts` reads in statements of its own."""
    from cee_workflow.storage.database import transaction
    from cee_workflow.workflow.demo import run_demo
    from cee_workflow.workflow.entry_facts import entry_facts, facts_from_naming

    cases = run_demo(db_url, lambda *_: None)
    assert {c.kind for c in cases} == {"liquidation", "protest", "psc", "prior_disclosure"}
    engine = Engine(db_url)
    seen = []
    try:
        with transaction(engine.db, write=False) as session:
            for shown in cases:
                case, entries, naming = single_path.case_for_transition(session, shown.id)
                assert case.id == shown.id and case.version == shown.version
                assert entries == [e.replace("-", "") for e in shown.entries]
                if entries:
                    facts = facts_from_naming(entries, naming)
                    assert facts == entry_facts(session, entries)
                    seen += facts
            assert single_path.case_for_transition(session, "LQ-00000000000") is None
    finally:
        engine.close()
    assert any(f.open_protests for f in seen)  # (open PSCs: tests/test_psc.py, by their guard)
