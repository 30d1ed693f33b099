"""The engine's opening half: recording an entry (which opens its liquidation) and opening the
other cases by their opening transition.

`Engine` inherits it (workflow/engine.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from cee_workflow.states import LIFECYCLES
from cee_workflow.states.base import Lifecycle
from cee_workflow.storage import queries
from cee_workflow.storage.models import Case, CaseEntry
from cee_workflow.workflow import registry, requests
from cee_workflow.workflow.advance import Context, apply, entry_facts, lifecycle_of
from cee_workflow.workflow.errors import InvalidInput
from cee_workflow.workflow.identifiers import parse_entry_number, protest_number
from cee_workflow.workflow.jurisdiction import Actor
from cee_workflow.workflow.views import CaseView


class OpeningMixin:
    """Needs `_admit(actor)` and `_write()` (the engine's)."""

    def add_entry(self, number: str, *, importer: str, port: str, entry_date: date,
                  actor: Actor, suspended: str | None = None,
                  suspended_from: date | None = None, request_id: str | None = None,
                  surety: str | None = None, consignee: str | None = None) -> CaseView:
        """Record an entry and open its liquidation case (19 U.S.C. 1504(a)). With `suspended`
        (04/05 AD/CVD, 06 court order, 08 statute) the entry is recorded suspended from
        `suspended_from` (default: its entry date), as ACE records AD/CVD entries
        (19 U.S.C. 1504(b); 19 CFR 159.12(f)). With `request_id`, a retry returns the case
        the first request opened (workflow.requests). `surety` and `consignee`: the party ids
        the entry papers name (registered with `add_party`), who may protest its decisions
        (19 U.S.C. 1514(c)(2)(A))."""
        if suspended_from is not None and suspended is None:
            raise InvalidInput("--suspended-from needs --suspended REASON (04, 05, 06 or 08)")
        self._admit(actor)
        key = requests.parse_request_id(request_id)
        asked = requests.fingerprint(actor.label, "entry add", {
            "number": number, "importer": importer, "port": port, "entry_date": entry_date,
            "suspended": suspended, "suspended_from": suspended_from,
            **({"surety": surety, "consignee": consignee} if surety or consignee else {})})
        return requests.once(key, lambda: self._add_entry(
            number, importer, port, entry_date, actor, suspended, suspended_from, key, asked,
            (surety, consignee)))

    def _add_entry(self, number, importer, port, entry_date, actor, suspended, suspended_from,
                   key, asked, parties=(None, None)) -> CaseView:
        with self._write() as ctx:
            replayed = requests.claim(ctx, key, asked, actor.label)
            if replayed is not None:
                return replayed
            entry, owner = registry.add_entry(ctx.session, number, importer, port, entry_date,
                                              *parties)
            case = self._new_case(ctx, LIFECYCLES["liquidation"], f"LQ-{entry.number}",
                                  owner, port, [entry.number])
            if suspended is None:
                case = apply(ctx, case, LIFECYCLES["liquidation"].opening, actor)
            else:
                case = apply(ctx, case, "record_suspended_entry", actor, inputs={
                    "reason": suspended, "suspended_from": suspended_from or entry_date})
            requests.settle(ctx, key, case.id)
        # As written, no re-read after COMMIT: a connection lost then cannot report a failure.
        return CaseView.of(case, [entry.number])

    def open_case(self, kind: str, *, actor: Actor, entries: Iterable[str] = (),
                  importer: str | None = None, port: str | None = None, note: str = "",
                  request_id: str | None = None, **inputs: Any) -> CaseView:
        """Open a case of `kind` by its opening transition (protest: `file`).

        The case names `entries` (as many as the lifecycle allows) of one importer; a case that
        names none (a prior disclosure may) names its `importer` and `port`. The case number is
        the port, the 2-digit year and a serial per kind, port and year: PR-270426000123.
        With `request_id`, a retry returns the case the first request opened and files nothing
        (workflow.requests).
        """
        lifecycle = lifecycle_of(kind)
        self._admit(actor)
        if kind == "liquidation":
            raise InvalidInput("a liquidation case opens when its entry is added: "
                               "`cee entry add`")
        numbers = list(dict.fromkeys(parse_entry_number(e) for e in entries))
        if len(numbers) < lifecycle.min_entries:
            raise InvalidInput(f"a {kind} names at least {lifecycle.min_entries} "
                               "entry (--entry NUMBER)")
        if lifecycle.max_entries is not None and len(numbers) > lifecycle.max_entries:
            raise InvalidInput(f"a {kind} names at most {lifecycle.max_entries} "
                               f"entr{'y' if lifecycle.max_entries == 1 else 'ies'}, not "
                               f"{len(numbers)}; open one {kind} per entry")
        key = requests.parse_request_id(request_id)
        asked = requests.fingerprint(actor.label, f"case open {kind}", {
            "entries": numbers, "importer": importer, "port": port, "note": note,
            "inputs": inputs})
        return requests.once(key, lambda: self._open_case(
            lifecycle, numbers, actor, importer, port, note, inputs, key, asked))

    def _open_case(self, lifecycle, numbers, actor, importer, port, note, inputs, key, asked
                   ) -> CaseView:
        kind = lifecycle.kind
        with self._write() as ctx:
            replayed = requests.claim(ctx, key, asked, actor.label)
            if replayed is not None:
                return replayed
            facts = entry_facts(ctx.session, numbers) if numbers else ()
            if importer is None and not facts:
                raise InvalidInput(f"a {kind} without entries names its importer (--importer)")
            owner = registry.importer(ctx.session, importer or facts[0].importer)
            port = port or (facts[0].port if facts else None)
            if port is None:
                raise InvalidInput(f"a {kind} without entries names its port (--port CODE)")
            registry.office(ctx.session, port, "port")
            serial = queries.next_serial(ctx.session, f"{kind}:{port}:{ctx.today.year % 100}")
            case_id = f"{lifecycle.prefix}-{protest_number(port, ctx.today.year, serial)}"
            case = self._new_case(ctx, lifecycle, case_id, owner, port, numbers)
            case = apply(ctx, case, lifecycle.opening, actor, note=note, inputs=inputs)
            requests.settle(ctx, key, case.id)
        return CaseView.of(case, numbers)  # as written: no re-read after COMMIT

    def _new_case(self, ctx: Context, lifecycle: Lifecycle, case_id: str, owner, port: str,
                  entries: list[str]) -> Case:
        case = Case(id=case_id, kind=lifecycle.kind, state=lifecycle.initial, version=0,
                    importer=owner.number, port=port, center=owner.center,
                    division=registry.division_for(owner), data={}, head_hash="0" * 64,
                    event_count=0, opened_at=ctx.now, updated_at=ctx.now)
        ctx.session.add(case)
        ctx.session.flush()
        ctx.session.add_all([CaseEntry(case_id=case_id, entry=e) for e in entries])
        ctx.session.flush()
        return case
