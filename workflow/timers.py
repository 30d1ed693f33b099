"""Timers: arming a state's timers, and the stages a pending timer goes through.

Stages, in order: a warning at `warn_at` (level 1, to the owning office's queue) when the timer
has one; then at `due_at` either its SYSTEM action fires, or — for a limit the law makes only
directory, which escalates and never decides — it is overdue (level 2, to a supervisor of the
owning office) and, still overdue `director_escalation_days` later, goes to the director
(level 3). A late sweep acts on the furthest stage reached, once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from cee_workflow.states.base import Lifecycle
from cee_workflow.states.calendar import start_of_legal_day
from cee_workflow.states.params import RuleParams

LEVELS = {1: "warning", 2: "overdue", 3: "director"}


@dataclass(frozen=True)
class Stage:
    kind: str  # warning | overdue | director | fire
    level: int  # the escalation level this stage sets (fire keeps the level)
    at: datetime


def stages(action: str | None, level: int, warn_at: datetime, due_at: datetime,
           params: RuleParams) -> list[Stage]:
    """The stages of a pending timer not yet taken, in order."""
    every = []
    if warn_at < due_at:
        every.append(Stage("warning", 1, warn_at))
    if action:
        every.append(Stage("fire", level, due_at))
    else:
        every.append(Stage("overdue", 2, due_at))
        every.append(Stage("director", 3,
                           due_at + timedelta(days=params.director_escalation_days)))
    return [s for s in every if s.kind == "fire" or s.level > level]


def reached(remaining: list[Stage], now: datetime) -> Stage | None:
    """The furthest stage due by `now` (a fire always wins: the law acts)."""
    due = [s for s in remaining if s.at <= now]
    if not due:
        return None
    fire = [s for s in due if s.kind == "fire"]
    return fire[0] if fire else due[-1]


def carry_levels(rows: list[dict[str, Any]], previous: dict[tuple[str, datetime], int],
                 params: RuleParams) -> None:
    """The same deadline running on into a new state (same timer, same due instant) keeps the
    escalation it reached: nobody is warned twice of one deadline."""
    for row in rows:
        level = previous.get((row["timer"], row["due_at"]), 0)
        if level:
            remaining = stages(row["action"], level, row["warn_at"], row["due_at"], params)
            row["level"], row["next_at"] = level, remaining[0].at if remaining else None


def timer_rows(lifecycle: Lifecycle, state: str, case_id: str, version: int,
               data: dict[str, Any], params: RuleParams) -> list[dict[str, Any]]:
    """Deadline rows for the timers of `state` that apply to this case's data."""
    rows = []
    for timer in lifecycle.timers_of(state):
        if timer.applies is not None and not timer.applies(data):
            continue
        due_date = timer.due_date(data, params)
        if due_date is None:
            continue
        due_at = start_of_legal_day(due_date).astimezone(UTC)
        warn_days = timer.warn_days(params)
        warn_at = due_at - timedelta(days=warn_days) if warn_days else due_at
        first = stages(timer.action, 0, warn_at, due_at, params)[0]
        rows.append({
            "case_id": case_id,
            "timer": timer.name,
            "kind": timer.kind.value,
            "state": state,
            "armed_version": version,
            "last_day": timer.last_day(data, params),
            "due_at": due_at,
            "warn_at": warn_at,
            "action": timer.action,
            "citation": timer.citation,
            "status": "pending",
            "level": 0,
            "next_at": first.at,
        })
    return rows
