"""Who may act, and under which regime. Pure data (REFERENCE.md §0).

A transition names the *authority* that may take it. JOINT is port or center. FILER is the
importer of record (or its broker acting for it). SYSTEM is operation of law, exercised only by
the engine's own scheduler. Authority over center functions is effective-dated: under Delegation
Order 14-004 a port director shared it; from CBP Dec. 16-26 the center holds it alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum


class Authority(StrEnum):
    PORT = "PORT"
    CENTER = "CENTER"
    JOINT = "JOINT"  # port or center (sampling, redelivery, revenue collection, protests)
    FILER = "FILER"
    SYSTEM = "SYSTEM"


class Role(StrEnum):
    OFFICER = "officer"
    SUPERVISOR = "supervisor"
    DIRECTOR = "director"

    @property
    def rank(self) -> int:
        return {"officer": 0, "supervisor": 1, "director": 2}[self.value]


CENTER_DIVISIONS = ("partnership", "validation", "enforcement")
PORT_UNITS = ("fpf",)


@dataclass(frozen=True)
class Regime:
    """An authority regime in force from `start` to `end` (inclusive; None = open-ended)."""

    name: str
    start: date
    end: date | None
    citation: str
    # Roles of a port officer who may also exercise CENTER authority on cases of their port.
    port_roles_sharing_center_authority: tuple[Role, ...] = ()

    def in_force(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


REGIMES: tuple[Regime, ...] = (
    Regime(
        name="shared",
        start=date(2014, 9, 11),
        end=date(2017, 1, 18),
        citation="Delegation Order 14-004",
        # "Port Directors share their authority with Center Directors" (seed 002).
        port_roles_sharing_center_authority=(Role.DIRECTOR,),
    ),
    Regime(
        name="center",
        start=date(2017, 1, 19),
        end=None,
        citation="CBP Dec. 16-26, 81 FR 92978",
    ),
)


def regime_at(day: date) -> Regime | None:
    """The regime in force on `day`, or None before the centers held any trade authority."""
    for regime in REGIMES:
        if regime.in_force(day):
            return regime
    return None
