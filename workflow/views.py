"""Immutable views the engine returns; `to_dict()` gives their JSON form."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any

from cee_workflow.workflow.identifiers import format_entry_number


def jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


class _View:
    def to_dict(self) -> dict[str, Any]:
        return jsonable(asdict(self))  # type: ignore[call-overload]


@dataclass(frozen=True)
class CaseView(_View):
    id: str
    kind: str
    state: str
    version: int
    importer: str
    port: str
    center: str
    division: str
    escalation: int
    entries: tuple[str, ...]
    data: dict[str, Any] = field(default_factory=dict)
    opened_at: datetime | None = None
    updated_at: datetime | None = None

    @classmethod
    def of(cls, row, entries: list[str]) -> CaseView:
        return cls(id=row.id, kind=row.kind, state=row.state, version=row.version,
                   importer=row.importer, port=row.port, center=row.center,
                   division=row.division, escalation=row.escalation,
                   entries=tuple(format_entry_number(e) for e in entries), data=dict(row.data),
                   opened_at=row.opened_at, updated_at=row.updated_at)


@dataclass(frozen=True)
class EventView(_View):
    seq: int
    case_id: str
    case_seq: int
    at: datetime
    actor: str
    authority: str
    regime: str
    trigger: str
    from_state: str
    to_state: str
    note: str
    data: dict[str, Any]
    hash: str

    @classmethod
    def of(cls, row) -> EventView:
        return cls(seq=row.seq, case_id=row.case_id, case_seq=row.case_seq, at=row.at,
                   actor=row.actor, authority=row.authority, regime=row.regime,
                   trigger=row.trigger, from_state=row.from_state, to_state=row.to_state,
                   note=row.note, data=dict(row.data), hash=row.hash)


@dataclass(frozen=True)
class DeadlineView(_View):
    case_id: str
    timer: str
    kind: str
    state: str
    last_day: date
    due_at: datetime
    warn_at: datetime
    action: str | None
    citation: str
    status: str
    level: int = 0
    next_at: datetime | None = None

    @classmethod
    def of(cls, row) -> DeadlineView:
        return cls(case_id=row.case_id, timer=row.timer, kind=row.kind, state=row.state,
                   last_day=row.last_day, due_at=row.due_at, warn_at=row.warn_at,
                   action=row.action, citation=row.citation, status=row.status,
                   level=row.level, next_at=row.next_at)


@dataclass(frozen=True)
class Availability(_View):
    """One trigger from the case's state: may this actor take it now, and if not, why not."""

    trigger: str
    allowed: bool
    authority: str
    citation: str
    summary: str
    why_not: str | None = None
    inputs: tuple[str, ...] = ()


@dataclass(frozen=True)
class AuditReport(_View):
    cases: int
    events: int
    broken: tuple[str, ...]
    proven: tuple[str, ...] = ()  # what the checks that passed prove (README: the audit)

    @property
    def ok(self) -> bool:
        return not self.broken


@dataclass(frozen=True)
class Page(_View):
    """One page of a list, in the list's order, and the cursor of the next page (None: this is
    the last). Pass `next` as `after` to read on; a cursor stays valid whatever is written
    meanwhile (rows added after it appear on later pages; none is shown twice)."""

    items: tuple[Any, ...]
    next: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"items": [item.to_dict() for item in self.items], "next": self.next}
