"""Lifecycle diagrams from the rulebooks: extraction (`extract`) apart from the renderers.

`render(kind, "text" | "mermaid" | "dot")` draws a registered lifecycle; `summaries()` lists
them. Nothing here opens a database: diagrams read the rulebooks only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cee_workflow.states import LIFECYCLES
from cee_workflow.workflow.diagrams import dot, mermaid, text
from cee_workflow.workflow.diagrams.extract import (
    Edge,
    LifecycleGraph,
    StateNode,
    TimerNode,
    extract,
)
from cee_workflow.workflow.errors import InvalidInput

RENDERERS: dict[str, Callable[[LifecycleGraph], str]] = {
    "text": text.render,
    "mermaid": mermaid.render,
    "dot": dot.render,
}
FORMATS = tuple(RENDERERS)


def render(kind: str, fmt: str = "text") -> str:
    """The lifecycle `kind` drawn in `fmt`; InvalidInput for an unknown kind or format."""
    if fmt not in RENDERERS:
        raise InvalidInput(f"no diagram format {fmt!r}; formats: {', '.join(FORMATS)}")
    return RENDERERS[fmt](extract(kind))


def summaries() -> list[dict[str, Any]]:
    """Every registered lifecycle: kind, summary, and how many states, triggers, transitions."""
    return [{"kind": lc.kind, "summary": lc.summary, "states": len(lc.states),
             "triggers": len(lc.triggers),
             "transitions": sum(len(t.sources) for t in lc.transitions)}
            for lc in LIFECYCLES.values()]


__all__ = ["Edge", "FORMATS", "LifecycleGraph", "StateNode", "TimerNode", "extract", "render",
           "summaries"]
