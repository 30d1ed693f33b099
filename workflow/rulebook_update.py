"""Open cases under a changed rulebook: their timers re-armed, each by a recorded SYSTEM event.

A release may change a rulebook: a new timer (a protest's further-review decision, 1515(a)), a
timer renamed or counted from another date (a summons window from the original denial, 1515(c);
28 U.S.C. 2636(a)). The pending timers of a case opened before it were armed by the old rules,
so the scheduler would enforce the old law and `cee audit verify`, which folds every case under
the rules of today, would report them as timers changed without an event.

`apply_rulebook` (run by `Engine.upgrade`, hence `cee db upgrade`, after the schema migrations)
settles that in the open: every open case whose pending timers are not what its state arms
under today's rules gets one SYSTEM event, `apply_rulebook`, state unchanged, that cancels them
and arms today's, naming what it cancelled and what it armed. The event is in the case's hash
chain like any other; the audit fold treats it as a transition that re-arms. Escalation levels
carry over to a deadline that runs on unchanged (same timer, same due instant).

It runs only when the rulebooks changed since the database last applied them: the fingerprint
of the rulebook sources (states/*.py) is kept in `cee_setting` under `rulebook`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlmodel import select

from cee_workflow.states import LIFECYCLES
from cee_workflow.states.authority import regime_at
from cee_workflow.storage import queries, single
from cee_workflow.storage.models import Case, Deadline, Setting
from cee_workflow.workflow.advance import Context, arming_data, entry_facts, write_event
from cee_workflow.workflow.jurisdiction import SYSTEM
from cee_workflow.workflow.timers import carry_levels, timer_rows

TRIGGER = "apply_rulebook"
SETTING = "rulebook"
BATCH = 500
# The columns arming decides, compared to tell whether a case's timers are today's.
COMPARED = ("timer", "kind", "state", "last_day", "due_at", "warn_at", "action", "citation")
STATES = Path(__file__).resolve().parent.parent / "states"


def fingerprint() -> str:
    """The rulebooks' identity: a hash of the sources under states/ (any edit changes it)."""
    digest = hashlib.sha256()
    for source in sorted(STATES.glob("*.py")):
        digest.update(source.name.encode() + b"\0" + source.read_bytes() + b"\0")
    return digest.hexdigest()


def applied_fingerprint(connection: sa.Connection) -> str | None:
    return connection.execute(sa.select(Setting.value).where(Setting.key == SETTING)).scalar()


def record_fingerprint(connection: sa.Connection, value: str) -> None:
    table = Setting.__table__
    if connection.execute(sa.select(table.c.key).where(table.c.key == SETTING)).first():
        connection.execute(table.update().where(table.c.key == SETTING).values(value=value))
    else:
        connection.execute(table.insert().values(key=SETTING, value=value))


def _open_case_page(connection: sa.Connection, after: str) -> list[str]:
    """The next ids after `after` of cases not in a terminal state (keyset on id)."""
    table = Case.__table__
    where = sa.or_(*(sa.and_(table.c.kind == kind,
                             table.c.state.in_([s.name for s in lc.states if not s.terminal]))
                     for kind, lc in LIFECYCLES.items()))
    return list(connection.execute(sa.select(table.c.id).where(where, table.c.id > after)
                                   .order_by(table.c.id).limit(BATCH)).scalars())


def _shape(rows: list[dict[str, Any]]) -> list[tuple]:
    return sorted(tuple(str(row[c]) for c in COMPARED) for row in rows)


def rearm_case(ctx: Context, case: Case) -> bool:
    """Re-arm `case` under today's rules by an `apply_rulebook` event if its pending timers
    differ from what its state arms now; whether it did."""
    lifecycle = LIFECYCLES[case.kind]
    entries = entry_facts(ctx.session, ctx.entries_of(case.id))
    armed = timer_rows(lifecycle, case.state, case.id, case.version + 1,
                       arming_data(lifecycle, case.data, entries, ctx.params), ctx.params)
    pending = [row.model_dump() for row in ctx.session.exec(
        select(Deadline).where(Deadline.case_id == case.id, Deadline.status == "pending"))]
    if _shape(pending) == _shape(armed):
        return False
    levels = single.cancel_pending_returning_levels(ctx.connection(), [case.id], ctx.now)
    carry_levels(armed, levels.get(case.id, {}), ctx.params)
    regime = regime_at(ctx.today, case.center, ctx.params.apparel_center_implemented_on).name
    write_event(
        ctx, case, actor=SYSTEM.label, authority="SYSTEM", regime=regime, trigger=TRIGGER,
        note="timers re-armed under this release's rulebook",
        values={"escalation": max((row["level"] for row in armed), default=0)},
        data={"rulebook": fingerprint()[:16],
              "cancelled": [{"timer": r["timer"], "last_day": str(r["last_day"])}
                            for r in pending],
              "armed": [{"timer": r["timer"], "last_day": str(r["last_day"]),
                         "citation": r["citation"]} for r in armed]})
    single.insert_deadlines(ctx.connection(), armed)
    return True


def apply_rulebook(db: sa.Engine, write: Callable[[], Any],
                   progress: Callable[[int, int], None] | None = None) -> int:
    """Re-arm every open case whose timers predate today's rulebook; the number re-armed.

    `write()` opens the engine's write transaction (a Context). Nothing happens when the
    rulebooks are those the database last applied."""
    current = fingerprint()
    with db.connect() as connection:
        if applied_fingerprint(connection) == current:
            return 0
    rearmed = seen = 0
    after = ""
    while True:
        with db.connect() as connection:
            ids = _open_case_page(connection, after)
        if not ids:
            break
        with write() as ctx:
            for case_id in ids:
                case = queries.get_case(ctx.session, case_id, for_update=True)
                if case is not None and rearm_case(ctx, case):
                    rearmed += 1
        seen, after = seen + len(ids), ids[-1]
        if progress:
            progress(seen, rearmed)
    with db.begin() as connection:
        record_fingerprint(connection, current)
    return rearmed
