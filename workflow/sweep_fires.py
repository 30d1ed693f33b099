"""The sweep's set-based fires: many due timers' SYSTEM transitions in a few statements.

Within a claimed batch, a run of due fires is written together: the deadline rows settled by one
compare-and-set UPDATE, the facts of every case read at once, the guards run through the bulk
path's planner (workflow/bulk_alike.py: the shared machine `apply` runs, once per group of fires
alike — same timer, due instant and what the transition declares it reads — and per case only
its chained hash and bulletin day), and the cases, events and new deadlines written by the
bulletin's batch statement (storage/bulk_alike.py) — the very rows `apply` would write, in the
order the stages fell due. What `apply` does beyond that stays on the sweep's per-row path: a
transition that cascades, sends notices or raises the entry summary's version; a timer with an
`otherwise` fallback; a case with two rows due in the batch. A fire that re-arms other open
cases ends its run, and they re-arm as `apply` re-arms them.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from cee_workflow.states.base import EntryFacts, Refusal, TransitionSpec
from cee_workflow.storage import bulk as writes
from cee_workflow.storage import queries
from cee_workflow.storage.bulk_alike import write_batch
from cee_workflow.storage.sweep_claims import CaseRow, DeadlineRow, settle_many
from cee_workflow.workflow.advance import (
    Context,
    close_followers,
    lifecycle_of,
    parse_inputs,
    rearm,
    rearm_targets,
    scope_of,
)
from cee_workflow.workflow.bulk import naming_facts
from cee_workflow.workflow.bulk_alike import Batch, Planner
from cee_workflow.workflow.entry_facts import closed_states
from cee_workflow.workflow.errors import Conflict, RuleViolation
from cee_workflow.workflow.jurisdiction import SYSTEM, Grant, authorize

Claimed = tuple[DeadlineRow, CaseRow]


@cache
def fires_together(kind: str, timer: str, action: str, state: str) -> bool:
    """Whether a fire of `action` from `state` writes only its own case's rows — or re-arms
    other cases' timers, which the run handles — and so may be written with others: no
    cascade, notice or summary version, no port to check, no fallback trigger."""
    lifecycle = lifecycle_of(kind)
    specs = _leaving(kind, action, state)
    if not specs or lifecycle.timer(timer).otherwise:
        return False
    return not any(s.cascades or s.notices or s.raises_summary_version
                   or any(i.kind == "port" for i in s.inputs) for s in specs)


@cache
def _leaving(kind: str, action: str, state: str) -> tuple[TransitionSpec, ...]:
    return tuple(s for s in lifecycle_of(kind).specs_for(action) if state in s.sources)


@cache
def _rearms(kind: str, action: str, state: str) -> tuple[str, ...]:
    """The kinds of case a fire of `action` from `state` may re-arm (TransitionSpec.rearms)."""
    return tuple(sorted({k for s in _leaving(kind, action, state) for k in s.rearms}))


def fire_run(ctx: Context, run: Sequence[Claimed], *, fresh: bool, sweeper: str,
             listened: bool, result: Any) -> None:
    """Fire the run's timers, in order. `fresh`: the claimed case rows are still current
    (nothing was written in this transaction since the claim); else they are read again."""
    rest = list(run)
    while rest:
        if not fresh:
            rest = _current(ctx, rest, sweeper, result)
        rest = _fire_independent(ctx, rest, sweeper, listened, result)
        fresh = False


def _current(ctx: Context, run: list[Claimed], sweeper: str, result: Any) -> list[Claimed]:
    """The run with its cases read again; a row whose case left the timer's state is
    cancelled (an earlier transition of this batch moved it), never fired."""
    cases = {row.id: CaseRow(*row) for row in
             writes.lock_cases(ctx.session, sorted({d.case_id for d, _ in run}))}
    kept, stale = [], []
    for deadline, _ in run:
        case = cases.get(deadline.case_id)
        if case is None or case.state != deadline.state:
            stale.append(deadline.id)
        else:
            kept.append((deadline, case))
    result.stale += len(settle_many(ctx.session, stale, "cancelled", ctx.now, sweeper))
    return kept


def _fire_independent(ctx: Context, run: list[Claimed], sweeper: str, listened: bool,
                      result: Any) -> list[Claimed]:
    """Fire the longest prefix of `run` whose cases share no entry (one case's transition
    changes the facts another's guards read), ending at the first case whose transition
    re-arms other open cases (as `apply`, right after it); returns the rest, to be read
    afresh."""
    # One statement for the run's entries and their facts (the bulletin's naming read; the
    # cases' own data is the claimed rows', current under their locks): deadline rows settled
    # below change no fact a guard reads.
    ids = [case.id for _, case in run]
    naming = writes.naming_of_cases(ctx.session, ids, own_data=False) if ids else []
    entries, facts_of = naming_facts(naming, ids, data_of={c.id: c.data for _, c in run})
    seen: set[str] = set()
    cut = 0
    for _, case in run:
        named = set(entries[case.id])
        if named & seen:
            break
        seen |= named
        cut += 1
    rearming = [(d, c) for d, c in run[:cut] if _rearms(c.kind, d.action, c.state)]
    # Which of its cases have other open cases to re-arm: the naming rows say. The run's fires
    # write no other case before its last (their cases share no entry), so this holds for it.
    others = _open_others(naming) if rearming else {}
    if rearming:
        for d, c in rearming:
            if others.get(c.id, set()) & set(_rearms(c.kind, d.action, c.state)):
                cut = run.index((d, c)) + 1
                break
    settled = settle_many(ctx.session, [d.id for d, _ in run[:cut]], "fired", ctx.now, sweeper)
    prefix = [(d, c) for d, c in run[:cut] if d.id in settled]  # else another sweep settled it
    if prefix:
        last = _fire(ctx, prefix, {c.id: entries[c.id] for _, c in prefix}, facts_of, sweeper,
                     listened, result)
        if last is not None and others.get(last[0].id, set()) & set(last[1].rearms):
            # The transition moved dates other open cases of its entries follow: they re-arm.
            case, spec = last
            if ctx.session.identity_map:
                ctx.session.expire_all()
            for kind in spec.rearms:  # kind by kind, in id order, as `apply`
                for target in rearm_targets(ctx.session, entries[case.id], (kind,), case.id):
                    rearm(ctx, queries.get_case(ctx.session, target, for_update=True))
    return run[cut:]


def _open_others(naming: list[writes.NamingRow]) -> dict[str, set[str]]:
    """{case: the kinds of the other open cases naming its entries} — `rearm_targets`'
    question for the whole run, answered from its naming rows (every case naming each entry)."""
    others: dict[str, set[str]] = {}
    for row in naming:
        if row.naming_id not in (None, row.case_id) and \
                row.state not in closed_states(row.kind):
            others.setdefault(row.case_id, set()).add(row.kind)
    return others


def _fire(ctx: Context, run: list[Claimed], entries: dict[str, list[str]],
          facts_of: dict[str, EntryFacts], sweeper: str, listened: bool, result: Any
          ) -> tuple[CaseRow, TransitionSpec] | None:
    """Guards, then the writes of the whole run (its deadline rows settled 'fired' already: the
    escalation levels read are those of the other pending rows, as in `apply`). Fires alike —
    same timer, due instant and what the transition reads — are decided once and written once
    per group (workflow/bulk_alike.py: the bulletin's planner and its batch statement).
    Returns the last case of the run and its spec if it fired (its re-arms come next)."""
    levels = writes.escalated_levels(ctx.session, list(entries))
    grants: dict[tuple[str, str, str], tuple[Grant, dict[str, Any]]] = {}
    planner = Planner(Batch(trigger="", actor=SYSTEM.label, note="", now=ctx.now,
                            today=ctx.today, params=ctx.params),
                      lambda row, trigger: grants[(row.kind, trigger, row.state)][1])
    planned: list[CaseRow] = []
    blocked: list[int] = []
    for deadline, case in run:
        action = deadline.action
        key = (case.kind, action, case.state)
        if key not in grants:  # SYSTEM acts by law: one decision for all alike
            spec = next(s for s in _leaving(*key))
            grants[key] = (authorize(spec, SYSTEM, scope_of(case), ctx.today, ctx.params),
                           parse_inputs(spec, {}, ctx.today))
        outcome = planner.plan(case, tuple(facts_of[n] for n in entries[case.id]),
                               grants[key][0], levels.get(case.id, {}), trigger=action,
                               note=f"{deadline.timer} due {deadline.due_at:%Y-%m-%d}")
        if isinstance(outcome, Refusal):
            # The law's condition is not met (a protest still open at finality): the row is
            # blocked — recorded, not fired and not lost; a resolving protest re-arms it.
            refusal = RuleViolation(f"{action} on {scope_of(case, entries[case.id]).id} "
                                    f"refused: {outcome.reason}", outcome.guard.citation,
                                    case=case.id, trigger=action)
            blocked.append(deadline.id)
            result.blocked.append(f"{case.id} {action}: {refusal.message}")
            continue
        planned.append(case)
    states = sorted({case.state for case in planned})
    written, seqs = write_batch(ctx.session, planner.groups, planner.steps, states, ctx.now,
                                seqs=listened)
    if len(written) != len(planned):
        # Unreachable while the batch holds its cases' locks; as in `apply`, never half-done.
        raise Conflict("a case changed while the sweep was firing its timers; sweep again")
    if listened:
        ctx.events.extend(planner.events(seqs))
    for case, spec, step in zip(planned, planner.specs, planner.steps, strict=True):
        # a liquidation closes its entry's open PSCs: one at a time, only those entries
        if spec.closes and any(facts_of[n].open_pscs for n in entries[case.id]):
            if ctx.session.identity_map:
                ctx.session.expire_all()
            close_followers(ctx, case, spec, entries[case.id],
                            planner.groups[step.group].trigger)
    settle_many(ctx.session, blocked, "blocked", ctx.now, sweeper, from_status="fired")
    result.fired.extend(f"{case.id} {group.trigger}" for case, step in
                        zip(planned, planner.steps, strict=True)
                        for group in (planner.groups[step.group],))
    fired_last = planned and planned[-1].id == run[-1][1].id
    return (planned[-1], planner.specs[-1]) if fired_last else None
