"""The one global lock order of writes that touch several cases: by case id, taken up front.

A transition may write cases other than its own: an allowed protest reliquidates its entries'
liquidation cases, a liquidation closes the entry's open PSCs, a resolved PSC re-arms the
entry's liquidation timers, a schedule or extension re-arms the PSCs'. Locked as each is
reached, two officers could take the same two rows in opposite orders (PR then LQ against LQ
then PR, PS then LQ against LQ then PS) and PostgreSQL would abort one as a deadlock victim.
Instead such a transaction locks, before it reads anything it decides on, its case and every
case naming one of its entries — all the cases its cascades, closes and re-arms can reach,
since each of those names the same entries — in one statement, in case-id order. Rows of
other tables (deadlines, entries, serials) are locked only after the cases that own them.

SQLite serializes writers (BEGIN IMMEDIATE): nothing to order there.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY

from cee_workflow.storage.models import Case, CaseEntry
from cee_workflow.storage.prepared import Prepared

CASE = Case.__table__
CASE_ENTRY = CaseEntry.__table__
_THEIRS = CASE_ENTRY.alias("theirs")
_OURS = CASE_ENTRY.alias("ours")


def neighbours_of(ids: sa.BindParameter) -> sa.Select:
    """The ids of the cases naming an entry one of `ids` (an array bind) names."""
    return (sa.select(_THEIRS.c.case_id)
            .select_from(_THEIRS.join(_OURS, _OURS.c.entry == _THEIRS.c.entry))
            .where(_OURS.c.case_id == sa.any_(ids)))


def lock_with_neighbours(conn: sa.Connection, case_ids: Sequence[str], *,
                         skip_locked: bool = False, nowait: bool = False) -> list[str]:
    """PostgreSQL: lock FOR UPDATE, in case-id order, `case_ids` and every case naming one of
    their entries; returns the ids locked (with `skip_locked`, those that were free). On
    SQLite it locks nothing and returns []."""
    if conn.dialect.name != "postgresql" or not case_ids:
        return []
    rows, _ = _lock_statement(skip_locked, nowait).run(conn, {"ids": list(case_ids)})
    return [row[0] for row in rows]


@cache
def _lock_statement(skip_locked: bool, nowait: bool) -> Prepared:
    """Built and compiled once (a single advance runs it before everything else)."""
    ids = sa.bindparam("ids", type_=ARRAY(sa.String))  # one bind, one text
    # FOR UPDATE sits above the sort in PostgreSQL's plan (LockRows over Sort): the rows are
    # locked in the order of ORDER BY.
    return Prepared(sa.select(CASE.c.id)
                    .where(CASE.c.id.in_(sa.union(sa.select(sa.func.unnest(ids)),
                                                  neighbours_of(ids))))
                    .order_by(CASE.c.id)
                    .with_for_update(skip_locked=skip_locked, nowait=nowait))
