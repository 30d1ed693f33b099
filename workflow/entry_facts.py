"""What a guard knows of the entries a case names (`EntryFacts`): each entry with its
liquidation case and the open protests and PSCs that name it, read in two statements for any
number of entries, or taken from the naming rows a single advance read with its case.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cache
from typing import Any

from sqlmodel import Session

from cee_workflow.states import LIFECYCLES
from cee_workflow.states.base import EntryFacts, Lifecycle, iso
from cee_workflow.states.liquidation_rules import ADCVD_SUSPENSIONS, scheduled_liquidation
from cee_workflow.states.params import RuleParams
from cee_workflow.states.protest import RESOLVED
from cee_workflow.states.protest_parties import protest_on_entry
from cee_workflow.states.psc import HOLDING as PSC_HOLDING
from cee_workflow.storage import queries, single
from cee_workflow.storage.models import Case
from cee_workflow.workflow.errors import NotFound


def entry_facts(session: Session, numbers: list[str]) -> tuple[EntryFacts, ...]:
    """Each entry with its liquidation case and the open protests and PSCs that name it
    (two statements for any number of entries: the bulk path reads a batch at once)."""
    rows = queries.entries_with_case(session, numbers, "liquidation")
    missing = sorted(set(numbers) - {entry.number for entry, _ in rows})
    if missing:
        raise NotFound("entry", missing[0], "register it with `cee entry add`")
    data_of: dict[str, Any] = {}
    open_cases = queries.open_cases_naming(session, numbers, _OPEN_NAMING, data_of)
    review = queries.open_cases_naming(session, numbers, _NOT_HOLDING)["psc"] \
        if any(open_cases["psc"].values()) else {}
    return tuple(_entry_fact(entry, case, open_cases["protest"].get(entry.number, ()),
                             open_cases["psc"].get(entry.number, ()),
                             review.get(entry.number, ()), data_of)
                 for entry, case in rows)


def facts_from_naming(numbers: list[str], naming: list[single.NamingRow]
                      ) -> tuple[EntryFacts, ...]:
    """`entry_facts` from the rows `storage.single.case_for_transition` read with the case:
    the same facts, without a statement of their own."""
    by_entry: dict[str, list[single.NamingRow]] = {}
    for row in naming:
        by_entry.setdefault(row.entry, []).append(row)
    return tuple(entry_fact_from_naming(number, by_entry[number]) for number in numbers)


def entry_fact_from_naming(number: str, rows: list[Any]) -> EntryFacts:
    """One entry's facts from its naming rows (each with the entry's row and one case naming
    it: `storage.single.NamingRow`'s fields)."""
    entry = queries.EntryRow(number, rows[0].importer, rows[0].port, rows[0].entry_date,
                             rows[0].summary_version)
    case = next((queries.CaseOfEntry(r.case_id, r.state, r.data) for r in rows
                 if r.kind == "liquidation"), None)
    if len(rows) == 1 and rows[0].kind in ("liquidation", None):
        # named by its liquidation case alone (most entries): no protest, no PSC open
        return _entry_fact(entry, case, (), (), (), None)
    open_of = {kind: tuple(r.case_id for r in rows
                           if r.kind == kind and r.state not in closed)
               for kind, closed in _OPEN_NAMING.items()}
    review = tuple(r.case_id for r in rows if r.kind == "psc" and r.state in PSC_HOLDING)
    data_of = {r.case_id: r.data for r in rows if r.kind == "protest"}
    return _entry_fact(entry, case, open_of["protest"], open_of["psc"], review, data_of)


def _entry_fact(entry: queries.EntryRow, case: queries.CaseOfEntry | None,
                protests: Iterable[str], pscs: Iterable[str], in_review: Iterable[str] = (),
                data_of: Mapping[str, Any] | None = None) -> EntryFacts:
    protests = tuple(protests)
    return EntryFacts(
        number=entry.number, importer=entry.importer, port=entry.port,
        entry_date=entry.entry_date,
        liquidation_case=case.id if case else None,
        liquidation_state=case.state if case else None,
        liquidated_on=iso(case.data.get("liquidated_on")) if case else None,
        open_protests=protests, open_pscs=tuple(pscs), pscs_in_review=tuple(in_review),
        protests=tuple(protest_on_entry(i, (data_of or {}).get(i) or {}) for i in protests),
        original_liquidated_on=iso(case.data.get("original_liquidated_on")) if case else None,
        reliquidated_issues=_issues(case.data.get("reliquidated_issues")) if case else None,
        summary_version=entry.summary_version,
        **(_summary_facts(case) if case else {}),
    )


def _issues(value: Any) -> tuple[str, ...] | None:
    return None if value is None else tuple(value)


def _summary_facts(case: Case) -> dict[str, Any]:
    """What a post-summary correction reads of the entry's liquidation case."""
    data = case.data
    return {
        "summary_under_review": bool(data.get("summary_under_review")),
        "scheduled_liquidation": scheduled_liquidation(case.state, data),
        "liquidation_deadline": iso(data.get("liquidation_deadline")),
        "importer_extended": bool(data.get("importer_requested_extension")),
        "adcvd_suspended": case.state == "suspended"
        and data.get("suspension_reason") in ADCVD_SUSPENSIONS,
        "presented_on": iso(data.get("presented_on")),
        "released_on": iso(data.get("released_on")),
        "deemed_excluded_on": iso(data.get("deemed_excluded_on")),
    }


@cache
def closed_states(kind: str) -> tuple[str, ...]:
    """The states in which a case of `kind` is not open: not yet opened, or terminal."""
    lifecycle = LIFECYCLES[kind]
    return (lifecycle.initial, *(s.name for s in lifecycle.states if s.terminal))


# The cases a guard counts as open on an entry: protests not yet filed or resolved, and PSCs.
_OPEN_NAMING = {"protest": (LIFECYCLES["protest"].initial, *RESOLVED),
                "psc": closed_states("psc")}
# Of a PSC's open states, the one that holds its entry's liquidation (REFERENCE.md §3).
_NOT_HOLDING = {"psc": tuple(s for s in LIFECYCLES["psc"].state_names if s not in PSC_HOLDING)}


def arming_data(lifecycle: Lifecycle, data: Mapping[str, Any],
                entries: tuple[EntryFacts, ...], params: RuleParams) -> dict[str, Any]:
    """The case data its timers read, with the dates that follow other cases (Lifecycle
    .timer_data) merged in for arming only."""
    if lifecycle.timer_data is None:
        return dict(data)
    return {**data, **lifecycle.timer_data(data, entries, params)}
