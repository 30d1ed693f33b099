"""The sweep against concurrent writers, on SQLite and PostgreSQL (tests/test_concurrency.py
for the officers' races): a sweep racing officers on the same cases, two sweeps at once, and a
sweep that meets a case an officer holds. Every race is decided by the database, not by timing;
no test sleeps or asserts on durations.
"""

from __future__ import annotations

from functools import partial

import pytest
from conftest import race
from test_concurrency import ROUNDS, describe


def test_a_sweep_racing_officers_on_the_same_cases_neither_deadlocks_nor_leaks(cast, engine):
    # The sweep settles a due timer and then locks its case; an officer's advance locks the case
    # and then cancels its pending timers. Whatever the interleaving, each case ends either
    # auto-scheduled then extended, or extended with its auto-schedule timer cancelled — and
    # every racer gets a result or a workflow error, never a raw database error.
    cases = [cast.entry() for _ in range(6)]
    cast.at("2025-11-17")  # 314 days after entry: the auto-schedule timers are due
    officer = cast.actor("c007")
    for rnd in range(ROUNDS):
        if rnd:
            cases = [cast.entry(entry_date="2025-01-06") for _ in range(6)]
        calls = [engine.sweep] + [partial(engine.advance, c.id, "extend", actor=officer,
                                          inputs={"reason": "01"}) for c in cases]
        outcomes = race(calls)
        assert all(kind == "ok" for kind, _ in outcomes), describe(outcomes[1:]) + " / " + \
            repr(outcomes[0])
        for case in cases:
            every = [e.trigger for e in engine.history(case.id)]
            # The sweep may also have recorded the deemed-liquidation warning (due 60 days
            # before the deadline), at most once, and only before the extension moved it.
            history = [t for t in every if t != "escalate"]
            assert history in (["record_entry", "auto_schedule", "extend"],
                               ["record_entry", "extend"]), (case.id, every)
            assert every.count("escalate") <= 1 and every[-1] == "extend", (case.id, every)
            assert engine.get(case.id).state == "extended"
            assert engine.get(case.id).version == len(every)
            statuses = {d.timer: d.status for d in engine.deadlines(case.id)
                        if d.timer == "auto_liquidation_schedule"}
            assert statuses == {"auto_liquidation_schedule": "fired"
                                if "auto_schedule" in history else "cancelled"}
        assert engine.verify_audit().ok


def test_concurrent_sweeps_fire_each_due_timer_exactly_once(cast, engine):
    # Two scheduler instances sweep at the same instant: every due timer is fired by exactly one
    # of them (the other loses the compare-and-set), none twice, none lost.
    cases = [cast.entry() for _ in range(8)]
    # The auto-schedule timers are due, and so are the deemed-liquidation warnings (60 days
    # before 2026-01-07); the deemed liquidations themselves are not.
    cast.at("2025-11-17")
    outcomes = race([engine.sweep, engine.sweep])
    assert all(kind == "ok" for kind, _ in outcomes), describe(outcomes)
    fired = [f for _, result in outcomes for f in result.fired]
    warned = [w for _, result in outcomes for w in result.escalated]
    assert sorted(fired) == sorted(f"{c.id} auto_schedule" for c in cases)
    assert sorted(warned) == sorted(f"{c.id} deemed_liquidation warning" for c in cases)
    assert all(not result.blocked for _, result in outcomes)
    for case in cases:
        triggers = [e.trigger for e in engine.history(case.id)]
        assert sorted(triggers) == ["auto_schedule", "escalate", "record_entry"], triggers
        assert engine.get(case.id).version == 3
    assert engine.verify_audit().ok
    again = engine.sweep()  # nothing left to do
    assert not again.fired and not again.escalated


@pytest.mark.parametrize("db_url", [pytest.param("postgresql", marks=pytest.mark.postgres)],
                         indirect=True)
def test_a_sweep_never_waits_for_a_case_an_officer_holds_beyond_its_own(cast, engine,
                                                                        db_url):
    # The sweep holds the cases it claimed; a fire that would also write another case (an
    # auto-schedule re-arming the entry's open PSC) must not wait for that case while an
    # officer's transaction holds it — that wait, against an officer who locked in the global
    # order and waits for the claimed case, is a deadlock. The row is left pending, reported
    # as deferred, and the next pass fires it; the other rows of its batch fire.
    import sqlalchemy as sa

    entry = cast.entry()
    other = cast.entry()  # due in the same batch; nothing of it is held
    psc = engine.open_case("psc", actor=cast.actor(f"filer:{cast.ACME}"),
                           entries=list(entry.entries), reason="value")
    cast.at("2025-11-17")  # the entry's auto-schedule is due
    holder = sa.create_engine(db_url)
    try:
        with holder.connect() as held, held.begin():
            held.execute(sa.text("SELECT id FROM cee_case WHERE id = :id FOR UPDATE"),
                         {"id": psc.id})
            [(kind, first)] = race([engine.sweep])  # a hung sweep fails here, not hangs
        assert kind == "ok", first
    finally:
        holder.dispose()
    assert first.deferred == 1 and f"{entry.id} auto_schedule" not in first.fired, first
    # The batch's neighbourhoods are locked in one statement; one held case defers its own
    # row only: the rest of the batch fires in the same pass.
    assert f"{other.id} auto_schedule" in first.fired, first
    pending = {d.timer for d in engine.deadlines(entry.id) if d.status == "pending"}
    assert "auto_liquidation_schedule" in pending
    second = engine.sweep()
    assert second.deferred == 0
    assert f"{entry.id} auto_schedule" in second.fired + [b.split(":")[0]
                                                          for b in second.blocked], second
    assert engine.verify_audit().ok
