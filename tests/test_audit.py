"""The per-case hash chain: every event chained, every tampering named (on both databases)."""

from __future__ import annotations

import sqlalchemy as sa

from cee_workflow.workflow.audit import GENESIS, chain_hash


def _story(cast, engine):
    entry = cast.liquidated()
    cast.at("2025-03-03")
    protest = engine.open_case("protest", actor=cast.actor(f"filer:{cast.ACME}"),
                               entries=[entry.entries[0]])
    engine.advance(protest.id, "accept", actor=cast.actor("p2704"), note="received")
    return entry, protest


def _execute(engine, sql, **params):
    with engine.db.begin() as connection:
        connection.execute(sa.text(sql), params)


def test_every_event_is_chained_to_the_previous(cast, engine):
    entry, _ = _story(cast, engine)
    history = engine.history(entry.id)
    prev = GENESIS
    for event in history:
        fields = {**event.to_dict(), "at": event.at}
        assert event.hash == chain_hash(prev, fields)
        prev = event.hash
    assert [e.case_seq for e in history] == [1, 2, 3]
    assert engine.verify_audit().ok
    assert engine.verify_audit(entry.id).events == 3


def test_an_altered_event_is_named(cast, engine):
    entry, protest = _story(cast, engine)
    _execute(engine,
             "UPDATE cee_event SET note = 'nothing to see' WHERE case_id = :c AND case_seq = 2",
             c=protest.id)
    report = engine.verify_audit()
    assert not report.ok
    assert report.broken == (f"case {protest.id} event #2 (seq {engine.history(protest.id)[1].seq})"
                             ": hash does not match the event's content: it was altered",)
    assert engine.verify_audit(entry.id).ok


def test_a_deleted_event_is_named(cast, engine):
    entry, _ = _story(cast, engine)
    _execute(engine, "DELETE FROM cee_event WHERE case_id = :c AND case_seq = 2", c=entry.id)
    report = engine.verify_audit(entry.id)
    assert report.broken and "expected event #2: an event is missing" in report.broken[0]


def test_a_deleted_last_event_is_named(cast, engine):
    entry, _ = _story(cast, engine)
    _execute(engine, "DELETE FROM cee_event WHERE case_id = :c AND case_seq = 3", c=entry.id)
    report = engine.verify_audit(entry.id)
    assert report.broken and "head hash does not match" in report.broken[0]


def test_a_rewritten_actor_is_named(cast, engine):
    entry, _ = _story(cast, engine)
    _execute(engine, "UPDATE cee_event SET actor = 'c005' WHERE case_id = :c AND case_seq = 1",
             c=entry.id)
    assert "event #1" in engine.verify_audit(entry.id).broken[0]
