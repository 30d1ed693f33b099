"""Mermaid stateDiagram-v2 of a lifecycle, drawn by the transitions library's mermaid engine.

`transitions.extensions.diagrams.GraphMachine(graph_engine="mermaid")` writes the states, the
labelled edges and the initial arrow; it needs no system package. We add what it does not draw:
terminal states (`state --> [*]`) and each state's timers as a note. Mermaid's grammar forbids
`:` and `;` in an edge label (stateDiagram.jison: DESCR is `":"[^:\\n;]+`), so labels are
`trigger [WHO]`; notes may hold any text up to `end note`.
"""

from __future__ import annotations

from cee_workflow.workflow.diagrams.extract import LifecycleGraph


def render(graph: LifecycleGraph) -> str:
    from transitions.extensions.diagrams import GraphMachine  # only when drawing

    machine = GraphMachine(
        states=[s.name for s in graph.states],
        initial=graph.initial,
        transitions=[{"trigger": e.trigger, "source": e.source, "dest": e.dest,
                      "label": e.label} for e in graph.edges],
        auto_transitions=False,
        graph_engine="mermaid",
        # transitions writes the title alone between the front-matter fences; mermaid's front
        # matter is YAML, so the title goes in as a `title:` key.
        title=f"title: {graph.kind}",
    )
    drawing = machine.model_graphs[id(machine)]
    drawing.reset_styling()  # no "active" state: this is the rulebook, not one case
    lines = [line.rstrip() for line in drawing.get_graph().source.splitlines()]
    for state in graph.states:
        if state.terminal:
            lines.append(f"  {state.name} --> [*]")
    for state in graph.states:
        if state.timers:
            lines.append(f"  note right of {state.name}")
            for timer in state.timers:
                lines.append(f"    {timer.name} ({timer.kind}): {timer.when}, then "
                             f"{timer.outcome}")
                lines.append(f"      {timer.citation}")
            lines.append("  end note")
    return "\n".join(lines) + "\n"
