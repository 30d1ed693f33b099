"""An officer's work: the cases they may act on now, and the deadlines the law left blocked.

`iter_queue(engine, actor)` asks the rulebooks (the same `available()` decision `cee case show
--as` prints) which triggers the actor may take on each open case of their office (a filer: of
their importer; Headquarters: every office), in the order of their nearest legal deadline, which
the database sorts and streams (`queue_page` pages it with a keyset cursor). `blocked(engine)`
lists the deadlines a sweep found it could not act on (a liquidation's finality while a protest
of the entry is open, 19 U.S.C. 1514(a)), each with the guard that still refuses it today. The
CLI renders both; nothing here writes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from itertools import islice
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
import sqlalchemy.orm
from sqlmodel import col, select

from cee_workflow.states import LIFECYCLES
from cee_workflow.states.authority import Authority
from cee_workflow.states.base import Facts
from cee_workflow.storage import queries
from cee_workflow.storage.database import transaction
from cee_workflow.storage.models import Case, Deadline
from cee_workflow.workflow.advance import entry_facts, lifecycle_of, parse_inputs, scope_of
from cee_workflow.workflow.errors import InvalidInput
from cee_workflow.workflow.jurisdiction import Filer, Officer
from cee_workflow.workflow.parties import Party, with_entry_parties
from cee_workflow.workflow.views import DeadlineView, Page

if TYPE_CHECKING:
    from cee_workflow.workflow.engine import Engine


@dataclass(frozen=True)
class QueueItem:
    """A case the actor may act on now: the triggers they may take, its nearest deadline."""

    case: str
    kind: str
    state: str
    port: str
    center: str
    division: str
    triggers: tuple[str, ...]
    deadline: str | None = None  # the nearest pending (or blocked) deadline's timer
    last_day: date | None = None
    citation: str | None = None
    level: int = 0  # the case's escalation: 0 none, 1 warning, 2 overdue, 3 director
    status: str | None = None  # of that deadline: pending | blocked
    needs: dict[str, tuple[str, ...]] = field(default_factory=dict)  # trigger → --set inputs

    def to_dict(self) -> dict[str, Any]:
        return {"case": self.case, "kind": self.kind, "state": self.state, "port": self.port,
                "center": self.center, "division": self.division,
                "triggers": list(self.triggers),
                "needs": {k: list(v) for k, v in self.needs.items()},
                "deadline": self.deadline,
                "last_day": self.last_day.isoformat() if self.last_day else None,
                "citation": self.citation, "level": self.level, "status": self.status}


# The authorities an actor may exercise (workflow/jurisdiction.authorize): a port officer
# also holds center authority before, and shares it under, Delegation Order 14-004.
_HELD = {"port": (Authority.PORT, Authority.JOINT, Authority.CENTER),
         "center": (Authority.CENTER, Authority.JOINT), "hq": (Authority.HQ,)}
QUEUE_CHUNK = 500  # cases whose entries and deadlines are read together
_NO_DEADLINE = date(9999, 12, 31)  # cases without a waiting deadline sort last


def _held(actor: Any) -> tuple[Authority, ...]:
    if isinstance(actor, Filer | Party):
        return (Authority.FILER,)
    if isinstance(actor, Officer):
        return _HELD.get(actor.office_kind, ())
    return ()


def _open_states(actor: Any, kind: str | None) -> dict[str, list[str]]:
    """Per kind, the open states with a transition under an authority the actor holds."""
    held = _held(actor)
    return {k: states for k, lc in LIFECYCLES.items() if kind in (None, k)
            if (states := [s.name for s in lc.states
                           if not s.terminal and s.name != lc.initial
                           and any(t.authority in held for t in lc.transitions_from(s.name))])}


def _candidates(actor: Any, kind: str | None, after: tuple[date, str] | None):
    """The open cases the actor could act on, by nearest waiting deadline (a legal one
    preferred), then id: of the actor's port or center (a filer: importer; Headquarters:
    national), in states where it holds some authority. A narrowing only — whether the actor
    may act is the rulebook's decision, taken on each candidate."""
    pairs = _open_states(actor, kind)
    if not pairs:
        return None
    opened = sa.or_(*(sa.and_(Case.kind == k, col(Case.state).in_(states))
                      for k, states in pairs.items()))
    # Each candidate's nearest waiting deadline, read through ix_cee_deadline_case per case (a
    # correlated subquery: an aggregate over every pending deadline would scan them all).
    waiting = sa.and_(Deadline.case_id == Case.id,
                      col(Deadline.status).in_(("pending", "blocked")))
    legal = (select(sa.func.min(Deadline.last_day))
             .where(waiting, Deadline.kind == "legal").scalar_subquery())
    any_kind = select(sa.func.min(Deadline.last_day)).where(waiting).scalar_subquery()
    key = sa.func.coalesce(legal, any_kind, _NO_DEADLINE)
    statement = select(Case, key.label("key")).where(opened)
    if isinstance(actor, Filer | Party):  # a filer its importer's; a party where it stands
        from cee_workflow.storage.reads import confined
        from cee_workflow.workflow.parties import read_scope_of

        statement = statement.where(confined(Case.id, Case.importer, read_scope_of(actor)))
    elif isinstance(actor, Officer) and actor.office_kind != "hq":
        column = Case.port if actor.office_kind == "port" else Case.center
        statement = statement.where(column == actor.office)
    if after is not None:
        day, case_id = after
        statement = statement.where(sa.or_(key > day, sa.and_(key == day, Case.id > case_id)))
    return statement.order_by(key, Case.id)


def queue_cursor(item: QueueItem) -> str:
    """The cursor after `item`: its nearest deadline's last day and its case id."""
    return f"{(item.last_day or _NO_DEADLINE).isoformat()}@{item.case}"


def parse_queue_cursor(text: str) -> tuple[date, str]:
    day, sep, case_id = text.partition("@")
    try:
        if not sep or not case_id:
            raise ValueError
        return date.fromisoformat(day), case_id
    except ValueError:
        raise InvalidInput(f"--after {text!r} is not a queue cursor (LAST-DAY@CASE, as the "
                           "line under a page prints it)") from None


def iter_queue(engine: Engine, actor: Any, *, kind: str | None = None,
               after: str | None = None) -> Iterator[QueueItem]:
    """The actor's actionable cases across every kind (or `kind`), nearest legal deadline
    first (cases without one last), each with its days-left anchor (`last_day`) and
    escalation level; streamed from one statement, QUEUE_CHUNK cases at a time (bounded
    memory at any size)."""
    statement = _candidates(actor, kind, parse_queue_cursor(after) if after else None)
    if statement is None:
        return
    today = engine._today()
    with transaction(engine.db, write=False) as session:
        rows = session.exec(statement.execution_options(stream_results=True,
                                                        yield_per=QUEUE_CHUNK))
        for chunk in rows.partitions(QUEUE_CHUNK):
            cases = [case for case, _ in chunk]
            entries = queries.entries_of_cases(session, [c.id for c in cases])
            nearest = _nearest_deadlines(session, [c.id for c in cases])
            for case in cases:
                scope = with_entry_parties(session, scope_of(case, entries[case.id]),
                                           entries[case.id], actor)
                item = _actionable(engine, actor, case, scope,
                                   entry_facts(session, entries[case.id]),
                                   nearest.get(case.id), today)
                if item is not None:
                    yield item


def queue_page(engine: Engine, actor: Any, *, kind: str | None = None,
               after: str | None = None, limit: int = 50) -> Page:
    """One page of `iter_queue`, with the cursor of the next (None: the last page)."""
    items = list(islice(iter_queue(engine, actor, kind=kind, after=after), limit + 1))
    shown = tuple(items[:limit])
    return Page(shown, queue_cursor(shown[-1]) if len(items) > limit else None)


def queue(engine: Engine, actor: Any, *, kind: str | None = None) -> list[QueueItem]:
    """The whole queue as a list (iter_queue)."""
    return list(iter_queue(engine, actor, kind=kind))


def _actionable(engine: Engine, actor: Any, case: Case, scope, facts, row: Deadline | None,
                today: date) -> QueueItem | None:
    from cee_workflow.workflow.engine import _availability

    lifecycle = lifecycle_of(case.kind)
    allowed, needs = [], {}
    for trigger in dict.fromkeys(t.trigger for t in lifecycle.transitions_from(case.state)):
        specs = [s for s in lifecycle.specs_for(trigger) if case.state in s.sources]
        availability = _availability(specs, actor, case, scope, facts, today, engine.params)
        if availability.allowed:
            allowed.append(trigger)
            if availability.inputs:
                needs[trigger] = availability.inputs
    if not allowed:
        return None
    return QueueItem(
        case=case.id, kind=case.kind, state=case.state, port=case.port, center=case.center,
        division=case.division, triggers=tuple(allowed), deadline=row.timer if row else None,
        last_day=row.last_day if row else None, citation=row.citation if row else None,
        level=case.escalation, status=row.status if row else None, needs=needs)


def _nearest_deadlines(session, case_ids: list[str]) -> dict[str, Deadline]:
    """Each case's nearest legal deadline still waiting (pending, or blocked by law), else its
    nearest deadline of any kind (the order `_candidates` sorts by)."""
    nearest: dict[str, Deadline] = {}
    rows = session.exec(select(Deadline).where(
        col(Deadline.case_id).in_(case_ids), col(Deadline.status).in_(("pending", "blocked")))
        .order_by(Deadline.last_day, Deadline.id))
    for row in rows:
        best = nearest.get(row.case_id)
        if best is None or (best.kind != "legal" and row.kind == "legal"):
            nearest[row.case_id] = row
    return nearest


def blocked(engine: Engine, *, kind: str | None = None, center: str | None = None,
            port: str | None = None, case_kind: str | None = None,
            importer: str | None = None) -> list[DeadlineView]:
    """Deadlines a sweep could not act on, of cases still in the state that armed them, with
    why the law still refuses the act today (`reason`, with the guard's citation)."""
    today = engine._today()
    later = sa.orm.aliased(Deadline)
    superseded = sa.exists().where(later.case_id == Deadline.case_id,
                                   later.timer == Deadline.timer, later.id > Deadline.id)
    # A blocked row counts while its case is still in the state that armed it and no later row
    # of the same timer (a re-arm once the protest was resolved) has replaced it.
    statement = (select(Deadline, Case).join(Case, Case.id == Deadline.case_id)
                 .where(Deadline.status == "blocked", Deadline.state == Case.state,
                        ~superseded))
    for column, value in ((Deadline.kind, kind), (Case.center, center), (Case.port, port),
                          (Case.kind, case_kind)):
        if value is not None:
            statement = statement.where(column == value)
    if importer is not None:  # a filer's importer, or a party's Confinement
        from cee_workflow.storage.reads import confined

        statement = statement.where(confined(Case.id, Case.importer, importer))
    statement = statement.order_by(Deadline.due_at, Deadline.id)
    result = []
    with transaction(engine.db, write=False) as session:
        for row, case in session.exec(statement):
            view = DeadlineView.of(row)
            result.append(DeadlineView(**{**view.__dict__,
                                          "reason": _why_blocked(session, engine, case,
                                                                 row.action, today)}))
    return result


def _why_blocked(session, engine: Engine, case: Case, trigger: str | None, today: date) -> str:
    """The guard refusing `trigger` on `case` today, with its citation (the sweep's check)."""
    if trigger is None:
        return "an escalation awaits an officer"
    lifecycle = lifecycle_of(case.kind)
    specs = [s for s in lifecycle.specs_for(trigger) if case.state in s.sources]
    if not specs:
        return f"{trigger} is not possible from {case.state}"
    entries = entry_facts(session, queries.entries_of_cases(session, [case.id])[case.id])
    facts = Facts(today=today, data=case.data, inputs=parse_inputs(specs[0], {}, today),
                  entries=entries, params=engine.params, importer=case.importer,
                  division=case.division)
    reasons = []
    for spec in specs:
        refusal = spec.refusal(facts)
        if refusal is None:
            return "no longer refused: the next sweep acts on it"
        reasons.append(f"{refusal.reason} ({refusal.guard.citation})")
    return "; ".join(reasons)
