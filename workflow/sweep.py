"""One scheduler pass: fire the SYSTEM transitions whose timers are due.

Each due timer is handled in its own transaction: the row is settled by compare-and-set
(pending → fired) — so two sweeps never fire one timer twice — the case is re-read (FOR UPDATE on
PostgreSQL) and the action taken only if the case is still in the state that armed the timer;
otherwise the row is cancelled as stale. A crash rolls the whole step back and
leaves the row pending for the next sweep.
"""

from __future__ import annotations

import logging
import os
import socket
from dataclasses import dataclass, field
from datetime import datetime

from states.calendar import legal_date
from storage import queries
from storage.database import transaction
from workflow.advance import Context, apply
from workflow.errors import RuleViolation
from workflow.jurisdiction import SYSTEM

log = logging.getLogger("cee.sweep")
SWEEPER = f"{socket.gethostname()}:{os.getpid()}"


class _Stale(Exception):
    pass


@dataclass
class SweepResult:
    fired: list[str] = field(default_factory=list)  # "CASE trigger"
    stale: int = 0
    blocked: list[str] = field(default_factory=list)  # "CASE trigger: why"
    lost: int = 0  # settled by another sweep first

    def to_dict(self) -> dict:
        return {"fired": self.fired, "stale": self.stale, "blocked": self.blocked,
                "lost": self.lost}


def sweep(engine, now: datetime, limit: int = 1000) -> SweepResult:
    result = SweepResult()
    with transaction(engine.db, write=False) as session:
        due = [(d.id, d.case_id, d.state, d.action)
               for d in queries.due_deadlines(session, now, limit)]
    for deadline_id, case_id, state, action in due:
        _fire_one(engine, now, result, deadline_id, case_id, state, action)
    log.info("sweep at %s: %d fired, %d stale, %d blocked, %d lost", now.isoformat(),
             len(result.fired), result.stale, len(result.blocked), result.lost)
    return result


def _fire_one(engine, now, result, deadline_id, case_id, state, action) -> None:
    try:
        with transaction(engine.db) as session:
            ctx = Context(session=session, now=now, today=legal_date(now), params=engine.params)
            # Lock the case before the deadline row, in the same order as an officer's
            # advance (case, then its deadlines): the opposite order deadlocks on PostgreSQL.
            case = queries.get_case(session, case_id, for_update=True)
            if not queries.settle_deadline(session, deadline_id, "fired", now, SWEEPER):
                result.lost += 1
                return
            # Leaving a state cancels its pending timers in the same transaction, so a pending
            # row whose state is the case's state is current — even if a same-state transition
            # (an amendment) or an escalation has raised the version since it was armed.
            if case is None or case.state != state:
                raise _Stale
            apply(ctx, case, action, SYSTEM, note=f"timer {deadline_id} due")
        engine._notify(ctx.events)
        result.fired.append(f"{case_id} {action}")
    except _Stale:  # the case moved on since the timer was armed: cancel, never fire
        _settle(engine, deadline_id, "cancelled", now)
        result.stale += 1
    except RuleViolation as refusal:
        # The law's condition is not met (e.g. a protest still open at finality): keep the
        # record honest — the timer is blocked, not silently fired or lost.
        _settle(engine, deadline_id, "blocked", now)
        result.blocked.append(f"{case_id} {action}: {refusal.message}")


def _settle(engine, deadline_id: int, status: str, now: datetime) -> None:
    with transaction(engine.db) as session:
        queries.settle_deadline(session, deadline_id, status, now, SWEEPER)
