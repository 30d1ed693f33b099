"""The recorded instant of a sweep's events is when each batch was recorded (issue #14 item 6).

A pass used to date every batch with the instant it began: an officer's advance committed
while a long pass ran was then followed, on the same case, by an earlier-dated SYSTEM event,
and `audit verify` flagged the case on a real database (its events' instants went backwards).
Here the clock is moved between two batches by a probe (a subscriber, called after each batch
commits) that also has an officer act on the case the next batch handles; on the bulk path
the probe runs as a batch is about to lock its cases.
"""

from __future__ import annotations

from datetime import timedelta

from sweep_population import postgres_only

from cee_workflow.storage import bulk as bulk_writes
from cee_workflow.workflow import audit_verify


def _timed_verify(engine, monkeypatch):
    """`audit verify` as on a real database: the instants of each case's events checked too
    (a simulation's clock is set by hand, so verify leaves them out there)."""
    monkeypatch.setattr(audit_verify, "is_simulation", lambda db: False)
    return engine.verify_audit()


def test_each_sweep_batch_is_dated_by_its_own_transaction(cast, engine, clock, monkeypatch):
    first, second = cast.entry(), cast.entry()
    cast.at("2025-11-15")  # both deemed-liquidation warnings are due: one per batch below
    began = clock.now()
    officer = cast.actor("c007")
    acted = []

    def officer_acts_between_batches(events):
        if acted or events[0].case_id != first.id:
            return
        acted.append(True)
        clock.advance(timedelta(hours=1))
        engine.advance(second.id, "start_summary_review", actor=officer)

    engine.subscribe(officer_acts_between_batches)
    result = engine.sweep(batch=1)
    assert sorted(result.escalated) == sorted(
        f"{case.id} deemed_liquidation warning" for case in (first, second))
    history = engine.history(second.id)
    assert [e.trigger for e in history[-2:]] == ["start_summary_review", "escalate"]
    assert history[-1].at == began + timedelta(hours=1)  # the second batch's own instant
    assert [e.at for e in engine.history(first.id)][-1] == began
    assert all(a.at <= b.at for a, b in zip(history, history[1:], strict=False))
    report = _timed_verify(engine, monkeypatch)
    assert report.ok, report.broken


@postgres_only
def test_each_bulk_batch_is_dated_once_it_holds_its_cases(cast, engine, clock, monkeypatch):
    # The probe runs as the batch's transaction is about to lock its cases: an officer's
    # advance on one of them commits (an hour later) before the batch holds it.
    case = cast.entry()
    officer = cast.actor("c007")
    def officer_acts_first(real_lock):
        def lock(on, ids, **options):
            if case.id in ids and not probed:
                probed.append(True)
                clock.advance(timedelta(hours=1))
                engine.advance(case.id, "start_summary_review", actor=officer)
            return real_lock(on, ids, **options)
        return lock

    probed: list[bool] = []
    # The batch's one lock: its cases, with their neighbourhood (the global lock order) for a
    # trigger that re-arms other cases.
    monkeypatch.setattr(bulk_writes, "lock_cases", officer_acts_first(bulk_writes.lock_cases))
    result = engine.advance_many("extend", actor=officer, case_ids=[case.id],
                                 inputs={"reason": "01"})
    assert result.done == 1, result
    history = engine.history(case.id)
    assert [e.trigger for e in history[-2:]] == ["start_summary_review", "extend"]
    assert history[-1].at == history[-2].at  # not the instant the pass began, an hour before
    report = _timed_verify(engine, monkeypatch)
    assert report.ok, report.broken
