"""The forgeries of issue #14, on both databases: each is named, case and event.

Each forgery is made by someone with write access to the database who knows the chain's
recipe. The fold checks (a case row is the fold of its events, its timers those its state arms,
every SYSTEM event explained by a timer, the numbers the database issued) name most of them
alone; the rest — an event rewritten with its chain recomputed, a chain truncated consistently,
a renumbered outbox, timestamps swapped on a simulation database — need a signed checkpoint
taken before the forgery (README: "What the audit proves").
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from cee_workflow.states import LIFECYCLES
from cee_workflow.storage.models import Case, Event
from cee_workflow.workflow.audit import GENESIS, chain_hash
from cee_workflow.workflow.audit_fold import fold_events
from cee_workflow.workflow.checkpoint import keygen


@dataclass
class Story:
    entry: str  # LQ case: #1 record_entry, #2 schedule, #3 liquidate (seq 1-3)
    protest: str  # PR case: #1 file, #2 accept (seq 4-5)
    later: str  # LQ case of another entry: #1 record_entry (seq 6)


def _story(cast, engine) -> Story:
    entry = cast.liquidated()
    cast.at("2025-03-03")
    protest = engine.open("protest", actor=cast.actor(f"filer:{cast.ACME}"),
                          entries=[entry.entries[0]])
    engine.advance(protest.id, "accept", actor=cast.actor("p2704"), note="received")
    later = cast.entry()
    return Story(entry.id, protest.id, later.id)


def _sql(engine, sql, **params):
    with engine.db.begin() as connection:
        connection.execute(sa.text(sql), params)


def _events(session, case_id):
    return list(session.exec(select(Event).where(Event.case_id == case_id)
                             .order_by(Event.case_seq)))


def _recompute(engine, case_id):
    """What a forger who knows the recipe does: chain every event again, fix the head."""
    with Session(engine.db) as session:
        prev = GENESIS
        for event in _events(session, case_id):
            event.prev_hash = prev
            event.hash = prev = chain_hash(prev, event.model_dump())
            session.add(event)
        case = session.get(Case, case_id)
        case.head_hash = prev
        session.add(case)
        session.commit()


def _refold(engine, case_id):
    """Make the case row the fold of its (forged) events."""
    with Session(engine.db) as session:
        case = session.get(Case, case_id)
        events = [e.model_dump() for e in _events(session, case_id)]
        folded = fold_events(case, events, LIFECYCLES[case.kind], [])
        case.state, case.version, case.event_count = folded.state, folded.count, folded.count
        case.data = folded.data
        case.head_hash = events[-1]["hash"]
        session.add(case)
        session.commit()


def edit_and_recompute(engine, s):
    _sql(engine, "UPDATE cee_event SET note = 'never received' WHERE case_id = :c "
         "AND case_seq = 2", c=s.protest)
    _recompute(engine, s.protest)
    return s.protest, 2


def truncate_consistently(engine, s):
    """Remove the protest's acceptance and put back all it changed: row, timers."""
    _sql(engine, "DELETE FROM cee_event WHERE case_id = :c AND case_seq = 2", c=s.protest)
    _refold(engine, s.protest)
    _sql(engine, "DELETE FROM cee_deadline WHERE case_id = :c AND armed_version = 2",
         c=s.protest)
    _sql(engine, "UPDATE cee_deadline SET status = 'pending', settled_at = NULL, "
         "claimed_by = NULL WHERE case_id = :c AND armed_version = 1", c=s.protest)
    return s.protest, 2


def change_state(engine, s):
    _sql(engine, "UPDATE cee_case SET state = 'allowed' WHERE id = :c", c=s.protest)
    return s.protest, 2


def change_data(engine, s):
    with Session(engine.db) as session:
        case = session.get(Case, s.entry)
        case.data = {**case.data, "liquidated_on": "2024-12-31"}
        session.add(case)
        session.commit()
    return s.entry, 3


def cancel_timers(engine, s):
    _sql(engine, "UPDATE cee_deadline SET status = 'cancelled' WHERE case_id = :c "
         "AND status = 'pending'", c=s.entry)
    return s.entry, 3


def forged_system_event(engine, s):
    """A SYSTEM escalation no timer reached, chained and folded as the engine would."""
    with Session(engine.db) as session:
        last = _events(session, s.protest)[-1]
        event = Event(**{**last.model_dump(exclude={"seq"}), "case_seq": 3, "actor": "system",
                         "authority": "SYSTEM", "trigger": "escalate",
                         "from_state": last.to_state, "note": "decision_limit director",
                         "data": {"timer": "decision_limit", "level": 3, "stage": "director"}})
        event.prev_hash = last.hash
        event.hash = chain_hash(last.hash, event.model_dump())
        session.add(event)
        session.commit()
    _refold(engine, s.protest)
    _sql(engine, "UPDATE cee_deadline SET armed_version = 3 WHERE case_id = :c "
         "AND status = 'pending'", c=s.protest)
    return s.protest, 3


def delete_case(engine, s):
    for table, column in (("cee_event", "case_id"), ("cee_deadline", "case_id"),
                          ("cee_case_entry", "case_id"), ("cee_case", "id")):
        _sql(engine, f"DELETE FROM {table} WHERE {column} = :c", c=s.protest)
    return s.protest, 1


def renumber(engine, s):
    """Swap the outbox positions of the liquidation and the protest's filing (each case's own
    events stay in order: seq 1, 2, 4 and 3, 5)."""
    for old, new in ((3, 1000), (4, 3), (1000, 4)):
        _sql(engine, "UPDATE cee_event SET seq = :new WHERE seq = :old", old=old, new=new)
    return s.entry, 3


def swap_timestamps(engine, s):
    with Session(engine.db) as session:
        second, third = _events(session, s.entry)[1:3]
        second.at, third.at = third.at, second.at
        session.add_all([second, third])
        session.commit()
    _recompute(engine, s.entry)
    return s.entry, 3


def naive_edit(engine, s):
    _sql(engine, "UPDATE cee_event SET note = 'nothing to see' WHERE case_id = :c "
         "AND case_seq = 2", c=s.protest)
    return s.protest, 2


def naive_delete(engine, s):
    _sql(engine, "DELETE FROM cee_event WHERE case_id = :c AND case_seq = 2", c=s.entry)
    return s.entry, 3


def naive_actor(engine, s):
    _sql(engine, "UPDATE cee_event SET actor = 'c005' WHERE case_id = :c AND case_seq = 1",
         c=s.entry)
    return s.entry, 1


# (forgery, detected without a checkpoint: True, False, or "sqlite" — by the gap it leaves in
# SQLite's gapless numbering, which names the events but not their case)
FORGERIES = [
    (edit_and_recompute, False),
    (truncate_consistently, "sqlite"),
    (change_state, True),
    (change_data, True),
    (cancel_timers, True),
    (forged_system_event, True),
    (delete_case, True),  # the protest's number was issued: the case is named
    (renumber, False),
    (swap_timestamps, False),  # on a simulation database; a real one names it (below)
    (naive_edit, True),
    (naive_delete, True),
    (naive_actor, True),
]


@pytest.fixture
def signed(tmp_path, engine):
    (tmp_path / "keys").mkdir()
    private, public = keygen(tmp_path / "keys" / "audit.key")
    return private, public, tmp_path / "checkpoints"


def _named(report, case_id, case_seq):
    return [b for b in report.broken if f"case {case_id} event #{case_seq} " in b]


@pytest.mark.parametrize("forge, alone", FORGERIES, ids=[f.__name__ for f, _ in FORGERIES])
def test_each_forgery_is_named(cast, engine, db_url, signed, forge, alone):
    story = _story(cast, engine)
    private, public, out = signed
    checkpoint = engine.checkpoint(str(private), str(out))
    assert engine.verify_audit(checkpoint=checkpoint, public_key=str(public)).ok

    case_id, case_seq = forge(engine, story)

    unsigned = engine.verify_audit()
    if alone is True:
        assert not unsigned.ok and (_named(unsigned, case_id, case_seq)
                                    or any(f"case {case_id}:" in b for b in unsigned.broken)
                                    ), unsigned.broken
    elif alone == "sqlite" and db_url.startswith("sqlite"):
        assert any("are missing" in b for b in unsigned.broken), unsigned.broken
    else:
        assert unsigned.ok, unsigned.broken  # what a checkpoint is for
    report = engine.verify_audit(checkpoint=checkpoint, public_key=str(public))
    assert not report.ok
    assert _named(report, case_id, case_seq), report.broken


def test_swapped_timestamps_are_named_on_a_real_database_without_a_checkpoint(cast, engine):
    story = _story(cast, engine)
    _sql(engine, "DELETE FROM cee_setting WHERE key = 'simulation'")  # as on a real database
    assert engine.verify_audit().ok
    case_id, case_seq = swap_timestamps(engine, story)
    report = engine.verify_audit()
    assert [b for b in _named(report, case_id, case_seq) if "timestamps go backwards" in b]


def test_events_after_a_checkpoint_extend_it(cast, engine, signed):
    story = _story(cast, engine)
    private, public, out = signed
    checkpoint = engine.checkpoint(str(private), str(out))
    engine.advance(story.later, "extend", actor=cast.actor("c007"), inputs={"reason": "01"})
    report = engine.verify_audit(checkpoint=checkpoint, public_key=str(public))
    assert report.ok, report.broken
    assert any("the first 6 case events (to seq 6) are unchanged and present" in p
               for p in report.proven)


def test_without_its_leaves_file_a_checkpoint_still_detects(cast, engine, signed):
    story = _story(cast, engine)
    private, public, out = signed
    checkpoint = engine.checkpoint(str(private), str(out))
    for leaves in out.glob("*.leaves.jsonl.gz"):
        leaves.unlink()
    edit_and_recompute(engine, story)
    report = engine.verify_audit(checkpoint=checkpoint, public_key=str(public))
    assert any("are not those the checkpoint" in b for b in report.broken), report.broken


def test_the_scheduler_signs_a_checkpoint_on_its_interval(cast, engine, signed, clock):
    from datetime import timedelta

    from cee_workflow.workflow.scheduler import Checkpoints, _sweep_job

    _story(cast, engine)
    private, public, out = signed
    checkpoints = Checkpoints(str(out), str(private), every=3600)
    _sweep_job(engine, checkpoints)  # the first at once
    clock.set(clock.now() + timedelta(minutes=59))
    _sweep_job(engine, checkpoints)  # not yet due
    assert len(list(out.glob("checkpoint-*.json"))) == 1
    clock.set(clock.now() + timedelta(minutes=1))
    _sweep_job(engine, checkpoints)
    written = sorted(out.glob("checkpoint-*.json"))
    assert len(written) == 2
    for path in written:
        assert engine.verify_audit(checkpoint=str(path), public_key=str(public)).ok


def test_a_checkpoint_key_is_private_and_never_overwritten(tmp_path, cast, engine, signed):
    import os
    import stat

    from cee_workflow.workflow.errors import InvalidInput, NotPermitted

    private, public, out = signed
    assert stat.S_IMODE(os.stat(private).st_mode) == 0o600
    with pytest.raises(InvalidInput, match="never overwritten"):
        keygen(private)
    os.chmod(private, 0o644)
    with pytest.raises(NotPermitted, match="readable by others"):
        engine.checkpoint(str(private), str(out))


def test_a_checkpoint_altered_or_checked_with_another_key_is_refused(tmp_path, cast, engine,
                                                                      signed):
    import json

    from cee_workflow.workflow.errors import NotPermitted

    _story(cast, engine)
    private, public, out = signed
    path = engine.checkpoint(str(private), str(out))
    _, other = keygen(tmp_path / "keys" / "other.key")
    with pytest.raises(NotPermitted, match="does not verify"):
        engine.verify_audit(checkpoint=path, public_key=str(other))
    with open(path) as handle:
        document = json.load(handle)
    document["checkpoint"]["sources"][0]["size"] -= 1  # a truncation, re-signed by nobody
    with open(path, "w") as handle:
        json.dump(document, handle)
    with pytest.raises(NotPermitted, match="does not verify"):
        engine.verify_audit(checkpoint=path, public_key=str(public))


def test_a_sweep_given_an_eastern_instant_chains_what_it_stores(cast, engine):
    """The instant is hashed in UTC, as the database reads it back (a sweep at midnight
    Eastern once chained '…-04:00' and stored '…+00:00': every such event read as altered)."""
    from datetime import datetime, time

    from cee_workflow.states.calendar import LEGAL_TZ

    story = _story(cast, engine)
    engine.sweep(datetime.combine(datetime(2026, 1, 5).date(), time.min, tzinfo=LEGAL_TZ))
    assert len(engine.history(story.later)) > 1  # the sweep wrote events
    assert engine.verify_audit().ok, engine.verify_audit().broken
