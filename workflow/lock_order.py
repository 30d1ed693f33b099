"""Which transitions must take the global lock order (storage/lock_order.py) up front: those
whose rulebook writes other cases — cascades, closes, re-arms (states/*.py)."""

from __future__ import annotations

from functools import cache

from cee_workflow.states import LIFECYCLES

_KIND_OF_PREFIX = {lifecycle.prefix: kind for kind, lifecycle in LIFECYCLES.items()}


def kind_of(case_id: str) -> str | None:
    """The kind a case id names by its prefix (LQ-…, PR-…), or None."""
    return _KIND_OF_PREFIX.get(case_id.partition("-")[0])


@cache
def reaches_other_cases(kind: str | None, trigger: str) -> bool:
    """Whether `trigger` on a case of `kind` may write other cases (from any state): then the
    transaction locks its case's neighbourhood in id order first."""
    lifecycle = LIFECYCLES.get(kind) if kind else None
    if lifecycle is None:
        return False
    return any(spec.cascades or spec.closes or spec.rearms
               for spec in lifecycle.specs_for(trigger))
