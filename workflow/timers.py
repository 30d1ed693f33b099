"""Arming a state's timers when a case enters it (cancelling happens on exit, in storage)."""

from __future__ import annotations

from datetime import UTC, timedelta
from typing import Any

from states.base import Lifecycle
from states.calendar import start_of_legal_day
from states.params import RuleParams


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
        rows.append({
            "case_id": case_id,
            "timer": timer.name,
            "kind": timer.kind.value,
            "state": state,
            "armed_version": version,
            "last_day": timer.last_day(data, params),
            "due_at": due_at,
            "warn_at": due_at - timedelta(days=timer.warn_days(params)),
            "action": timer.action,
            "citation": timer.citation,
            "status": "pending",
        })
    return rows
