"""Reads of the registry for the officer's lists: officers, importers, entries, one entry.

The rows the commands get, filtered, in key order, a keyset page at a time (`stream` reads them
all in bounded memory): the registry is national — some 36 million entries a year.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from sqlmodel import col, select

from cee_workflow.storage.database import transaction
from cee_workflow.storage.models import Case, CaseEntry, Entry, Importer, Office, Officer
from cee_workflow.workflow.errors import NotFound
from cee_workflow.workflow.identifiers import format_entry_number, parse_entry_number
from cee_workflow.workflow.office_codes import offices_of, require_office  # noqa: F401, E402 (re-exported)
from cee_workflow.workflow.views import Page

STREAM_PAGE = 1000  # rows per statement when a whole list is streamed (workflow/reader.py)


class Listed(dict):
    """A listed row (a JSON document), as the paged lists print it."""

    def to_dict(self) -> dict[str, Any]:
        return dict(self)


def _page(db, statement, key, after: str | None, limit: int, rows_of) -> Page:
    """One keyset page of `statement` in `key` order after `after`: `rows_of(session, rows)`
    turns the rows into documents. `next` is the last key shown when more follow."""
    if after is not None:
        statement = statement.where(key > after)
    with transaction(db, write=False) as session:
        rows = list(session.exec(statement.order_by(key).limit(limit + 1)))
        items = tuple(Listed(d) for d in rows_of(session, rows[:limit]))
    return Page(items, _key_of(rows[limit - 1]) if len(rows) > limit else None)


def _key_of(row) -> str:
    first = row[0] if isinstance(row, tuple | sa.Row) else row
    return getattr(first, "id", None) or first.number


def stream(page, **filters) -> Iterator[Listed]:
    """Every row of a paged read `page(after=, limit=, **filters)`, STREAM_PAGE at a time."""
    after = filters.pop("after", None)
    while True:
        shown = page(after=after, limit=STREAM_PAGE, **filters)
        yield from shown.items
        if shown.next is None:
            return
        after = shown.next


def officers(db, *, office: str | None = None, after: str | None = None,
             limit: int = STREAM_PAGE) -> Page:
    """Registered officers in id order, a keyset page at a time."""
    statement = select(Officer, Office.kind).join(Office, Office.code == Officer.office)
    if office:
        statement = statement.where(Officer.office == office)
    return _page(db, statement, Officer.id, after, limit, lambda _, rows: [
        {"id": o.id, "name": o.name, "office": o.office, "office_kind": kind, "unit": o.unit,
         "role": o.role, "login": o.login, "active": o.active} for o, kind in rows])


def officer_ids(db) -> list[str]:
    with transaction(db, write=False) as session:
        return list(session.exec(select(Officer.id).order_by(Officer.id)))


def importers(db, *, center: str | None = None, after: str | None = None,
              limit: int = STREAM_PAGE) -> Page:
    """Registered importers in number order, a keyset page at a time."""
    statement = select(Importer)
    if center:
        statement = statement.where(Importer.center == center)
    return _page(db, statement, Importer.number, after, limit, lambda _, rows: [
        {"number": i.number, "name": i.name, "center": i.center, "trusted": list(i.trusted)}
        for i in rows])


def entry_scope(scope):
    """The condition keeping a reader's entries to its scope (workflow/parties.read_scope_of):
    a filer's importer number, or a party's Confinement — the entries of its importers and
    those recording it (surety, consignee)."""
    if isinstance(scope, str):
        return Entry.importer == scope
    conditions = [col(Entry.importer).in_(scope.importers)] if scope.importers else []
    conditions += [getattr(Entry, column) == party for column, party in scope.entry_parties]
    return sa.or_(*conditions) if conditions else sa.false()


def entries(db, *, importer: str | None = None, port: str | None = None, scope=None,
            after: str | None = None, limit: int = STREAM_PAGE) -> Page:
    """Recorded entries in number order with their cases, a keyset page at a time (`after`:
    an entry number, with or without dashes); `scope`: a reader's (entry_scope)."""
    statement = select(Entry)
    if scope is not None:
        statement = statement.where(entry_scope(scope))
    if importer:
        statement = statement.where(Entry.importer == importer)
    if port:
        statement = statement.where(Entry.port == port)

    def documents(session, rows):
        cases = _cases_of(session, [r.number for r in rows])
        return [_entry(r, cases.get(r.number, [])) for r in rows]

    return _page(db, statement, Entry.number,
                 parse_entry_number(after) if after else None, limit, documents)


def entry(db, number: str, *, scope=None) -> dict[str, Any]:
    """One entry with its cases; NotFound also when it is outside the reader's `scope`
    (nothing is said of an entry the reader may not see)."""
    key = parse_entry_number(number)
    with transaction(db, write=False) as session:
        row = session.get(Entry, key)
        outside = scope is not None and session.exec(select(Entry.number).where(
            Entry.number == key, entry_scope(scope))).first() is None
        if row is not None and outside:
            row = None
        if row is None:
            raise NotFound("entry", number, "list entries with `cee entry list`")
        return _entry(row, _cases_of(session, [key]).get(key, []))


def _cases_of(session, numbers: list[str]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for start in range(0, len(numbers), 500):
        chunk = numbers[start:start + 500]
        statement = (select(CaseEntry.entry, Case.id, Case.kind, Case.state)
                     .join(Case, Case.id == CaseEntry.case_id)
                     .where(col(CaseEntry.entry).in_(chunk)).order_by(Case.id))
        for number, case_id, kind, state in session.exec(statement):
            found.setdefault(number, []).append({"id": case_id, "kind": kind, "state": state})
    return found


def _entry(row: Entry, cases: list[dict[str, Any]]) -> dict[str, Any]:
    return {"number": format_entry_number(row.number), "importer": row.importer,
            "port": row.port, "entry_date": row.entry_date.isoformat(),
            "summary_version": row.summary_version, "cases": cases}
