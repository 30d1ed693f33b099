"""Values given with a transition (`--set name=value`) and dated legal acts (REFERENCE.md §6).

`Input` parses what an officer or filer types; `LegalDate` is the date the law counts from
(mailed, received, posted, decided), bounded by the acts it follows (`Bound`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from cee_workflow.states.calendar import out_of_range
from cee_workflow.states.facts import Facts, Guard, iso

if TYPE_CHECKING:
    from cee_workflow.states.base import TransitionSpec


@dataclass(frozen=True)
class Input:
    """A value given with a transition (`--set name=value`)."""

    name: str
    help: str
    kind: str = "text"  # text | date | choice | bool | amount | port
    choices: tuple[str, ...] = ()
    required: bool = False
    default: Any = None

    def parse(self, raw: Any) -> Any:
        """The value as the rulebook uses it; ValueError with a message a person can act on."""
        if self.kind == "date":
            try:
                day = raw if isinstance(raw, date) else date.fromisoformat(str(raw))
            except ValueError:
                raise ValueError(f"{self.name} must be a date YYYY-MM-DD, not {raw!r}") from None
            if (why := out_of_range(day)) is not None:
                raise ValueError(f"{self.name}: {why}")
            return day.isoformat()
        if self.kind == "bool":
            text = str(raw).strip().lower()
            if text in ("1", "true", "yes", "y"):
                return True
            if text in ("0", "false", "no", "n"):
                return False
            raise ValueError(f"{self.name} must be yes or no, not {raw!r}")
        if self.kind == "amount":
            return _parse_amount(self.name, raw)
        text = str(raw).strip()
        if self.kind == "port" and not _PORT_CODE.match(text):
            # Whether the port exists is the engine's to check: the rulebook does no I/O.
            raise ValueError(f"{self.name} must be a port code (4 digits), not {raw!r}")
        if self.kind == "choice" and text not in self.choices:
            raise ValueError(f"{self.name} must be one of {', '.join(self.choices)}, not {raw!r}")
        if not text:
            raise ValueError(f"{self.name} must not be empty")
        return text


_PORT_CODE = re.compile(r"^\d{4}$")


MAX_AMOUNT = Decimal("1e15")  # a quadrillion dollars: beyond any duty, tender or loss


@dataclass(frozen=True)
class Bound:
    """An act a legal date cannot precede: `label` names it in the refusal ("the filing of the
    protest"), `read` finds its date in the facts (case data, entries, other inputs; None when
    the case has no such act)."""

    label: str
    read: Callable[[Facts], date | None]
    citation: str = ""


def data_bound(key: str, label: str, citation: str = "") -> Bound:
    """A bound read from the case data (an ISO date kept under `key`)."""
    return Bound(label, lambda f: iso(f.data.get(key)), citation)


@dataclass(frozen=True)
class LegalDate(Input):
    """A dated legal act: the date the law counts from (mailed, received, posted, decided).

    The one mechanism every lifecycle uses for such dates (REFERENCE.md §6). The event's `at` is
    always the real instant the act was recorded (the clock, UTC, never backdated); the legal
    date is an input of the transition, so the event data — and with it the hash chain — carries
    it, `cee case show`/`history` print it beside the instant, and the transition's effect writes
    it into the case data where timers anchor on it (`Facts.legal(name)` reads it).

    - `required=False` (the default): the date is today unless given; the help says so.
    - Malformed or impossible (2025-02-30), or after today: `InvalidInput` (CLI exit 2).
    - Before one of `not_before` (the act it follows: a request not mailed before its protest
      was filed): refused as a rule (`RuleViolation`, exit 5), naming the bound and its date.
    - `citation`: the rule that makes the date count.
    """

    kind: str = "date"
    citation: str = ""
    not_before: tuple[Bound, ...] = ()
    # False: an act that may not have happened at all (a demand on a surety's bond): not given,
    # it is absent, not today.
    today_by_default: bool = True

    def __post_init__(self):
        if self.kind != "date":
            raise ValueError(f"legal date {self.name} must be of kind date")
        if not self.required and "default" not in self.help:
            tail = "(default: today)" if self.today_by_default else "(default: none)"
            object.__setattr__(self, "help", f"{self.help} {tail}")

    def too_late(self, value: str, today: date) -> str | None:
        """Why `value` (ISO) cannot be this act's date as of `today`, or None."""
        if date.fromisoformat(value) > today:
            return (f"{self.name} {value} is after today ({today}): a legal date cannot be "
                    "in the future")
        return None

    def guards(self) -> tuple[Guard, ...]:
        """Its bounds as guards of the transition (checked with the rulebook's own)."""
        return tuple(Guard(f"{self.name} not before {b.label}", b.citation or self.citation,
                           self._not_before(b)) for b in self.not_before)

    def _not_before(self, bound: Bound) -> Callable[[Facts], str | None]:
        def check(f: Facts) -> str | None:
            if not self.today_by_default and f.inputs.get(self.name) is None:
                return None
            floor = bound.read(f)
            given = f.legal(self.name)
            if floor is not None and given < floor:
                return (f"{self.name} {given} is before {bound.label} on {floor}; give a date "
                        f"on or after {floor}")
            return None
        return check


def legal_dates(inputs: Mapping[str, Any], spec: TransitionSpec) -> dict[str, Any]:
    """The legal dates among a transition's parsed inputs (what history shows)."""
    return {i.name: inputs[i.name] for i in spec.inputs
            if isinstance(i, LegalDate) and inputs.get(i.name) is not None}


def _parse_amount(name: str, raw: Any) -> str:
    """A sum of money in dollars and cents, kept as text ("12500.00") so JSON keeps it exact."""
    text = str(raw).strip().replace(",", "").removeprefix("$")
    try:
        value = Decimal(text)
        if not value.is_finite() or value < 0 or value >= MAX_AMOUNT or value != round(value, 2):
            value = None
    except (InvalidOperation, ArithmeticError):  # e.g. 1e400: too many digits to round
        value = None
    if value is None:
        raise ValueError(f"{name} must be an amount in dollars and cents, e.g. 12500.00, "
                         f"not {raw!r}")
    return f"{value:.2f}"
