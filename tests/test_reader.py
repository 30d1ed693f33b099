"""cee_workflow.workflow.Reader: the Core read path gives the views the ORM gives, in one snapshot.

Every case of the demo's database (cases of each kind, events with data, deadlines of every
status and escalation level) is read three ways: by the Reader, by the Engine (whose `list`
still builds its views from ORM rows), and by the ORM queries the engine used before the Reader
existed. The three must agree, value for value and in their JSON form, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import pytest
from sqlmodel import select

from cee_workflow import Engine, InvalidInput, NotFound
from cee_workflow.storage import queries
from cee_workflow.storage.database import transaction
from cee_workflow.storage.models import Deadline, Event
from cee_workflow.workflow.demo import run_demo
from cee_workflow.workflow.reader import Reader
from cee_workflow.workflow.views import CaseView, DeadlineView, EventView


def orm_show(engine: Engine, case_id: str):
    """The case, its history and deadlines as the engine read them through the ORM."""
    with transaction(engine.db, write=False) as session:
        case = queries.get_case(session, case_id)
        entries = queries.entries_of_cases(session, [case_id])[case_id]
        events = session.exec(select(Event).where(Event.case_id == case_id)
                              .order_by(Event.case_seq))
        deadlines = session.exec(select(Deadline).where(Deadline.case_id == case_id)
                                 .order_by(Deadline.due_at, Deadline.id))
        return (CaseView.of(case, entries), [EventView.of(e) for e in events],
                [DeadlineView.of(d) for d in deadlines])


def as_json(shown) -> tuple:
    case, history, deadlines = shown
    return case.to_dict(), [e.to_dict() for e in history], [d.to_dict() for d in deadlines]


@pytest.fixture
def demo_url(db_url) -> str:
    run_demo(db_url, lambda *_: None)
    return db_url


def test_reader_and_engine_give_equal_views_of_every_case(demo_url):
    reader, engine = Reader(demo_url), Engine(demo_url)
    try:
        listed = engine.list_cases()
        assert len(listed) >= 10
        seen_deadlines = []
        for case in listed:
            shown = reader.show(case.id)
            assert shown[0] == case == engine.get(case.id)
            assert shown == orm_show(engine, case.id)
            assert as_json(shown) == as_json(orm_show(engine, case.id))  # offsets too
            assert shown[1] == reader.history(case.id) == engine.history(case.id)
            assert shown[2] == reader.deadlines(case.id) == engine.deadlines(case.id)
            seen_deadlines += shown[2]
        # The demo covers what a light read must get right: nulls, dates, every status.
        assert {d.status for d in seen_deadlines} >= {"pending", "fired", "cancelled", "blocked"}
        assert any(d.next_at is None for d in seen_deadlines)
        assert any(d.action is None for d in seen_deadlines)
        assert any(d.level > 0 for d in seen_deadlines)
    finally:
        reader.close()
        engine.close()


def test_a_missing_case_is_not_found_with_the_engine_s_message(db_url):
    reader = Reader(db_url)
    try:
        for read in (reader.get, reader.history, reader.deadlines, reader.show):
            with pytest.raises(NotFound) as raised:
                read("PR-270425999999")
            assert raised.value.message == (
                "case PR-270425999999 not found; list cases with `cee case list`")
    finally:
        reader.close()


def test_check_schema_refuses_a_database_without_schema(tmp_path):
    reader = Reader(f"sqlite:///{tmp_path / 'empty.db'}")
    try:
        with pytest.raises(InvalidInput, match="has no cee schema; run `cee db upgrade`"):
            reader.check_schema()
    finally:
        reader.close()
