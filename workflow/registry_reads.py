"""Reads of the registry for the officer's lists: officers, importers, entries, one entry.

The rows the commands get, filtered and in key order; how many to show is the caller's.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import col, select

from cee_workflow.storage.database import transaction
from cee_workflow.storage.models import Case, CaseEntry, Entry, Importer, Office, Officer
from cee_workflow.workflow.errors import NotFound
from cee_workflow.workflow.identifiers import format_entry_number, parse_entry_number
from cee_workflow.workflow.office_codes import offices_of, require_office  # noqa: F401 (re-exported)


def officers(db, *, office: str | None = None) -> list[dict[str, Any]]:
    with transaction(db, write=False) as session:
        statement = select(Officer, Office.kind).join(Office, Office.code == Officer.office)
        if office:
            statement = statement.where(Officer.office == office)
        return [{"id": o.id, "name": o.name, "office": o.office, "office_kind": kind,
                 "unit": o.unit, "role": o.role, "login": o.login, "active": o.active}
                for o, kind in session.exec(statement.order_by(Officer.id))]


def officer_ids(db) -> list[str]:
    with transaction(db, write=False) as session:
        return list(session.exec(select(Officer.id).order_by(Officer.id)))


def importers(db, *, center: str | None = None) -> list[dict[str, Any]]:
    with transaction(db, write=False) as session:
        statement = select(Importer).order_by(Importer.number)
        if center:
            statement = statement.where(Importer.center == center)
        return [{"number": i.number, "name": i.name, "center": i.center,
                 "trusted": list(i.trusted)} for i in session.exec(statement)]


def entries(db, *, importer: str | None = None, port: str | None = None
            ) -> list[dict[str, Any]]:
    with transaction(db, write=False) as session:
        statement = select(Entry).order_by(Entry.number)
        if importer:
            statement = statement.where(Entry.importer == importer)
        if port:
            statement = statement.where(Entry.port == port)
        rows = list(session.exec(statement))
        cases = _cases_of(session, [r.number for r in rows])
        return [_entry(r, cases.get(r.number, [])) for r in rows]


def entry(db, number: str) -> dict[str, Any]:
    key = parse_entry_number(number)
    with transaction(db, write=False) as session:
        row = session.get(Entry, key)
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
