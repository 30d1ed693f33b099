"""The office codes a list filter may name, read with SQLAlchemy Core only.

`cee case list --center 007` checks its filter against the registered offices before it reads;
the check must not load the ORM (sqlmodel and the models cost a list's first row more than the
read itself), so it lives here rather than with the registry's ORM reads.
"""

from __future__ import annotations

import sqlalchemy as sa

from cee_workflow.storage.database import snapshot
from cee_workflow.workflow.errors import InvalidInput
from cee_workflow.workflow.suggest import did_you_mean


def offices_of(db: sa.Engine, kind: str | None = None) -> list[str]:
    """The codes of the registered offices (of `kind`: port or center), in order."""
    sql = "SELECT code FROM cee_office" + (" WHERE kind = :kind" if kind else "") + \
        " ORDER BY code"
    with snapshot(db) as connection:
        return list(connection.execute(sa.text(sql), {"kind": kind} if kind else {}).scalars())


def require_office(db: sa.Engine, code: str | None, kind: str, option: str) -> None:
    """A filter naming no registered port or center is a typo, not "nothing found": exit 2
    with the nearest codes and every known one."""
    if code is None:
        return
    known = offices_of(db, kind)
    if code not in known:
        raise InvalidInput(f"{option} {code}: no {kind} has that code"
                           + did_you_mean(code, known, what=f"known {kind}s"))
