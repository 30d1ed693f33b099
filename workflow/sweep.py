"""One scheduler pass: escalate overdue items and carry out what happens by operation of law.

A pass handles the deadlines that existed when it began and whose next stage is due, in batches;
each batch is one transaction. Rows are claimed by locking their cases (PostgreSQL: FOR UPDATE
SKIP LOCKED, so concurrent sweeps share the work; SQLite serializes writers) — case before
deadline, the order every advance uses. Each row is settled by compare-and-set, so no two sweeps
act on it twice; a row whose case has left the state that armed it is cancelled, never fired.
Fires that touch only their own case are written together, set-based, in the order they fell
due (workflow/sweep_fires.py); everything else — escalations, a case with two rows in the
batch, a fire that cascades, notifies, raises the summary version or has a fallback — is done
row by row, each row's work in a savepoint. Either way a refusal (a protest still open at
finality) blocks that row alone. A sweep killed mid-batch rolls the whole batch back, leaving
those rows pending for the next pass — nothing partial, and no lease to wait out.
"""

from __future__ import annotations

import logging
import os
import socket
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from cee_workflow.states.authority import regime_at
from cee_workflow.states.calendar import legal_date
from cee_workflow.storage import queries
from cee_workflow.storage.database import transaction
from cee_workflow.storage.lock_order import lock_with_neighbours
from cee_workflow.storage.models import Case, Deadline
from cee_workflow.storage.sweep_claims import CaseRow, DeadlineRow, claim_due_with_cases
from cee_workflow.workflow.advance import Context, apply, lifecycle_of, write_event
from cee_workflow.workflow.errors import RuleViolation
from cee_workflow.workflow.jurisdiction import SYSTEM
from cee_workflow.workflow.lock_order import reaches_other_cases
from cee_workflow.workflow.sweep_fires import fire_run, fires_together
from cee_workflow.workflow.timers import LEVELS, Stage, reached, stages

log = logging.getLogger("cee.sweep")
SWEEPER = f"{socket.gethostname()}:{os.getpid()}"


@dataclass
class SweepResult:
    fired: list[str] = field(default_factory=list)  # "CASE trigger"
    escalated: list[str] = field(default_factory=list)  # "CASE timer stage"
    blocked: list[str] = field(default_factory=list)  # "CASE trigger: why"
    stale: int = 0  # the case had left the timer's state: cancelled
    deferred: int = 0  # a fire would write a case another transaction holds: left pending

    def to_dict(self) -> dict[str, Any]:
        return {"fired": self.fired, "escalated": self.escalated, "blocked": self.blocked,
                "stale": self.stale, "deferred": self.deferred}


class _Injected(Exception):
    """Raised by tests through `fail_after` to stand for a crash mid-sweep."""


def sweep(engine, now: datetime | None, limit: int = 10_000, batch: int = 200,
          fail_after: int | None = None, set_based: bool = True) -> SweepResult:
    """One pass at `now`; at most `limit` rows, `batch` per transaction. `set_based=False`
    acts row by row throughout (the reference the set-based fires are tested against).

    `now` None (every pass on a real database): each batch reads the engine's clock once its
    transaction holds the cases it claimed, and records its events at that instant — the
    instant they were recorded. A pass's first instant would date the events of a later batch
    before an officer's advance committed while the pass ran, and the case's events would go
    backwards (audit verify flags that). A chosen `now` (a simulation) dates every batch."""
    result = SweepResult()
    began = now
    with transaction(engine.db, write=False) as session:
        horizon = queries.max_deadline_id(session)
    handled = 0
    while handled < limit:
        with transaction(engine.db) as session:
            claim_at = now or engine.clock.now()
            rows = claim_due_with_cases(session, claim_at, horizon, min(batch, limit - handled))
            # The batch's instant, read once its cases are locked (SQLite: the write lock was
            # taken at BEGIN IMMEDIATE): after every commit those cases' events follow.
            at = now or engine.clock.now()
            began = began or at
            ctx = Context(session=session, now=at, today=legal_date(at), params=engine.params)
            due = Counter(row.case_id for row, _ in rows)
            # Every neighbourhood the batch's fires reach, locked in one statement; if another
            # transaction holds one of them, row by row, so that only its rows wait.
            free = _neighbourhoods_free(ctx, rows)
            run: list = []  # fires to write together, waiting for the next row-by-row act
            fresh = True  # nothing written in this transaction since the claim read the cases
            # Act in the order the stages fell due, not the order of each row's first pending
            # stage: a late pass must fire an auto-schedule before a deemed liquidation.
            for row, case in sorted(rows, key=lambda r: (_stage_at(r[0], at, ctx.params),
                                                         r[0].id)):
                if not free and not _neighbours_free(ctx, row, case):
                    result.deferred += 1  # an officer holds a case it would write: next pass
                    handled += 1
                    continue
                if set_based and _fires_with_others(row, case, due[row.case_id], at, ctx):
                    run.append((row, case))
                else:
                    fresh = _flush(ctx, run, fresh, engine, result)
                    run = []
                    _act(ctx, row, result)
                    fresh = False
                handled += 1
                if fail_after is not None and handled >= fail_after:
                    raise _Injected(f"injected failure after {handled} rows")
            _flush(ctx, run, fresh, engine, result)
        engine._notify(ctx.events)
        if len(rows) < batch:
            break
    log.info("sweep at %s: %d fired, %d escalated, %d blocked, %d stale",
             (began or engine.clock.now()).isoformat(),
             len(result.fired), len(result.escalated), len(result.blocked), result.stale)
    return result


def _neighbours_free(ctx: Context, row: DeadlineRow, case: CaseRow) -> bool:
    """PostgreSQL: a fire that writes other cases (a liquidation closing its entry's PSCs, an
    auto-schedule re-arming them) takes them in the global lock order's statement
    (storage/lock_order.py) — but the sweep already holds the cases it claimed, out of that
    order, so it must never wait: NOWAIT, and if another transaction holds one of them the row
    is left pending for the next pass (False). Escalations and fires touching only their own
    case need nothing more."""
    if not _reaches_neighbours(ctx, row, case):
        return True
    return _lock_nowait(ctx, [row.case_id])


def _neighbourhoods_free(ctx: Context, rows: list) -> bool:
    """Whether the neighbourhoods of every fire of the batch that writes other cases are now
    held by this transaction — taken in one statement, in case-id order, NOWAIT (so a batch
    of auto-schedules costs one round trip, not one per row). False if another transaction
    holds any of them: then `_neighbours_free` row by row, so that only the rows reaching a
    held case wait for the next pass."""
    reaching = sorted({row.case_id for row, case in rows if _reaches_neighbours(ctx, row, case)})
    return _lock_nowait(ctx, reaching) if reaching else True


def _reaches_neighbours(ctx: Context, row: DeadlineRow, case: CaseRow) -> bool:
    """PostgreSQL: whether the row's due stage is a fire whose transition may write other
    cases (storage/lock_order.py)."""
    if ctx.session.get_bind().dialect.name != "postgresql" or not row.action:
        return False
    stage = reached(stages(row.action, row.level, row.warn_at, row.due_at, ctx.params), ctx.now)
    return (stage is not None and stage.kind == "fire"
            and reaches_other_cases(case.kind, row.action))


def _lock_nowait(ctx: Context, case_ids: list[str]) -> bool:
    """Lock `case_ids` and their neighbours NOWAIT in a savepoint; False (nothing held by the
    attempt) if another transaction holds one of them."""
    savepoint = ctx.session.begin_nested()
    try:
        lock_with_neighbours(ctx.session.connection(), case_ids, nowait=True)
    except sa.exc.OperationalError as error:
        if getattr(error.orig, "sqlstate", None) != LOCK_NOT_AVAILABLE:
            raise
        savepoint.rollback()
        return False
    savepoint.commit()
    return True


LOCK_NOT_AVAILABLE = "55P03"  # PostgreSQL: NOWAIT met a row another transaction holds


def _fires_with_others(row: DeadlineRow, case: CaseRow, due_in_batch: int, now: datetime,
                       ctx: Context) -> bool:
    """Whether the row's fire may be written with others: the case's only row in the batch,
    still in the timer's state, its fire due, its transition touching no other case."""
    if due_in_batch != 1 or case.state != row.state or not row.action:
        return False
    stage = reached(stages(row.action, row.level, row.warn_at, row.due_at, ctx.params), now)
    return (stage is not None and stage.kind == "fire"
            and fires_together(case.kind, row.timer, row.action, case.state))


def _flush(ctx: Context, run: list, fresh: bool, engine, result: SweepResult) -> bool:
    """Write the waiting fires; returns whether the claimed case rows are still current."""
    if not run:
        return fresh
    fire_run(ctx, run, fresh=fresh, sweeper=SWEEPER, listened=bool(engine._subscribers),
             result=result)
    if ctx.session.identity_map:  # ORM rows read by earlier acts may be older than the writes
        ctx.session.expire_all()
    return False


def _stage_at(row: Deadline, now: datetime, params) -> datetime:
    stage = reached(stages(row.action, row.level, row.warn_at, row.due_at, params), now)
    return stage.at if stage else now


def _act(ctx: Context, row: Deadline, result: SweepResult) -> None:
    case = queries.get_case(ctx.session, row.case_id, for_update=True)
    if case is None or case.state != row.state:
        # Leaving a state cancels its pending timers in the same transaction, so this is only
        # reached when a case moved on under a row read earlier; cancel, never fire.
        if queries.settle_deadline(ctx.session, row.id, "cancelled", ctx.now, SWEEPER):
            result.stale += 1
        return
    remaining = stages(row.action, row.level, row.warn_at, row.due_at, ctx.params)
    stage = reached(remaining, ctx.now)
    if stage is None:  # its stage moved since it was claimed (escalated by another pass)
        return
    if stage.kind == "fire":
        _fire(ctx, case, row, result)
    else:
        _escalate(ctx, case, row, stage, remaining, result)


def _fire(ctx: Context, case: Case, row: Deadline, result: SweepResult) -> None:
    mark = len(ctx.events)
    savepoint = ctx.session.begin_nested()
    try:
        if not queries.settle_deadline(ctx.session, row.id, "fired", ctx.now, SWEEPER):
            savepoint.rollback()
            return
        apply(ctx, case, row.action, SYSTEM, note=f"{row.timer} due {row.due_at:%Y-%m-%d}")
        savepoint.commit()
        result.fired.append(f"{case.id} {row.action}")
    except RuleViolation as refusal:
        savepoint.rollback()
        del ctx.events[mark:]
        otherwise = lifecycle_of(case.kind).timer(row.timer).otherwise
        if otherwise and _fire_otherwise(ctx, case, row, otherwise, refusal, result):
            return
        # The law's condition is not met (a protest still open at finality): the row is
        # blocked — recorded, not fired and not lost; a resolving protest re-arms it.
        queries.settle_deadline(ctx.session, row.id, "blocked", ctx.now, SWEEPER)
        result.blocked.append(f"{case.id} {row.action}: {refusal.message}")


def owning_office(owner: str, case: Case) -> str:
    """The office a timer escalates to, as people name it: center 007, port 2704, FP&F of …"""
    if owner == "fpf":
        return f"FP&F of port {case.port}"
    return f"{owner} {case.center if owner == 'center' else case.port}"
def _fire_otherwise(ctx: Context, case: Case, row: Deadline, trigger: str,
                    refusal: RuleViolation, result: SweepResult) -> bool:
    """The timer's alternative when its action is refused (a PSC failing validation is
    rejected); False, with nothing written, if that is refused too."""
    mark = len(ctx.events)
    savepoint = ctx.session.begin_nested()
    try:
        queries.settle_deadline(ctx.session, row.id, "fired", ctx.now, SWEEPER)
        apply(ctx, case, trigger, SYSTEM,
              note=f"{row.timer}: {row.action} refused — {refusal.message}")
        savepoint.commit()
    except RuleViolation:
        savepoint.rollback()
        del ctx.events[mark:]
        return False
    result.fired.append(f"{case.id} {trigger}")
    return True


def _escalate(ctx: Context, case: Case, row: Deadline, stage: Stage, remaining: list[Stage],
              result: SweepResult) -> None:
    later = remaining[remaining.index(stage) + 1:]
    # The claim locked the case, not this row: on PostgreSQL the row may be a stale copy of one
    # another sweep has just staged, so the compare-and-set includes the level it was read at.
    if not queries.stage_deadline(ctx.session, row.id, row.level, stage.level,
                                  later[0].at if later else None, SWEEPER):
        return
    office = owning_office(lifecycle_of(case.kind).timer(row.timer).owner, case)
    to = {"warning": f"the queue of {office}", "overdue": f"a supervisor of {office}",
          "director": f"the director of {office}"}[stage.kind]
    regime = regime_at(ctx.today, case.center, ctx.params.apparel_center_implemented_on)
    write_event(
        ctx, case, actor=SYSTEM.label, authority="SYSTEM",
        regime=regime.name if regime else "none", trigger="escalate",
        note=f"{row.timer} {LEVELS[stage.level]}: to {to}",
        values={"escalation": max(case.escalation, stage.level)},
        data={"timer": row.timer, "level": stage.level, "stage": stage.kind, "to": to,
              "last_day": row.last_day.isoformat(), "due_at": row.due_at.isoformat(),
              "citation": row.citation})
    result.escalated.append(f"{case.id} {row.timer} {stage.kind}")

