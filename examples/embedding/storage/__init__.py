"""The host application's own `storage` package (a name cee-workflow does not claim)."""

from __future__ import annotations

from cee_workflow import EventView

JOURNAL: list[str] = []


def remember(events: list[EventView]) -> None:
    """A subscriber: the application keeps its own journal of the engine's events."""
    JOURNAL.extend(f"{event.seq} {event.case_id} {event.trigger}" for event in events)
