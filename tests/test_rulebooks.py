"""The rulebooks as data: well-formed, cited, and run through one shared machine each."""

from __future__ import annotations

from datetime import date

import pytest

from cee_workflow.states import LIFECYCLES
from cee_workflow.states.authority import Authority
from cee_workflow.states.base import Facts, NotFromState, build_machine


@pytest.mark.parametrize("kind", LIFECYCLES)
def test_every_transition_and_timer_cites_its_rule(kind):
    lifecycle = LIFECYCLES[kind]
    for spec in lifecycle.transitions:
        assert spec.citation and spec.summary, spec.trigger
        for guard in spec.guards:
            assert guard.citation, (spec.trigger, guard.name)
    for state in lifecycle.states:
        for timer in state.timers:
            assert timer.citation and timer.summary, timer.name
            assert timer.action or not timer.otherwise, f"{timer.name}: otherwise, no action"
            for trigger in filter(None, (timer.action, timer.otherwise)):
                actions = lifecycle.specs_for(trigger)
                assert actions and all(s.authority is Authority.SYSTEM for s in actions), \
                    f"timer {timer.name} fires {trigger}, which must be a SYSTEM transition"
                assert any(state.name in s.sources for s in actions), \
                    f"timer {timer.name} fires {trigger}, impossible from {state.name}"


@pytest.mark.parametrize("kind", LIFECYCLES)
def test_one_machine_per_lifecycle_is_shared(kind):
    lifecycle = LIFECYCLES[kind]
    machine = build_machine(lifecycle)
    assert build_machine(lifecycle) is machine
    assert machine.models == []  # cases never attach to it
    assert not any(t.startswith("to_") for t in machine.events)  # auto_transitions off
    for trigger, event in machine.events.items():
        for transitions in event.transitions.values():
            for transition in transitions:
                assert transition.spec.trigger == trigger
                assert transition.authority is transition.spec.authority


def test_states_are_reachable_from_the_opening():
    for lifecycle in LIFECYCLES.values():
        reached, frontier = {lifecycle.initial}, [lifecycle.initial]
        while frontier:
            state = frontier.pop()
            for spec in lifecycle.transitions_from(state):
                if spec.dest not in reached and spec.dest != "=":
                    reached.add(spec.dest)
                    frontier.append(spec.dest)
        assert reached == set(lifecycle.state_names), lifecycle.kind


def test_fire_reports_wrong_state_and_unknown_trigger():
    lifecycle = LIFECYCLES["liquidation"]
    facts = Facts(today=date(2025, 1, 6), data={})
    with pytest.raises(NotFromState):
        lifecycle.fire("final", "extend", facts)
    with pytest.raises(KeyError):
        lifecycle.fire("unliquidated", "explode", facts)
