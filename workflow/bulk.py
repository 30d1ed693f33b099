"""Bulk transitions: one trigger on many cases, set-based, in batches (the Friday bulletin).

Authority and jurisdiction are checked once per group of cases (same kind, port and center — and
importer, for a filer's trigger) before anything is written. Then each batch is one transaction:
lock the batch's cases in id order (case before deadline, as every advance and the sweep do),
run the transition's guards per case — a refused case is skipped and reported, not failed —,
compute each case's new data, chained event and timers with the very code a single advance
uses (workflow/advance.py), and write them with a few statements: one compare-and-set
UPDATE … FROM (VALUES …) RETURNING, one UPDATE cancelling the old state's deadlines, and
multi-row INSERTs of the events and the new deadlines. A case changed since it was selected is
skipped and reported. An interruption leaves whole batches done and the rest untouched; a re-run
finds only what is left, so nothing is done twice. Subscribers hear each batch after its commit.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from cee_workflow.states.base import STAY, EntryFacts, Facts, TransitionSpec, iso
from cee_workflow.states.calendar import legal_date
from cee_workflow.states.liquidation import BULLETIN_RUN_GUARDS, BULLETIN_TRIGGER, LIQUIDATION
from cee_workflow.storage import bulk as writes
from cee_workflow.storage import queries, single
from cee_workflow.storage.bulk_alike import write_batch
from cee_workflow.storage.database import transaction
from cee_workflow.workflow.advance import (
    Context,
    apply,
    close_followers,
    entry_facts,
    lifecycle_of,
    parse_inputs,
)
from cee_workflow.workflow.bulk_alike import Batch, Planner
from cee_workflow.workflow.entry_facts import entry_fact_from_naming
from cee_workflow.workflow.errors import InvalidInput, RuleViolation, UnknownTrigger
from cee_workflow.workflow.jurisdiction import Actor, CaseScope, Grant, Officer, authorize
from cee_workflow.workflow.lock_order import kind_of, reaches_other_cases

DEFAULT_BATCH_SIZE = 1000
MAX_BATCH_SIZE = 10_000  # a batch's ids go into IN lists: stay well within bound-parameter limits
Progress = Callable[[int, int], None]  # (cases handled so far, done or skipped; total)


@dataclass
class BulkResult:
    done: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (case id, why)
    seconds: float = 0.0
    batches: int = 0

    @property
    def rate(self) -> float:
        """Cases advanced per second."""
        return self.done / self.seconds if self.seconds > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"done": self.done, "skipped": [{"case": c, "why": w} for c, w in self.skipped],
                "seconds": round(self.seconds, 3), "batches": self.batches,
                "rows_per_second": round(self.rate, 1)}


@dataclass(frozen=True)
class Selection:
    """Cases chosen in SQL: of a kind, in one of `states`, optionally of a center or port and
    scheduled for a day (the bulletin). Matched again, under lock, batch by batch."""

    kind: str
    states: tuple[str, ...]
    center: str | None = None
    port: str | None = None
    scheduled_for: date | None = None

    def changed(self, row: Any) -> str | None:
        """Why a case selected earlier no longer matches (None: it still does)."""
        if row.state not in self.states:
            return f"is now {row.state}, no longer {' or '.join(self.states)}"
        if self.scheduled_for is not None:
            day = iso(row.data.get("scheduled_for"))
            if day != self.scheduled_for:
                return f"was rescheduled for {day}" if day else "is no longer scheduled"
        return None


@dataclass
class _Run:
    """One bulk run: what every batch shares."""

    engine: Any
    trigger: str
    actor: Actor
    note: str
    raw_inputs: Mapping[str, Any]
    selection: Selection | None
    result: BulkResult
    inputs: dict[str, dict[str, Any]] = field(default_factory=dict)  # parsed, per kind
    _specs: dict[str, tuple[TransitionSpec, ...]] = field(default_factory=dict)
    _sources: dict[str, list[str]] = field(default_factory=dict)

    def specs(self, kind: str) -> tuple[TransitionSpec, ...]:
        if kind in self._specs:
            return self._specs[kind]
        lifecycle = lifecycle_of(kind)
        specs = lifecycle.specs_for(self.trigger)
        if not specs:
            from cee_workflow.workflow.suggest import did_you_mean

            raise UnknownTrigger(f"{kind} has no trigger {self.trigger!r}"
                                 + did_you_mean(self.trigger, lifecycle.triggers,
                                                what="triggers"), trigger=self.trigger)
        if kind not in self.inputs:
            self.inputs[kind] = parse_inputs(specs[0], self.raw_inputs,
                                              legal_date(self.engine.clock.now()))
        self._specs[kind] = specs
        return specs

    def sources(self, kind: str) -> list[str]:
        """The states `trigger` leaves, for cases of `kind`."""
        if kind not in self._sources:
            self._sources[kind] = sorted({s for spec in self.specs(kind) for s in spec.sources})
        return self._sources[kind]

    def arming_timers(self, rows: list[Any]) -> set[str]:
        """The timers the trigger may arm on these cases: of every state a spec leaving a
        case's state ends in (its own, where it stays). Only their escalation can carry on
        (workflow/timers.carry_levels: the same timer, due the same instant)."""
        names: set[str] = set()
        for kind, state in {(row.kind, row.state) for row in rows}:
            lifecycle = lifecycle_of(kind)
            for spec in self.specs(kind):
                if state in spec.sources:
                    dest = state if spec.dest == STAY else spec.dest
                    names.update(timer.name for timer in lifecycle.timers_of(dest))
        return names

    def authorize(self, row: Any, day: date) -> Grant:
        """Authority and jurisdiction over the group the case belongs to."""
        return authorize(self.specs(row.kind)[0], self.actor, _scope(row), day,
                         self.engine.params)


def _scope(row: Any) -> CaseScope:
    return CaseScope(id=row.id, importer=row.importer, port=row.port, center=row.center,
                     case_id=row.id)


def _group(spec: TransitionSpec, row: Any) -> tuple[str, ...]:
    """What `authorize` reads of a case: cases alike in it share one decision."""
    importer = row.importer if spec.authority.value == "FILER" else ""
    return row.kind, row.port, row.center, importer


def advance_many(engine, trigger: str, *, actor: Actor, cases: Iterable[str] | Selection,
                 note: str = "", inputs: Mapping[str, Any] | None = None,
                 batch_size: int | None = None, progress: Progress | None = None
                 ) -> BulkResult:
    """Take `trigger` on every case of `cases` (ids, or a Selection) as `actor`, in batches."""
    started = time.perf_counter()
    size = DEFAULT_BATCH_SIZE if batch_size is None else batch_size
    if not 1 <= size <= MAX_BATCH_SIZE:
        raise InvalidInput(f"the batch size must be from 1 to {MAX_BATCH_SIZE}, not {size}")
    selection = cases if isinstance(cases, Selection) else None
    run = _Run(engine, trigger, actor, note, inputs or {}, selection, BulkResult())
    ids = _select(run, cases)
    total = len(ids)
    for start in range(0, total, size):
        events = _batch(run, ids[start:start + size])
        engine._notify(events)
        run.result.batches += 1
        run.result.seconds = time.perf_counter() - started
        if progress is not None:
            progress(min(start + size, total), total)
    run.result.seconds = time.perf_counter() - started
    return run.result


def liquidate_bulletin(engine, day: date, *, actor: Actor, center: str | None = None,
                       batch_size: int | None = None, progress: Progress | None = None
                       ) -> BulkResult:
    """Liquidate every entry of `center` (default: the actor's) scheduled for the Friday
    bulletin of `day`, by the center's `liquidate` (19 CFR 159.9(c)(1)), type 1 by default."""
    today = legal_date(engine.clock.now())
    is_center_officer = isinstance(actor, Officer) and actor.office_kind == "center"
    if center is None:
        if not is_center_officer:
            raise InvalidInput("name the center whose bulletin to liquidate (--center CODE)")
        center = actor.office
    # Authority before anything is read; port jurisdiction, for a port director who shared
    # center authority (Delegation Order 14-004), is checked per group of cases.
    port = actor.office if isinstance(actor, Officer) and not is_center_officer else ""
    spec = LIQUIDATION.specs_for(BULLETIN_TRIGGER)[0]
    authorize(spec, actor, CaseScope(id=f"the bulletin of {day} of center {center}",
                                     importer="", port=port, center=center), today,
              engine.params)
    facts = Facts(today=today, data={"scheduled_for": day.isoformat()}, params=engine.params)
    for guard in BULLETIN_RUN_GUARDS:
        reason = guard.check(facts)
        if reason:
            raise RuleViolation(f"the bulletin of {day} cannot be liquidated: {reason}",
                                guard.citation, trigger=BULLETIN_TRIGGER)
    selection = Selection(LIQUIDATION.kind, (spec.sources), center=center, scheduled_for=day)
    return advance_many(engine, BULLETIN_TRIGGER, actor=actor, cases=selection,
                        batch_size=batch_size, progress=progress)


def _select(run: _Run, cases: Iterable[str] | Selection) -> list[str]:
    """The ids to work on, in order, after authority and jurisdiction over every group of them
    were checked (NotPermitted before anything is written)."""
    today = legal_date(run.engine.clock.now())
    ids: list[str] = []
    checked: set[tuple[str, ...]] = set()
    with transaction(run.engine.db, write=False) as session:
        if isinstance(cases, Selection):
            run.specs(cases.kind)
            rows: Iterable[Any] = writes.select_ids(
                session, kind=cases.kind, states=cases.states, center=cases.center,
                port=cases.port, scheduled_for=cases.scheduled_for)
        else:
            wanted = list(dict.fromkeys(cases))
            rows = _scopes(session, wanted)
            found = set()
        for row in rows:
            ids.append(row.id)
            key = _group(run.specs(row.kind)[0], row)
            if key not in checked:
                run.authorize(row, today)
                checked.add(key)
            if not isinstance(cases, Selection):
                found.add(row.id)
    if not isinstance(cases, Selection):
        run.result.skipped.extend((case_id, "not found") for case_id in wanted
                                  if case_id not in found)
        order = {case_id: n for n, case_id in enumerate(wanted)}
        ids.sort(key=order.__getitem__)
    return ids


def _scopes(session, ids: list[str], page: int = 1000):
    for start in range(0, len(ids), page):
        yield from writes.scopes_of(session, ids[start:start + page])


def _batch(run: _Run, ids: list[str]) -> list:
    """One transaction: lock, check, compute, write. Returns the events written."""
    engine = run.engine
    with transaction(engine.db) as session:
        # A trigger that writes other cases takes the global lock order up front: its cases and
        # every case naming their entries, in id order (storage/lock_order.py), in one statement.
        reaching = any(reaches_other_cases(kind_of(case_id), run.trigger) for case_id in ids)
        locked = writes.lock_cases(session, ids, neighbours=reaching)
        # The instant once the batch's cases are locked: an officer's advance that committed
        # while this batch waited for them is earlier than this batch's events (audit verify
        # checks that a case's events never go backwards).
        now = engine.clock.now()
        ctx = Context(session=session, now=now, today=legal_date(now), params=engine.params)
        rows = []
        for row in locked:
            why = _why_not(run, row)
            if why:
                run.result.skipped.append((row.id, why))
            else:
                rows.append(row)
        if any(s.cascades or s.rearms or s.notices for row in rows for s in run.specs(row.kind)):
            _one_at_a_time(run, ctx, rows)
        else:
            _set_based(run, ctx, rows)
    return ctx.events


def _why_not(run: _Run, row: Any) -> str | None:
    """Why a locked case is skipped before its guards run: it changed since it was selected."""
    if run.selection is not None:
        why = run.selection.changed(row)
        if why:
            return why
    sources = run.sources(row.kind)
    if row.state not in sources:
        return f"is {row.state}; {run.trigger} is possible only from {', '.join(sources)}"
    return None


def _set_based(run: _Run, ctx: Context, rows: list[Any]) -> None:
    """Guards once per group of cases alike (workflow/bulk_alike.py); the writes of the whole
    batch in a few statements (storage/bulk_alike.py)."""
    session, result = ctx.session, run.result
    entries, facts_of, levels = batch_facts(session, [row.id for row in rows],
                                            data_of={row.id: row.data for row in rows},
                                            timers=run.arming_timers(rows))
    grants: dict[tuple[str, ...], Grant] = {}
    planner = Planner(Batch(run.trigger, run.actor.label, run.note, ctx.now, ctx.today,
                            ctx.params), lambda row, _trigger: run.inputs[row.kind])
    planned: list[Any] = []
    for row in rows:
        key = _group(run.specs(row.kind)[0], row)
        if key not in grants:
            grants[key] = run.authorize(row, ctx.today)
        refusal = planner.plan(row, tuple(facts_of[n] for n in entries[row.id]), grants[key],
                               levels.get(row.id, {}))
        if refusal is not None:
            result.skipped.append((row.id, f"{refusal.reason} ({refusal.guard.citation})"))
        else:
            planned.append(row)
    sources = sorted({s for kind in {row.kind for row in rows} for s in run.sources(kind)})
    listened = bool(run.engine._subscribers)
    written, seqs = write_batch(session, planner.groups, planner.steps, sources, ctx.now,
                                seqs=listened)
    if listened:
        ctx.events.extend(planner.events(seqs))
    for row, spec in zip(planned, planner.specs, strict=True):
        if row.id not in written:  # unreachable while the batch holds its locks
            result.skipped.append((row.id, "was changed by someone else meanwhile"))
        elif spec.closes and any(facts_of[n].open_pscs for n in entries[row.id]):
            if ctx.session.identity_map:
                ctx.session.expire_all()
            close_followers(ctx, row, spec, entries[row.id], run.trigger)
    result.done += len(written)


# --- shared with the sweep's set-based fires (workflow/sweep_fires.py) ----------------------


def batch_facts(session, ids: list[str], entries: dict[str, list[str]] | None = None, *,
                data_of: Mapping[str, Any] | None = None, timers: Iterable[str] | None = None
                ) -> tuple[dict[str, list[str]], dict[str, EntryFacts],
                           dict[str, dict[tuple[str, Any], int]]]:
    """What a batch's guards and timers read, in three statements for the whole batch: each
    case's entry numbers (unless given), each entry's facts, and the escalation levels of
    pending deadlines (of `timers` only, where given: the timers the transition may arm).
    `data_of`: the batch cases' data, read already (not read again)."""
    wanted = None if timers is None else list(timers)
    if entries is None and ids:  # one statement for the entries and their facts
        naming = writes.naming_of_cases(session, ids, own_data=data_of is None)
        return (*naming_facts(naming, ids, data_of=data_of),
                writes.escalated_levels(session, ids, wanted))
    if entries is None:
        entries = {}
    numbers = sorted({n for case_entries in entries.values() for n in case_entries})
    facts_of = {f.number: f for f in entry_facts(session, numbers)} if numbers else {}
    levels = writes.escalated_levels(session, ids, wanted) if ids else {}
    return entries, facts_of, levels


def naming_facts(rows: list[writes.NamingRow], ids: list[str], *,
                 data_of: Mapping[str, Any] | None = None
                 ) -> tuple[dict[str, list[str]], dict[str, EntryFacts]]:
    """Each case's entry numbers and each entry's facts, from the batch's naming rows (the
    same facts `entry_facts` reads, as a single advance gets them from its naming rows).
    `data_of`: the batch cases' own data, where the rows were read without it."""
    if data_of is not None:
        rows = [row._replace(data=data_of[row.case_id]) if row.naming_id == row.case_id
                else row for row in rows]
    entries: dict[str, list[str]] = {case_id: [] for case_id in ids}
    by_entry: dict[str, dict[str | None, single.NamingRow]] = {}
    for row in rows:  # ordered by case, entry, naming case
        case_entries = entries[row.case_id]
        if not case_entries or case_entries[-1] != row.entry:
            case_entries.append(row.entry)
        naming = by_entry.setdefault(row.entry, {})
        if row.naming_id not in naming:
            naming[row.naming_id] = single.NamingRow(*row[1:])
    return entries, {number: entry_fact_from_naming(number, list(naming.values()))
                     for number, naming in sorted(by_entry.items())}


def _one_at_a_time(run: _Run, ctx: Context, rows: list[Any]) -> None:
    """A transition that cascades to other cases runs as single advances (each in a savepoint),
    in the batch's transaction: correct before fast where the rule reaches across cases."""
    for row in rows:
        case = queries.get_case(ctx.session, row.id, for_update=True)
        mark = len(ctx.events)
        savepoint = ctx.session.begin_nested()
        try:
            apply(ctx, case, run.trigger, run.actor, note=run.note, inputs=run.raw_inputs)
            savepoint.commit()
            run.result.done += 1
        except RuleViolation as refusal:
            savepoint.rollback()
            del ctx.events[mark:]
            run.result.skipped.append((row.id, refusal.message))
