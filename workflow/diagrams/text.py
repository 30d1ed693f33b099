"""A lifecycle as a listing for officers: states with their timers, transitions with who and rule.
"""

from __future__ import annotations

from cee_workflow.workflow.diagrams.extract import LifecycleGraph


def columns(headers: list[str], rows: list[list[str]]) -> list[str]:
    """Rows aligned under their headers, a rule beneath the headers."""
    cells = [headers, *rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip()
             for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return lines


def render(graph: LifecycleGraph) -> str:
    lines = [f"{graph.kind}: {graph.summary}",
             f"A case starts in {graph.initial} and opens by {graph.opening}.", "", "States"]
    for state in graph.states:
        marks = [m for m, on in (("initial", state.initial), ("terminal", state.terminal)) if on]
        lines.append(f"  {state.name}{' (' + ', '.join(marks) + ')' if marks else ''}: "
                     f"{state.summary}")
        for t in state.timers:
            lines.append(f"    timer {t.name} ({t.kind}): {t.when}, then {t.outcome}")
            lines.append(f"      {t.summary} — {t.citation}")
    lines += ["", "Transitions"]
    rows = [[e.trigger, f"{e.source} → {e.dest}", e.who, e.function or "-", e.citation]
            for e in graph.edges]
    lines += ["  " + line for line in
              columns(["trigger", "from → to", "who", "function", "rule"], rows)]
    return "\n".join(lines) + "\n"
