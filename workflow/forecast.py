"""The forecast: what the scheduler will do up to a horizon, from the sweep's own predicates.

The scheduler sweeps every minute, so every stage of a pending timer is acted on at its own
instant, and a fire is judged on the legal day it falls due — not on the horizon's day (the
cause of the forecast that said "blocked" for fires the scheduler then made: a guard judged on a
later day, or without the case's importer and division, answers differently). Here, case by
case, the stages falling due by the horizon are taken in the order they fall due, as the sweep
takes them (workflow/sweep.py, workflow/timers.py):

- a warning, overdue or director stage is reported at its instant;
- a fire runs the lifecycle's guards through the shared machine with the facts the sweep reads
  (workflow.bulk.batch_facts: the case's entries, their liquidation cases, open protests and
  PSCs; the case's importer and division), on the legal day it falls due. Refused, it is
  "blocked <action>" with the guard's reason and citation — unless the timer has an
  alternative the guards allow (a PSC failing validation is rejected), which is reported;
- a fire taken moves the case: its other timers of the old state end there (cancelled, as the
  sweep cancels them), and the timers the new state arms are followed on, to the horizon.

What is not followed: the effect of one case's transition on other cases (a liquidation closing
its entry's PSCs, a resolved protest re-arming its entry's liquidation) — each case is forecast
on the facts of the other cases as they are now; a fire whose transition re-arms or cascades to
other cases says so in `affects`. The forecast writes nothing. Rows stream from
one read transaction, a few hundred cases at a time: memory is bounded at any size.
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from itertools import count
from typing import Any

import sqlalchemy as sa

from cee_workflow.states.base import Facts, Refusal
from cee_workflow.states.calendar import legal_date
from cee_workflow.storage import single
from cee_workflow.storage.bulk import CASE, CASE_COLUMNS, DEADLINE
from cee_workflow.storage.database import transaction
from cee_workflow.storage.sweep_claims import DEADLINE_COLUMNS, CaseRow, DeadlineRow
from cee_workflow.workflow.advance import (
    lifecycle_of,
    moves_timers,
    parse_inputs,
    transition_values,
)
from cee_workflow.workflow.bulk import batch_facts
from cee_workflow.workflow.timers import reached, stages

CHUNK = 500  # cases whose facts are read together
STREAM = 2000  # rows fetched from the server at a time
_UNSAVED = 2**63  # the id a row armed by the forecast sorts by


def forecast(engine, until: datetime, *, center: str | None = None,
             importer: Any = None) -> Iterator[dict[str, Any]]:
    """Each stage the scheduler will take by `until`, case by case (in case id order), each
    case's stages in the order they fall due. Streams: nothing is held beyond a chunk."""
    now = min(engine.clock.now(), until)  # a horizon already past: a sweep at it
    with transaction(engine.db, write=False) as session:
        chunk: list[tuple[CaseRow, list[DeadlineRow]]] = []
        admitted = _admitted(session, importer)
        for case, rows in _due_by_case(session, until, center):
            if (case.importer != importer if isinstance(importer, str)
                    else admitted is not None and case.id not in admitted):
                continue  # a filer forecasts its own importer's cases only; a party its own
            chunk.append((case, rows))
            if len(chunk) == CHUNK:
                yield from _forecast_chunk(session, chunk, now, until, engine.params)
                chunk = []
        yield from _forecast_chunk(session, chunk, now, until, engine.params)


def _admitted(session, scope) -> set[str] | None:
    """The ids of the cases a party may forecast (None: a filer, judged by its importer, or
    anyone unconfined)."""
    if scope is None or isinstance(scope, str):
        return None
    import sqlalchemy as sa

    from cee_workflow.storage.reads import CASE, confined

    return set(session.connection().execute(
        sa.select(CASE.c.id).where(confined(CASE.c.id, CASE.c.importer, scope))).scalars())


def summary(verdicts: Iterator[dict[str, Any]]) -> list[dict[str, Any]]:
    """Counts per legal day, center and what would happen (for planning)."""
    counts = Counter((legal_date(datetime.fromisoformat(v["at"])).isoformat(), v["center"],
                      v["would"]) for v in verdicts)
    return [{"day": day, "center": center, "would": would, "count": count}
            for (day, center, would), count in sorted(counts.items())]


def _due_by_case(session, until: datetime, center: str | None
                 ) -> Iterator[tuple[CaseRow, list[DeadlineRow]]]:
    """Pending rows with a stage due by `until`, grouped by case (id order), streamed."""
    statement = (sa.select(*(DEADLINE.c[name] for name in DEADLINE_COLUMNS),
                           *(CASE.c[name].label(f"case_{name}") for name in CASE_COLUMNS))
                 .select_from(DEADLINE.join(CASE, CASE.c.id == DEADLINE.c.case_id))
                 .where(DEADLINE.c.status == "pending", DEADLINE.c.next_at <= until)
                 .order_by(DEADLINE.c.case_id, DEADLINE.c.id))
    if center is not None:
        statement = statement.where(CASE.c.center == center)
    width = len(DEADLINE_COLUMNS)
    connection = single.connection(session).execution_options(stream_results=True,
                                                              yield_per=STREAM)
    case: CaseRow | None = None
    rows: list[DeadlineRow] = []
    for row in connection.execute(statement):
        deadline = DeadlineRow(*row[:width])
        if case is not None and deadline.case_id != case.id:
            yield case, rows
            rows = []
        case = CaseRow(*row[width:])
        rows.append(deadline)
    if case is not None:
        yield case, rows


def _forecast_chunk(session, chunk: list[tuple[CaseRow, list[DeadlineRow]]], now: datetime,
                    until: datetime, params) -> Iterator[dict[str, Any]]:
    if not chunk:
        return
    entries, facts_of, levels = batch_facts(session, [case.id for case, _ in chunk])
    for case, rows in chunk:
        facts = tuple(facts_of[n] for n in entries.get(case.id, ()))
        yield from _forecast_case(case, rows, facts, levels.get(case.id, {}), now, until,
                                  params)


def _forecast_case(case: CaseRow, rows: list, facts: tuple, levels: dict, now: datetime,
                   until: datetime, params) -> Iterator[dict[str, Any]]:
    """The case's stages by `until`, taken in order as the sweeps take them."""
    lifecycle = lifecycle_of(case.kind)
    queue: list = []
    generation = 0  # rows of an earlier state than the case's are cancelled when it moves
    order = count()

    def push(row, level: int, since: datetime) -> None:
        """The row's stages by `until`. Those already due at `since` are one sweep's, at
        `since`: it takes the furthest reached, once (workflow/timers.py `reached`)."""
        remaining = stages(row["action"], level, row["warn_at"], row["due_at"], params)
        first = reached(remaining, since)
        taken = ([first] if first else []) + [s for s in remaining if s.at > since]
        for stage in taken:
            at = max(stage.at, since)
            if at <= until:  # ties as the sweep breaks them: by instant, then row id (a row
                # armed here has none yet: it will be higher than any row's today)
                heapq.heappush(queue, (at, row.get("id") or _UNSAVED, next(order), generation,
                                       row, stage))

    for row in rows:
        push(row._asdict(), row.level, now)
    state, data, version = case.state, dict(case.data), case.version
    blocked: set[int] = set()  # the rows (id()) the sweep would settle blocked
    levels = dict(levels)  # {(timer, due_at): level} of the pending rows, as escalated here
    while queue:
        at, _, _, born, row, stage = heapq.heappop(queue)
        if born != generation or id(row) in blocked:
            continue  # the case left the state that armed it (cancelled) or it was blocked
        verdict = {"case": case.id, "kind": case.kind, "state": state, "center": case.center,
                   "timer": row["timer"], "would": stage.kind, "at": at.isoformat(),
                   "last_day": row["last_day"].isoformat(), "citation": row["citation"]}
        key = (row["timer"], row["due_at"])
        if stage.kind != "fire":
            levels[key] = stage.level
            yield verdict
            continue
        levels.pop(key, None)  # settled (fired or blocked): no longer pending
        today = legal_date(at)
        current = case._replace(state=state, data=data, version=version)
        outcome, action = _judge(lifecycle, current, row["action"], facts, today, params)
        if outcome is None:  # not a trigger of the state: the sweep cancels the row
            continue
        timer = lifecycle.timer(row["timer"])
        if isinstance(outcome, Refusal) and timer.otherwise:
            other, other_action = _judge(lifecycle, current, timer.otherwise, facts, today,
                                         params)
            if other is not None and not isinstance(other, Refusal):
                outcome, action = other, other_action
        if isinstance(outcome, Refusal):
            blocked.add(id(row))
            yield {**verdict, "would": f"blocked {action}",
                   "why": f"{outcome.reason} ({outcome.guard.citation})"}
            continue
        dest, spec, changes = outcome
        others = sorted({*spec.rearms, *(c.lifecycle for c in spec.cascades)})
        if others:  # what this forecast does not follow: say so beside the verdict
            verdict["affects"] = (f"changes the {' and '.join(others)} cases of its entries: "
                                  f"their timers from then on are not forecast here")
        yield {**verdict, "would": action}
        values, armed = transition_values(lifecycle, current, spec, dest, changes, levels,
                                          params, facts)
        state, data, version = values["state"], values["data"], version + 1
        facts = _own_facts(facts, case.id, state, data)
        if moves_timers(spec):
            generation += 1
            levels = {(r["timer"], r["due_at"]): r["level"] for r in armed if r["level"]}
            for new in armed:
                push(new, new["level"], at)


def _judge(lifecycle, case: CaseRow, action: str, facts: tuple, today, params):
    """(dest, spec, changes) or the Refusal of `action` on `case` on `today` — the guards and
    effect the sweep runs (workflow/sweep_fires.py `_fire`, workflow/advance.py `apply`)."""
    spec = next((s for s in lifecycle.specs_for(action) if case.state in s.sources), None)
    if spec is None:
        return None, action
    inputs = parse_inputs(spec, {}, today)
    fact = Facts(today=today, data=case.data, inputs=inputs, entries=facts, params=params,
                 importer=case.importer, division=case.division)
    outcome = lifecycle.fire(case.state, action, fact)
    if isinstance(outcome, Refusal):
        return outcome, action
    dest, taken = outcome
    return (dest, taken, taken.effect(fact) if taken.effect else {}), action


def _own_facts(facts: tuple, case_id: str, state: str, data: dict) -> tuple:
    """The entry facts after the case's own transition (a liquidation case is its entries'
    liquidation case: their liquidation state and dates follow it)."""
    if not any(f.liquidation_case == case_id for f in facts):
        return facts
    from cee_workflow.storage.queries import CaseOfEntry, EntryRow
    from cee_workflow.workflow.entry_facts import _entry_fact

    return tuple(
        _entry_fact(EntryRow(f.number, f.importer, f.port, f.entry_date, f.summary_version),
                    CaseOfEntry(case_id, state, data), f.open_protests, f.open_pscs,
                    f.pscs_in_review)
        if f.liquidation_case == case_id else f for f in facts)
