"""Graphviz dot source of a lifecycle, written from the extraction (no graphviz package needed).

The transitions library's own dot engine needs the `graphviz` package; the source is simple
enough to write here, in the rulebook's order, with the same labels as the mermaid diagram.
Render it with `dot -Tsvg` where graphviz is installed.
"""

from __future__ import annotations

from cee_workflow.workflow.diagrams.extract import LifecycleGraph, StateNode


def escape(text: str) -> str:
    """Text inside a dot string: backslashes and quotes escaped."""
    return text.replace("\\", "\\\\").replace('"', '\\"')


def quote(text: str) -> str:
    return f'"{escape(text)}"'


LEFT = "\\l"  # dot: end a left-justified line


def state_label(state: StateNode) -> str:
    """The state's name, then one left-justified line per timer (already escaped)."""
    lines = [escape(state.name)]
    for t in state.timers:
        lines.append(escape(f"{t.name} ({t.kind}): {t.when}, then {t.outcome}"))
        lines.append(escape(f"  {t.citation}"))
    return LEFT.join(lines) + (LEFT if state.timers else "")


def render(graph: LifecycleGraph) -> str:
    lines = [f"digraph {quote(graph.kind)} {{",
             f"  label={quote(graph.summary)};",
             "  labelloc=t;",
             "  rankdir=LR;",
             "  node [shape=box, style=rounded];",
             '  "__start__" [shape=point, label=""];']
    for state in graph.states:
        extra = ", peripheries=2" if state.terminal else ""
        lines.append(f'  {quote(state.name)} [label="{state_label(state)}"{extra}];')
    lines.append(f'  "__start__" -> {quote(graph.initial)};')
    for edge in graph.edges:
        lines.append(f"  {quote(edge.source)} -> {quote(edge.dest)} "
                     f"[label={quote(edge.label)}];")
    lines.append("}")
    return "\n".join(lines) + "\n"
