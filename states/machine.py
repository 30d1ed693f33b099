"""The one shared `transitions.Machine` of a lifecycle, and the light token a case runs on.

Never one machine per case (pytransitions #146/#434: a Machine per object is slow and heavy);
`transitions` loads with the first machine built, not at import.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cee_workflow.states.authority import Authority
    from cee_workflow.states.base import Lifecycle, TransitionSpec
    from cee_workflow.states.facts import Refusal


@cache
def _machine_class() -> type:
    """`transitions` loads with the first machine built, not at import: reading a case
    (`cee case show`) never runs a machine and should not pay for it."""
    from transitions import Machine, Transition

    class SpecTransition(Transition):
        """A `transitions.Transition` that carries its rulebook spec (and so its authority)."""

        def __init__(self, source, dest, conditions=None, unless=None, before=None,
                     after=None, prepare=None, spec: TransitionSpec | None = None, **kwargs):
            super().__init__(source, dest, conditions, unless, before, after, prepare,
                             **kwargs)
            self.spec = spec

        @property
        def authority(self) -> Authority | None:
            return self.spec.authority if self.spec else None

    class RulebookMachine(Machine):
        transition_cls = SpecTransition

    return RulebookMachine


class CaseToken:
    """The light model a shared machine runs on (a SQLModel row cannot be a machine model)."""

    __slots__ = ("state", "refusal", "taken")

    def __init__(self, state: str):
        self.state = state
        self.refusal: Refusal | None = None
        self.taken: TransitionSpec | None = None


class NotFromState(Exception):
    """The trigger exists but cannot be taken from the case's state."""


def _guards_pass(event) -> bool:
    spec: TransitionSpec = event.transition.spec
    refusal = spec.refusal(event.kwargs["facts"])
    if refusal:
        event.model.refusal = refusal
        return False
    return True


def _record_taken(event) -> None:
    event.model.taken = event.transition.spec
    event.model.refusal = None



@cache
def build_machine(lifecycle: Lifecycle):
    """The one shared machine of a lifecycle (cached; the rulebook is immutable)."""
    machine = _machine_class()(
        model=None,
        states=list(lifecycle.state_names),
        initial=lifecycle.initial,
        auto_transitions=False,
        send_event=True,
    )
    for spec in lifecycle.transitions:
        machine.add_transition(
            spec.trigger,
            list(spec.sources),
            spec.dest,
            conditions=[_guards_pass],
            before=[_record_taken],
            spec=spec,
        )
    return machine
