"""What a rulebook reads: the facts of a case and its entries, and the guards over them.

Built by the engine inside its transaction (workflow/facts.py); nothing here does I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from cee_workflow.states.params import RuleParams


@dataclass(frozen=True)
class ProtestOnEntry:
    """An open protest naming an entry, as another protest's guards see it: what it protests,
    for which category of merchandise, by whom (1514(c)(1); 19 CFR 174.15)."""

    id: str
    protested: str = "liquidation"
    merchandise: str = ""  # the category of merchandise; "" = the whole entry
    party: str = ""
    role: str = "importer"
    filed_on: date | None = None
    consolidated_with: str | None = None  # the first protest of its consolidated group


@dataclass(frozen=True)
class EntryFacts:
    """What a guard may know of one entry the case concerns."""

    number: str
    importer: str
    port: str
    entry_date: date
    liquidation_case: str | None = None
    liquidation_state: str | None = None
    liquidated_on: date | None = None  # the latest liquidation or reliquidation
    open_protests: tuple[str, ...] = ()
    protests: tuple[ProtestOnEntry, ...] = ()  # the open protests, with what they are about
    original_liquidated_on: date | None = None  # the first liquidation (1514(d); 174.16)
    # What the latest reliquidation changed (issue categories), where it recorded it.
    reliquidated_issues: tuple[str, ...] | None = None
    # What a post-summary correction needs to know (19 CFR 101.9(b), REFERENCE.md §3):
    open_pscs: tuple[str, ...] = ()  # PSCs filed and not yet resolved
    pscs_in_review: tuple[str, ...] = ()  # of those, the ones in the center's team review
    summary_version: int = 1  # the entry summary's version: each accepted PSC raises it
    summary_under_review: bool = False  # CBP review opened by a center officer
    scheduled_liquidation: date | None = None  # the date the entry is set to liquidate
    liquidation_deadline: date | None = None  # deemed liquidation: 1 year, or as extended
    importer_extended: bool = False  # extended at the importer's request (reason 02)
    adcvd_suspended: bool = False  # liquidation suspended for AD/CVD (reason 04/05)
    # Its merchandise's presentation for examination and release, and the deemed exclusion
    # recorded (19 U.S.C. 1499(c)(5)(A); states/liquidation_exclusion.py).
    presented_on: date | None = None
    released_on: date | None = None
    deemed_excluded_on: date | None = None

    def __str__(self) -> str:
        """The entry number as printed on the summary: 112-7296677-8."""
        n = self.number
        return f"{n[:3]}-{n[3:10]}-{n[10:]}"


@dataclass(frozen=True)
class Acting:
    """Who takes a FILER action, as the rulebook sees it (from the established actor, never an
    input): the protestant of record — the importer's number or a party's id — its role, and the
    agent acting for it, if any (19 U.S.C. 1514(c)(2); workflow/parties.py)."""

    party: str
    role: str = "importer"
    agent: str | None = None


@dataclass(frozen=True)
class Facts:
    """Everything a guard, effect or timer may read. Built by the engine, inside the transaction."""

    today: date  # the legal date (America/New_York) of the action
    data: Mapping[str, Any]  # the case's data before the transition
    inputs: Mapping[str, Any] = field(default_factory=dict)
    entries: tuple[EntryFacts, ...] = ()
    params: RuleParams = field(default_factory=RuleParams)
    via: str | None = None  # the case whose transition cascaded into this one
    # The case's own importer and routing division (partnership | validation): an opening
    # transition has no case data yet to read them from.
    importer: str | None = None
    division: str | None = None
    acting: Acting | None = None  # a FILER action's protestant (None: an officer, the system)

    def legal(self, name: str) -> date:
        """The legal date `name` given with the transition (a `LegalDate` input), or today."""
        return iso(self.inputs.get(name)) or self.today


def iso(value: Any) -> date | None:
    """A date kept in case data (ISO text) as a date."""
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)


@dataclass(frozen=True)
class Guard:
    """A rule a transition must satisfy. `check` returns None, or why not and what to do."""

    name: str
    citation: str
    check: Callable[[Facts], str | None]


@dataclass(frozen=True)
class Refusal:
    guard: Guard
    reason: str
