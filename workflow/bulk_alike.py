"""A bulk batch decided once per group of cases alike (what the Friday bulletin needs).

In a batch, today, the inputs, the parameters, the actor and the instant are the same for every
case; a transition's guards and effect read of each case only what its spec declares
(`TransitionSpec.reads`, states/reads.py), and its timers only the data keys theirs name. So
the first case of each group equal in those values is run the way a single advance runs it —
the shared machine, the guards, the effect, `timer_rows` — and the others of its group take the
same outcome, changes, event data and timers; per case remain its chained hash (spliced into the
group's canonical event, workflow/audit.CanonicalTemplate), its bulletin day and any escalation
level its pending deadlines carry on.

Honest by construction: the first case of a group runs on facts that record what its guards,
effect and timers read. If they read anything its spec did not declare (a rulebook edit that
forgot to), the group is not shared: each of its cases is decided on its own. A refusal is never
shared either (its reason names the case). A spec that declares nothing is decided case by case,
exactly as `workflow.advance.apply` decides: correct, slower.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from typing import Any

from cee_workflow.states.base import (
    STAY,
    EntryFacts,
    Facts,
    Lifecycle,
    Refusal,
    TransitionSpec,
    iso,
)
from cee_workflow.states.params import RuleParams
from cee_workflow.states.reads import Reads
from cee_workflow.storage.bulk_alike import Group, Step
from cee_workflow.workflow.advance import arming_data, event_data, lifecycle_of, moves_timers
from cee_workflow.workflow.audit import CanonicalTemplate
from cee_workflow.workflow.jurisdiction import Grant
from cee_workflow.workflow.timers import carry_levels, timer_rows
from cee_workflow.workflow.views import EventView, jsonable

_ALONE = object()  # a group key whose cases are decided one by one


@dataclass(frozen=True)
class Batch:
    """What every case of the batch shares."""

    trigger: str
    actor: str
    note: str
    now: datetime
    today: date
    params: RuleParams


class Planner:
    """Plans a batch's transitions, case by case in order, sharing what cases alike share."""

    def __init__(self, batch: Batch, inputs_of: Callable[[Any, str], Mapping[str, Any]]):
        # inputs_of(row, trigger): the parsed inputs of the trigger taken from the row's state
        self.batch, self.inputs_of = batch, inputs_of
        self._trigger, self._note = batch.trigger, batch.note  # of the case being planned
        self.groups: list[Group] = []
        self.steps: list[Step] = []
        self.specs: list[TransitionSpec] = []  # the spec each step takes
        self._templates: list[CanonicalTemplate] = []  # per group
        self._events: list[dict[str, Any]] = []  # per group: the event's shared fields
        self._decided: dict[tuple, Any] = {}  # key → _Decision, or _ALONE
        self._armed: dict[tuple, int] = {}  # (key, the timers' data) → group
        self._escalation: list[int] = []  # per group: the highest level of its timers
        self._days: dict[Any, date | None] = {}  # a bulletin day as kept in data → the date
        self._lifecycles: dict[str, Lifecycle] = {}

    def plan(self, row: Any, entries: tuple[EntryFacts, ...], grant: Grant,
             levels: Mapping[tuple[str, datetime], int], *, trigger: str | None = None,
             note: str | None = None) -> Refusal | None:
        """Plan `row`'s transition (a new step), or return the Refusal of its guards.
        `trigger`, `note`: this case's, where they are not the batch's (the sweep's fires)."""
        lifecycle = self._lifecycles.get(row.kind) or self._lifecycles.setdefault(
            row.kind, lifecycle_of(row.kind))
        self._trigger = trigger or self.batch.trigger
        self._note = self.batch.note if note is None else note
        reads = _reads(lifecycle, self._trigger, row.state)
        key = None if reads is None else (self._trigger, self._note,
                                          *_key(row, entries, grant, reads))
        decision = self._decided.get(key, _ALONE) if key is not None else _ALONE
        if key is not None and key not in self._decided:
            decision, shareable = self._decide(lifecycle, row, entries, reads)
            if isinstance(decision, Refusal):  # a refusal names its case: never shared
                self._decided[key] = _ALONE
                return decision
            self._decided[key] = decision if shareable else _ALONE
            if not shareable:
                key = None
        elif decision is _ALONE:
            key = None
            decision, _ = self._decide(lifecycle, row, entries, None)
            if isinstance(decision, Refusal):
                return decision
        self._add(lifecycle, row, entries, grant, decision, key, levels)
        return None

    def _decide(self, lifecycle: Lifecycle, row: Any, entries: tuple[EntryFacts, ...],
                reads: Reads | None) -> tuple[Any, bool]:
        """The case's outcome and changes, run as `apply` runs them; and whether they read
        nothing but what `reads` declares (then cases alike in it share them)."""
        seen: set[tuple[str, str]] = set()
        if reads is not None:
            try:
                return self._run(lifecycle, row, _Recorded(row.data, seen, "data"),
                                 tuple(_RecordedEntry(e, seen) for e in entries)), \
                    seen <= ({("data", k) for k in reads.data}
                             | {("entry", k) for k in reads.entries})
            except Exception:  # a rule that cannot run on recorded facts runs on plain ones
                pass
        return self._run(lifecycle, row, row.data, entries), False

    def _run(self, lifecycle: Lifecycle, row: Any, data: Mapping[str, Any],
             entries: tuple[Any, ...]) -> Any:
        facts = Facts(today=self.batch.today, data=data,
                      inputs=self.inputs_of(row, self._trigger),
                      entries=entries, params=self.batch.params, importer=row.importer,
                      division=row.division)
        outcome = lifecycle.fire(row.state, self._trigger, facts)
        if isinstance(outcome, Refusal):
            return outcome
        dest, spec = outcome
        changes = spec.effect(facts) if spec.effect else {}
        return _Decision(row.state if spec.dest == STAY else dest, spec, dict(changes))

    def _add(self, lifecycle: Lifecycle, row: Any, entries: tuple[EntryFacts, ...],
             grant: Grant, decision: _Decision, key: Any,
             levels: Mapping[tuple[str, datetime], int]) -> None:
        changes = decision.changes
        if decision.timer_keys is _UNSET:
            keys = _timer_keys(lifecycle, decision.state, decision.spec)
            decision.timer_keys = None if keys is None else tuple(
                k for k in keys if k not in changes)
        if key is not None and decision.timer_keys is not None:
            data = row.data
            armed_key = (key, tuple([_hashable(data.get(k)) for k in decision.timer_keys]))
            number = self._armed.get(armed_key)
            if number is None:
                number, shareable = self._new_group(lifecycle, row, entries, grant, decision,
                                                    _timer_keys(lifecycle, decision.state,
                                                                decision.spec))
                if shareable:
                    self._armed[armed_key] = number
        else:
            number, _ = self._new_group(lifecycle, row, entries, grant, decision, None)
        group = self.groups[number]
        armed, escalation = None, row.escalation
        if group.moves_timers:
            escalation = self._escalation[number]
            if levels and any((t["timer"], t["due_at"]) in levels for t in group.timers):
                # the same deadline runs on, escalated already: its level carries on
                armed = [{**t, "case_id": row.id, "armed_version": row.version + 1}
                         for t in group.timers]
                carry_levels(armed, levels, self.batch.params)
                escalation = max((t["level"] for t in armed), default=0)
        day = changes["scheduled_for"] if "scheduled_for" in changes \
            else row.data.get("scheduled_for")
        if day not in self._days:
            self._days[day] = iso(day)
        self.steps.append(Step(
            row.id, row.version, number, row.event_count, row.head_hash,
            self._templates[number].hash(row.head_hash, row.id, row.event_count + 1),
            escalation, self._days[day], armed))
        self.specs.append(decision.spec)

    def _new_group(self, lifecycle: Lifecycle, row: Any, entries: tuple[EntryFacts, ...],
                   grant: Grant, decision: _Decision, keys: tuple[str, ...] | None
                   ) -> tuple[int, bool]:
        """A group made from `row`: its timers armed as `transition_values` arms them; shared
        only if they read no data but `keys` and the changes."""
        spec, changes, b = decision.spec, decision.changes, self.batch
        seen: set[tuple[str, str]] = set()
        timers: list[dict[str, Any]] = []
        if moves_timers(spec):
            merged: Mapping[str, Any] = {**row.data, **changes}
            if keys is not None:
                merged = _Recorded(merged, seen, "data")
            else:
                merged = arming_data(lifecycle, merged, entries, b.params)
            timers = [{k: v for k, v in t.items() if k not in ("case_id", "armed_version")}
                      for t in timer_rows(lifecycle, decision.state, row.id, row.version + 1,
                                          merged, b.params)]  # type: ignore[arg-type]
        shareable = keys is not None and {k for _, k in seen} <= set(keys) | set(changes)
        evdata = jsonable(event_data(spec, self.inputs_of(row, self._trigger), changes, None))
        event = {"at": b.now.astimezone(UTC), "actor": b.actor, "authority": grant.authority,
                 "regime": grant.regime, "trigger": self._trigger, "from_state": row.state,
                 "to_state": decision.state, "note": self._note, "data": evdata}
        self.groups.append(Group(
            state=decision.state, changes=jsonable(changes),
            event_data=json.dumps(evdata, sort_keys=True, separators=(",", ":"),
                                  ensure_ascii=False),
            actor=b.actor, authority=grant.authority, regime=grant.regime,
            trigger=self._trigger, from_state=row.state, to_state=decision.state, note=self._note,
            moves_timers=moves_timers(spec), timers=tuple(timers)))
        self._templates.append(CanonicalTemplate(event))
        self._escalation.append(max((t["level"] for t in timers), default=0))
        self._events.append(event)
        return len(self.groups) - 1, shareable

    def events(self, seqs: Mapping[str, int]) -> Iterator[EventView]:
        """The views of the events written (`seqs`: {case: seq}), in the order planned."""
        for step in self.steps:
            if step.id in seqs:
                yield EventView(seq=seqs[step.id], hash=step.hash, case_id=step.id,
                                case_seq=step.event_count + 1, **self._events[step.group])


_UNSET = object()


class _Decision:
    """A transition's outcome for a case: the state written, the spec taken, the changes (and,
    once known, the data keys its timers read that the changes do not set)."""

    __slots__ = ("state", "spec", "changes", "timer_keys")

    def __init__(self, state: str, spec: TransitionSpec, changes: dict[str, Any]):
        self.state, self.spec, self.changes = state, spec, changes
        self.timer_keys: Any = _UNSET


@cache
def _reads(lifecycle: Lifecycle, trigger: str, state: str) -> Reads | None:
    """What every spec of `trigger` leaving `state` declares it reads (None: one does not)."""
    specs = [s for s in lifecycle.specs_for(trigger) if state in s.sources]
    if not specs or any(s.reads is None for s in specs):
        return None
    merged = {"data": [], "entries": [], "case": []}
    for spec in specs:
        for part, values in merged.items():
            values.extend(v for v in getattr(spec.reads, part) if v not in values)
    return Reads(**{part: tuple(values) for part, values in merged.items()})


@cache
def _timer_keys(lifecycle: Lifecycle, state: str, spec: TransitionSpec) -> tuple[str, ...] | None:
    """The data keys the timers armed in `state` read, or None if that is not declared."""
    if not moves_timers(spec):
        return ()
    if lifecycle.timer_data is not None:  # dates that follow other cases: case by case
        return None
    keys: list[str] = []
    for timer in lifecycle.timers_of(state):
        read = timer.data_read()
        if read is None:
            return None
        keys.extend(k for k in read if k not in keys)
    return tuple(keys)


def _key(row: Any, entries: tuple[EntryFacts, ...], grant: Grant, reads: Reads) -> tuple:
    """What makes two cases of a batch alike for `reads`."""
    return (row.kind, row.state, grant.authority, grant.regime,
            tuple(_hashable(row.data.get(k)) for k in reads.data),
            tuple(tuple(_hashable(getattr(e, f)) for f in reads.entries) for e in entries),
            tuple(getattr(row, name) for name in reads.case), len(entries))


def _hashable(value: Any) -> Any:
    if isinstance(value, dict | list):
        return ("json", json.dumps(value, sort_keys=True, default=str))
    return value


class _Recorded(Mapping):
    """A case's data that records the keys read (iterating it reads every key: "*")."""

    __slots__ = ("_data", "_seen", "_part")

    def __init__(self, data: Mapping[str, Any], seen: set[tuple[str, str]], part: str):
        self._data, self._seen, self._part = data, seen, part

    def __getitem__(self, key: str) -> Any:
        self._seen.add((self._part, key))
        return self._data[key]

    def __contains__(self, key: object) -> bool:
        self._seen.add((self._part, str(key)))
        return key in self._data

    def __iter__(self) -> Iterator[str]:
        self._seen.add((self._part, "*"))
        return iter(self._data)

    def __len__(self) -> int:
        self._seen.add((self._part, "*"))
        return len(self._data)


class _RecordedEntry:
    """An entry's facts that record the fields read."""

    __slots__ = ("_facts", "_seen")

    def __init__(self, facts: EntryFacts, seen: set[tuple[str, str]]):
        self._facts, self._seen = facts, seen

    def __getattr__(self, name: str) -> Any:
        self._seen.add(("entry", name))
        return getattr(self._facts, name)

    def __str__(self) -> str:
        self._seen.add(("entry", "number"))
        return str(self._facts)
