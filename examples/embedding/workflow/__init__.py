"""The host application's own `workflow` package: its ticket queue, say."""

from __future__ import annotations

QUEUE: list[str] = []


def ticket(text: str) -> None:
    QUEUE.append(text)
