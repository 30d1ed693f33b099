"""Rulebook specs: lifecycles, transitions, guards, inputs and timers, as immutable data.

A lifecycle module (`states/liquidation.py`, …) declares one `Lifecycle`. From it
`build_machine` (states/machine.py) builds one shared `transitions.Machine` — never one per case.
The engine runs a case through it on a light `CaseToken`. Nothing here does I/O: guards read
`Facts` (states/facts.py) the engine gathered inside its transaction; inputs and legal dates are
in states/inputs.py.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from cee_workflow.states.authority import Authority, Role
from cee_workflow.states.calendar import add_period, roll_forward
from cee_workflow.states.facts import Acting, EntryFacts, Facts, Guard, ProtestOnEntry, Refusal, iso
from cee_workflow.states.inputs import (
    MAX_AMOUNT,
    Bound,
    Input,
    LegalDate,
    _parse_amount,
    data_bound,
    legal_dates,
)
from cee_workflow.states.machine import CaseToken, NotFromState, build_machine
from cee_workflow.states.params import RuleParams
from cee_workflow.states.reads import Reads

# What rulebooks import from here, wherever it is defined (states/facts.py, inputs.py, machine.py).
__all__ = ["STAY", "MAX_AMOUNT", "Acting", "Bound", "CaseToken", "Cascade", "EntryFacts",
           "Facts", "Guard", "Input", "LegalDate", "Lifecycle", "NotFromState", "Notice",
           "Period", "ProtestOnEntry", "Refusal", "StateSpec", "TimerKind", "TimerSpec",
           "TransitionSpec", "_parse_amount", "build_machine", "data_bound", "iso",
           "legal_dates"]

STAY = "="  # a transition that keeps the state (e.g. amending a protest)


@dataclass(frozen=True)
class Notice:
    """Another office told of a transition, as an event on the case in the same transaction
    (trigger `notify_<division>`, actor system; the case stays in its state)."""

    division: str  # a center division, e.g. "enforcement"
    citation: str
    summary: str

    @property
    def trigger(self) -> str:
        return f"notify_{self.division}"


@dataclass(frozen=True)
class Cascade:
    """In the same transaction, apply `trigger` to each entry's `lifecycle` case."""

    lifecycle: str
    trigger: str
    inputs: tuple[tuple[str, Any], ...] = ()  # given to `trigger` (e.g. a reliquidation type)
    # Whether to cascade at all, read on the case's data after the transition.
    when: Callable[[Mapping[str, Any]], bool] | None = None
    skip: str | None = None  # a data key listing entries not to cascade to
    # Inputs taken from the case's data after the transition, where set: (input, data key) —
    # an allowed protest's issues become what its reliquidation changed (1514(d)).
    data_inputs: tuple[tuple[str, str], ...] = ()
    # The cases to cascade to, when not each entry's `lifecycle` case: read from the case's id,
    # its facts and its data after the transition (the protests consolidated with it). Cases not
    # in a state the trigger leaves are passed over; a case reached by a cascade does not cascade
    # back.
    targets: Callable[[str, Facts, Mapping[str, Any]], tuple[str, ...]] | None = None


@dataclass(frozen=True)
class TransitionSpec:
    trigger: str
    sources: tuple[str, ...]
    dest: str
    authority: Authority
    citation: str
    summary: str
    unit: str | None = None  # e.g. "fpf": PORT/fpf
    role: Role | None = None  # the lowest role that may act
    guards: tuple[Guard, ...] = ()
    inputs: tuple[Input, ...] = ()
    effect: Callable[[Facts], dict[str, Any]] | None = None  # data to merge into the case
    cascades: tuple[Cascade, ...] = ()
    # Lifecycles whose cases of this case's entries re-arm their timers after this transition
    # (a resolved protest unblocks the finality its entries' timers were waiting for).
    rearms: tuple[str, ...] = ()
    # A transition that stays in its state but moves the state's deadlines (an extension, a
    # confirmation that ends a timer) cancels the state's timers and arms them afresh.
    restarts_timers: bool = False
    notices: tuple[Notice, ...] = ()
    # A validated post-summary correction replaces the entry summary: its version goes up by
    # one in the same transaction (REFERENCE.md §3).
    raises_summary_version: bool = False
    # Open cases of other lifecycles on the same entries that this transition closes, in the
    # same transaction, by their SYSTEM trigger (a liquidation closes the entry's open PSCs).
    closes: tuple[Cascade, ...] = ()
    # What the guards and effect read of a case (states/reads.py): a bulk run decides once for
    # cases alike in it. None: decided case by case.
    reads: Reads | None = None

    @property
    def who(self) -> str:
        """The authority as people write it: CENTER, PORT/fpf, CENTER (supervisor)…"""
        text = self.authority.value + (f"/{self.unit}" if self.unit else "")
        return text + (f" ({self.role.value})" if self.role else "")

    def refusal(self, facts: Facts) -> Refusal | None:
        for item in self.inputs:  # a legal date's bounds come first: the act's own date
            if isinstance(item, LegalDate):
                for guard in item.guards():
                    reason = guard.check(facts)
                    if reason:
                        return Refusal(guard, reason)
        for guard in self.guards:
            reason = guard.check(facts)
            if reason:
                return Refusal(guard, reason)
        return None


class TimerKind(StrEnum):
    LEGAL = "legal"  # statute or regulation
    PROCESS = "process"  # ACE processing cycle (e.g. 314-day auto-liquidation)
    SERVICE = "service"  # internal service-level target: escalates only


@dataclass(frozen=True)
class Period:
    years: int = 0
    months: int = 0
    days: int = 0

    def after(self, day: date) -> date:
        return add_period(day, years=self.years, months=self.months, days=self.days)

    def __str__(self) -> str:
        parts = [(self.years, "year"), (self.months, "month"), (self.days, "day")]
        text = ", ".join(f"{n} {unit}{'s' if n != 1 else ''}" for n, unit in parts if n)
        return text or "0 days"


@dataclass(frozen=True)
class TimerSpec:
    """A deadline armed when a case enters a state and cancelled when it leaves it.

    The last day is `anchor` (a date in the case data) plus `period`, rolled to the next business
    day when `roll_forward` (trade filing limits only). The timer falls due at the start of the last
    day when `fires == "on"`, or at the start of the following day when `fires == "after"` (the act
    is allowed through the last day). `action` is a SYSTEM trigger, or None to escalate only.
    """

    name: str
    kind: TimerKind
    anchor: str
    period: Callable[[RuleParams], Period]
    citation: str
    summary: str
    action: str | None = None
    roll_forward: bool = False
    fires: str = "after"
    # Days of warning before the due time; None for ACE processing steps nobody need watch.
    warn_days: Callable[[RuleParams], int | None] = lambda p: p.short_deadline_warning_days
    applies: Callable[[Mapping[str, Any]], bool] | None = None
    # The office whose queue, supervisor and director are escalated to: "center", "port", or
    # "fpf" (the Fines, Penalties & Forfeitures unit of the case's port).
    owner: str = "center"
    # A data key holding an extended last day (granted for good cause), which replaces
    # anchor + period while it is set.
    extended: str | None = None
    # A SYSTEM trigger taken instead when `action`'s guards refuse (a PSC that fails validation
    # is rejected); without one, a refused action leaves the timer blocked.
    otherwise: str | None = None
    # A data key read when `anchor` is absent: cases recorded before the rulebook named the
    # anchor (a denial recorded before `summons_from` existed counts from `denied_on`).
    anchor_before: str | None = None
    # The data keys `applies` reads (states/reads.py); None with an `applies`: armed case by
    # case in a bulk run.
    reads: tuple[str, ...] | None = None

    def data_read(self) -> tuple[str, ...] | None:
        """Every data key this timer's rows depend on, or None if that is not declared."""
        if self.applies is not None and self.reads is None:
            return None
        named = (self.anchor, self.anchor_before, self.extended, *(self.reads or ()))
        return tuple(key for key in named if key)

    def last_day(self, data: Mapping[str, Any], params: RuleParams) -> date | None:
        anchor = iso(data.get(self.anchor) or (data.get(self.anchor_before)
                                               if self.anchor_before else None))
        if anchor is None:
            return None
        day = self.period(params).after(anchor)
        if self.extended and data.get(self.extended):
            day = iso(data[self.extended])
        return roll_forward(day) if self.roll_forward else day

    def due_date(self, data: Mapping[str, Any], params: RuleParams) -> date | None:
        last = self.last_day(data, params)
        if last is None:
            return None
        return last + timedelta(days=1) if self.fires == "after" else last


@dataclass(frozen=True)
class StateSpec:
    name: str
    summary: str
    timers: tuple[TimerSpec, ...] = ()
    terminal: bool = False


@dataclass(frozen=True, eq=False)  # identity hash: the machine cache keys on it
class Lifecycle:
    kind: str
    prefix: str  # case id prefix: LQ, PR, …
    summary: str
    states: tuple[StateSpec, ...]
    initial: str  # the pseudo-state a case is in before its opening transition
    opening: str  # the trigger that opens a case
    transitions: tuple[TransitionSpec, ...]
    # How many entries a case names: a protest one or more, a PSC exactly one, a prior
    # disclosure none or more (it may name the importer alone). None: no upper bound.
    min_entries: int = 1
    max_entries: int | None = None
    # Dates timers read that follow other cases, merged into the case data when its timers are
    # armed or re-armed (a PSC's escalation follows its entry's scheduled liquidation).
    timer_data: Callable[[Mapping[str, Any], tuple[EntryFacts, ...], RuleParams],
                         dict[str, Any]] | None = None

    def __post_init__(self):
        names = {s.name for s in self.states}
        for t in self.transitions:
            unknown = (set(t.sources) | ({t.dest} - {STAY})) - names
            if unknown:
                raise ValueError(f"{self.kind}.{t.trigger}: unknown states {sorted(unknown)}")
            if any(s.terminal for s in self.states if s.name in t.sources):
                raise ValueError(f"{self.kind}.{t.trigger} leaves a terminal state")
        for trigger in self.triggers:
            specs = self.specs_for(trigger)
            if len({(s.authority, s.unit, s.role, s.inputs) for s in specs}) > 1:
                raise ValueError(f"{self.kind}.{trigger}: one trigger, one authority and inputs")
        seen = set()
        for t in self.transitions:
            for source in t.sources:
                if (t.trigger, source) in seen:
                    raise ValueError(f"{self.kind}.{t.trigger} declared twice from {source}")
                seen.add((t.trigger, source))

    @property
    def state_names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.states)

    @property
    def triggers(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(t.trigger for t in self.transitions))

    def state(self, name: str) -> StateSpec:
        for s in self.states:
            if s.name == name:
                return s
        raise KeyError(name)

    def transitions_from(self, state: str) -> tuple[TransitionSpec, ...]:
        return tuple(t for t in self.transitions if state in t.sources)

    def specs_for(self, trigger: str) -> tuple[TransitionSpec, ...]:
        return tuple(t for t in self.transitions if t.trigger == trigger)

    def timers_of(self, state: str) -> tuple[TimerSpec, ...]:
        return self.state(state).timers

    def timer(self, name: str) -> TimerSpec:
        for s in self.states:
            for t in s.timers:
                if t.name == name:
                    return t
        raise KeyError(name)

    def fire(self, state: str, trigger: str, facts: Facts) -> tuple[str, TransitionSpec] | Refusal:
        """Run `trigger` from `state` through the shared machine.

        Returns (new state, the spec taken), or the Refusal of the first failing guard.
        Raises KeyError for an unknown trigger and NotFromState when the state does not allow it.
        """
        from transitions import MachineError  # loaded by build_machine already

        event = build_machine(self).events.get(trigger)
        if event is None:
            raise KeyError(trigger)
        token = CaseToken(state)
        try:
            moved = event.trigger(token, facts=facts)
        except MachineError:
            raise NotFromState(trigger) from None
        if not moved:
            return token.refusal  # type: ignore[return-value]
        return token.state, token.taken  # type: ignore[return-value]
