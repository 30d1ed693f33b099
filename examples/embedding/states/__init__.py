"""The host application's own `states` package."""

from __future__ import annotations

LABELS = {"filed": "Filed", "accepted": "Accepted for review", "liquidated": "Liquidated"}


def label(state: str) -> str:
    return LABELS.get(state, state.replace("_", " ").capitalize())
