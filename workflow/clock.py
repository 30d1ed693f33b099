"""Injected time. Instants are aware UTC; legal dates are dates in America/New_York."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from cee_workflow.states.calendar import legal_date
from cee_workflow.workflow.deprecation import renamed


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class SettableClock:
    """A clock that only moves when told to: tests, `--now`, and the demo."""

    def __init__(self, start: datetime) -> None:
        self._now = _aware(start)

    def now(self) -> datetime:
        return self._now

    def move_to(self, instant: datetime) -> None:
        """The clock reads `instant` (aware) from now on."""
        self._now = _aware(instant)

    def advance(self, delta: timedelta) -> None:
        self._now += delta

    if not TYPE_CHECKING:  # the name before 0.2 (it shadowed the built-in)
        set = renamed("set", move_to)


def _aware(instant: datetime) -> datetime:
    if instant.tzinfo is None:
        raise ValueError("clock instants must be timezone-aware")
    return instant.astimezone(UTC)


def today(clock: Clock) -> date:
    return legal_date(clock.now())
