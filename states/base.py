"""Rulebook specs: lifecycles, transitions, guards, inputs and timers, as immutable data.

A lifecycle module (`states/liquidation.py`, …) declares one `Lifecycle`. From it `machine()`
builds one shared `transitions.Machine` — never one per case (pytransitions #146/#434: a Machine
per object is slow and heavy). The engine runs a case through it on a light `CaseToken`.
Nothing here does I/O: guards read `Facts` the engine gathered inside its transaction.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from functools import cache
from typing import Any

from cee_workflow.states.authority import Authority, Role
from cee_workflow.states.calendar import add_period, out_of_range, roll_forward
from cee_workflow.states.params import RuleParams
from cee_workflow.states.reads import Reads

STAY = "="  # a transition that keeps the state (e.g. amending a protest)


@dataclass(frozen=True)
class ProtestOnEntry:
    """An open protest naming an entry, as another protest's guards see it: what it protests,
    for which category of merchandise, by whom (1514(c)(1); 19 CFR 174.15)."""

    id: str
    protested: str = "liquidation"
    merchandise: str = ""  # the category of merchandise; "" = the whole entry
    party: str = ""
    role: str = "importer"
    filed_on: date | None = None
    consolidated_with: str | None = None  # the first protest of its consolidated group


@dataclass(frozen=True)
class EntryFacts:
    """What a guard may know of one entry the case concerns."""

    number: str
    importer: str
    port: str
    entry_date: date
    liquidation_case: str | None = None
    liquidation_state: str | None = None
    liquidated_on: date | None = None  # the latest liquidation or reliquidation
    open_protests: tuple[str, ...] = ()
    protests: tuple[ProtestOnEntry, ...] = ()  # the open protests, with what they are about
    original_liquidated_on: date | None = None  # the first liquidation (1514(d); 174.16)
    # What the latest reliquidation changed (issue categories), where it recorded it.
    reliquidated_issues: tuple[str, ...] | None = None
    # What a post-summary correction needs to know (19 CFR 101.9(b), REFERENCE.md §3):
    open_pscs: tuple[str, ...] = ()  # PSCs filed and not yet resolved
    pscs_in_review: tuple[str, ...] = ()  # of those, the ones in the center's team review
    summary_version: int = 1  # the entry summary's version: each accepted PSC raises it
    summary_under_review: bool = False  # CBP review opened by a center officer
    scheduled_liquidation: date | None = None  # the date the entry is set to liquidate
    liquidation_deadline: date | None = None  # deemed liquidation: 1 year, or as extended
    importer_extended: bool = False  # extended at the importer's request (reason 02)
    adcvd_suspended: bool = False  # liquidation suspended for AD/CVD (reason 04/05)
    # Its merchandise's presentation for examination and release, and the deemed exclusion
    # recorded (19 U.S.C. 1499(c)(5)(A); states/liquidation_exclusion.py).
    presented_on: date | None = None
    released_on: date | None = None
    deemed_excluded_on: date | None = None

    def __str__(self) -> str:
        """The entry number as printed on the summary: 112-7296677-8."""
        n = self.number
        return f"{n[:3]}-{n[3:10]}-{n[10:]}"


@dataclass(frozen=True)
class Acting:
    """Who takes a FILER action, as the rulebook sees it (from the established actor, never an
    input): the protestant of record — the importer's number or a party's id — its role, and the
    agent acting for it, if any (19 U.S.C. 1514(c)(2); workflow/parties.py)."""

    party: str
    role: str = "importer"
    agent: str | None = None


@dataclass(frozen=True)
class Facts:
    """Everything a guard, effect or timer may read. Built by the engine, inside the transaction."""

    today: date  # the legal date (America/New_York) of the action
    data: Mapping[str, Any]  # the case's data before the transition
    inputs: Mapping[str, Any] = field(default_factory=dict)
    entries: tuple[EntryFacts, ...] = ()
    params: RuleParams = field(default_factory=RuleParams)
    via: str | None = None  # the case whose transition cascaded into this one
    # The case's own importer and routing division (partnership | validation): an opening
    # transition has no case data yet to read them from.
    importer: str | None = None
    division: str | None = None
    acting: Acting | None = None  # a FILER action's protestant (None: an officer, the system)

    def legal(self, name: str) -> date:
        """The legal date `name` given with the transition (a `LegalDate` input), or today."""
        return iso(self.inputs.get(name)) or self.today


def iso(value: Any) -> date | None:
    """A date kept in case data (ISO text) as a date."""
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)


@dataclass(frozen=True)
class Guard:
    """A rule a transition must satisfy. `check` returns None, or why not and what to do."""

    name: str
    citation: str
    check: Callable[[Facts], str | None]


@dataclass(frozen=True)
class Refusal:
    guard: Guard
    reason: str


@dataclass(frozen=True)
class Input:
    """A value given with a transition (`--set name=value`)."""

    name: str
    help: str
    kind: str = "text"  # text | date | choice | bool | amount | port
    choices: tuple[str, ...] = ()
    required: bool = False
    default: Any = None

    def parse(self, raw: Any) -> Any:
        """The value as the rulebook uses it; ValueError with a message a person can act on."""
        if self.kind == "date":
            try:
                day = raw if isinstance(raw, date) else date.fromisoformat(str(raw))
            except ValueError:
                raise ValueError(f"{self.name} must be a date YYYY-MM-DD, not {raw!r}") from None
            if (why := out_of_range(day)) is not None:
                raise ValueError(f"{self.name}: {why}")
            return day.isoformat()
        if self.kind == "bool":
            text = str(raw).strip().lower()
            if text in ("1", "true", "yes", "y"):
                return True
            if text in ("0", "false", "no", "n"):
                return False
            raise ValueError(f"{self.name} must be yes or no, not {raw!r}")
        if self.kind == "amount":
            return _parse_amount(self.name, raw)
        text = str(raw).strip()
        if self.kind == "port" and not _PORT_CODE.match(text):
            # Whether the port exists is the engine's to check: the rulebook does no I/O.
            raise ValueError(f"{self.name} must be a port code (4 digits), not {raw!r}")
        if self.kind == "choice" and text not in self.choices:
            raise ValueError(f"{self.name} must be one of {', '.join(self.choices)}, not {raw!r}")
        if not text:
            raise ValueError(f"{self.name} must not be empty")
        return text


_PORT_CODE = re.compile(r"^\d{4}$")


MAX_AMOUNT = Decimal("1e15")  # a quadrillion dollars: beyond any duty, tender or loss


@dataclass(frozen=True)
class Bound:
    """An act a legal date cannot precede: `label` names it in the refusal ("the filing of the
    protest"), `read` finds its date in the facts (case data, entries, other inputs; None when
    the case has no such act)."""

    label: str
    read: Callable[[Facts], date | None]
    citation: str = ""


def data_bound(key: str, label: str, citation: str = "") -> Bound:
    """A bound read from the case data (an ISO date kept under `key`)."""
    return Bound(label, lambda f: iso(f.data.get(key)), citation)


@dataclass(frozen=True)
class LegalDate(Input):
    """A dated legal act: the date the law counts from (mailed, received, posted, decided).

    The one mechanism every lifecycle uses for such dates (REFERENCE.md §6). The event's `at` is
    always the real instant the act was recorded (the clock, UTC, never backdated); the legal
    date is an input of the transition, so the event data — and with it the hash chain — carries
    it, `cee case show`/`history` print it beside the instant, and the transition's effect writes
    it into the case data where timers anchor on it (`Facts.legal(name)` reads it).

    - `required=False` (the default): the date is today unless given; the help says so.
    - Malformed or impossible (2025-02-30), or after today: `InvalidInput` (CLI exit 2).
    - Before one of `not_before` (the act it follows: a request not mailed before its protest
      was filed): refused as a rule (`RuleViolation`, exit 5), naming the bound and its date.
    - `citation`: the rule that makes the date count.
    """

    kind: str = "date"
    citation: str = ""
    not_before: tuple[Bound, ...] = ()
    # False: an act that may not have happened at all (a demand on a surety's bond): not given,
    # it is absent, not today.
    today_by_default: bool = True

    def __post_init__(self):
        if self.kind != "date":
            raise ValueError(f"legal date {self.name} must be of kind date")
        if not self.required and "default" not in self.help:
            tail = "(default: today)" if self.today_by_default else "(default: none)"
            object.__setattr__(self, "help", f"{self.help} {tail}")

    def too_late(self, value: str, today: date) -> str | None:
        """Why `value` (ISO) cannot be this act's date as of `today`, or None."""
        if date.fromisoformat(value) > today:
            return (f"{self.name} {value} is after today ({today}): a legal date cannot be "
                    "in the future")
        return None

    def guards(self) -> tuple[Guard, ...]:
        """Its bounds as guards of the transition (checked with the rulebook's own)."""
        return tuple(Guard(f"{self.name} not before {b.label}", b.citation or self.citation,
                           self._not_before(b)) for b in self.not_before)

    def _not_before(self, bound: Bound) -> Callable[[Facts], str | None]:
        def check(f: Facts) -> str | None:
            if not self.today_by_default and f.inputs.get(self.name) is None:
                return None
            floor = bound.read(f)
            given = f.legal(self.name)
            if floor is not None and given < floor:
                return (f"{self.name} {given} is before {bound.label} on {floor}; give a date "
                        f"on or after {floor}")
            return None
        return check


def legal_dates(inputs: Mapping[str, Any], spec: TransitionSpec) -> dict[str, Any]:
    """The legal dates among a transition's parsed inputs (what history shows)."""
    return {i.name: inputs[i.name] for i in spec.inputs
            if isinstance(i, LegalDate) and inputs.get(i.name) is not None}


def _parse_amount(name: str, raw: Any) -> str:
    """A sum of money in dollars and cents, kept as text ("12500.00") so JSON keeps it exact."""
    text = str(raw).strip().replace(",", "").removeprefix("$")
    try:
        value = Decimal(text)
        if not value.is_finite() or value < 0 or value >= MAX_AMOUNT or value != round(value, 2):
            value = None
    except (InvalidOperation, ArithmeticError):  # e.g. 1e400: too many digits to round
        value = None
    if value is None:
        raise ValueError(f"{name} must be an amount in dollars and cents, e.g. 12500.00, "
                         f"not {raw!r}")
    return f"{value:.2f}"


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
