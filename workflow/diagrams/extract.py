"""Diagram extraction: a lifecycle's rulebook as plain, ordered data, ready for any renderer.

Kept apart from rendering (as python-statemachine's contrib/diagram does): the text listing,
mermaid (through the transitions library) and dot each draw the same `LifecycleGraph`. Order is
the rulebook's own — states as declared, transitions as declared, sources as listed — so every
rendering is deterministic and the README's copies can be checked for staleness.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from cee_workflow.states import LIFECYCLES
from cee_workflow.states.base import STAY, Lifecycle, TimerSpec
from cee_workflow.states.matrix import functions_exercised_by
from cee_workflow.states.params import DEFAULT_PARAMS, RuleParams
from cee_workflow.workflow.errors import InvalidInput


@dataclass(frozen=True)
class TimerNode:
    name: str
    kind: str  # legal | process | service
    when: str  # e.g. "filed_on + 2 years, due the day after"
    action: str | None  # the SYSTEM trigger it fires, or None: escalates only
    citation: str
    summary: str

    @property
    def outcome(self) -> str:
        return self.action or "escalate"


@dataclass(frozen=True)
class StateNode:
    name: str
    summary: str
    initial: bool
    terminal: bool
    timers: tuple[TimerNode, ...]


@dataclass(frozen=True)
class Edge:
    """One transition: `trigger` from `source` to `dest` (the source itself when it stays)."""

    trigger: str
    source: str
    dest: str
    who: str  # CENTER, PORT/fpf, CENTER (supervisor), …
    citation: str
    summary: str
    function: str | None  # the authority-matrix function it exercises

    @property
    def label(self) -> str:
        """The edge label every diagram uses: `extend [CENTER]`."""
        return f"{self.trigger} [{self.who}]"


@dataclass(frozen=True)
class LifecycleGraph:
    kind: str
    summary: str
    initial: str
    opening: str
    states: tuple[StateNode, ...]
    edges: tuple[Edge, ...]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def lifecycle(kind: str) -> Lifecycle:
    """The registered lifecycle `kind`, or InvalidInput naming the ones there are."""
    try:
        return LIFECYCLES[kind]
    except KeyError:
        from cee_workflow.workflow.suggest import did_you_mean

        raise InvalidInput(f"no lifecycle is called {kind!r}"
                           + did_you_mean(kind, LIFECYCLES, what="lifecycles")
                           + " (see `cee lifecycle list`)") from None


def extract(kind: str, params: RuleParams = DEFAULT_PARAMS) -> LifecycleGraph:
    """The rulebook of `kind` as a graph; timer periods as `params` sets them."""
    rulebook = lifecycle(kind)
    states = tuple(
        StateNode(s.name, s.summary, s.name == rulebook.initial, s.terminal,
                  tuple(_timer(t, params) for t in s.timers))
        for s in rulebook.states)
    edges = []
    for spec in rulebook.transitions:
        functions = functions_exercised_by(kind, spec.trigger)
        for source in spec.sources:
            edges.append(Edge(spec.trigger, source, source if spec.dest == STAY else spec.dest,
                              spec.who, spec.citation, spec.summary,
                              functions[0].key if len(functions) == 1 else None))
    return LifecycleGraph(kind, rulebook.summary, rulebook.initial, rulebook.opening, states,
                          tuple(edges))


def _timer(timer: TimerSpec, params: RuleParams) -> TimerNode:
    period = timer.period(params)
    when = timer.anchor if str(period) == "0 days" else f"{timer.anchor} + {period}"
    if timer.roll_forward:
        when += ", rolled to the next business day"
    when += ", due the day after" if timer.fires == "after" else ", due that day"
    return TimerNode(timer.name, timer.kind.value, when, timer.action, timer.citation,
                     timer.summary)
