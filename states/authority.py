"""Who may act, and under which regime. Pure data (REFERENCE.md §0).

A transition names the *authority* that may take it. JOINT is port or center. FILER is the
importer of record (or its broker acting for it). SYSTEM is operation of law, exercised only by
the engine's own scheduler. Authority over center functions is effective-dated: under Delegation
Order 14-004 a port director shared it; from CBP Dec. 16-26 the center holds it alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum


class Authority(StrEnum):
    PORT = "PORT"
    CENTER = "CENTER"
    JOINT = "JOINT"  # port or center (sampling, redelivery, revenue collection, protests)
    FILER = "FILER"
    SYSTEM = "SYSTEM"
    # Headquarters (the Commissioner, Office of Trade, Regulations & Rulings): sets aside a
    # denial of further review (19 U.S.C. 1515(c)) and takes further review where 19 CFR
    # 174.26(b)(1) sends it; national jurisdiction.
    HQ = "HQ"


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
    # Before a center's implementation of DO 14-004 the port held every trade function of its
    # cases: CENTER authority is the port's, exercised by its officers (any role).
    port_holds_center_authority: bool = False

    def in_force(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


# When Delegation Order 14-004 (issued 2014-09-11) took effect at each center (REFERENCE.md §0:
# trade press summaries of DO 14-004, Jan 2015 and Mar 2016). Center 004's date is UNCONFIRMED
# ("about November 2015"): it is the RuleParams parameter `apparel_center_implemented_on`.
DO_14_004 = "Delegation Order 14-004"
DO_14_004_WAVES: dict[str, tuple[date | None, str]] = {
    **{c: (date(2015, 1, 28), f"{DO_14_004}, implemented 2015-01-28 (trade press, Jan 2015)")
       for c in ("001", "006", "007")},
    "004": (None, f"{DO_14_004}, implemented about Nov 2015 (UNCONFIRMED; a parameter)"),
    **{c: (date(2016, 3, 23), f"{DO_14_004}, implemented 2016-03-23 (trade press, Mar 2016)")
       for c in ("002", "003", "005", "008", "009", "010")},
}
CBP_DEC_16_26 = date(2017, 1, 19)  # 81 FR 92978: trade functions to the Center directors

PORT_REGIME_CITATION = ("before Delegation Order 14-004 took effect at the center: the port "
                        "held every trade function (REFERENCE.md §0)")


def implementation_date(center: str | None, apparel: date = date(2015, 11, 1)) -> date:
    """The day DO 14-004 took effect at `center` (None or unknown: the latest wave)."""
    first, _ = DO_14_004_WAVES.get(center or "", (date(2016, 3, 23), ""))
    return apparel if center == "004" else first  # type: ignore[return-value]


def regimes_of(center: str | None, apparel: date = date(2015, 11, 1)) -> tuple[Regime, ...]:
    """The regimes of `center`'s cases, oldest first: the port alone until the center
    implemented DO 14-004; shared (center, and the port director) until 2017-01-18; the center
    alone from CBP Dec. 16-26."""
    start = implementation_date(center, apparel)
    cite = DO_14_004_WAVES.get(center or "", (None, DO_14_004))[1]
    return (
        Regime(name="port", start=date.min, end=start - timedelta(days=1),
               citation=PORT_REGIME_CITATION, port_holds_center_authority=True),
        Regime(name="shared", start=start, end=CBP_DEC_16_26 - timedelta(days=1),
               citation=cite,
               # "Port Directors share their authority with Center Directors" (seed 002); DO
               # 14-004 "does not remove any authority from the Port Directors".
               port_roles_sharing_center_authority=(Role.DIRECTOR,)),
        Regime(name="center", start=CBP_DEC_16_26, end=None,
               citation="CBP Dec. 16-26, 81 FR 92978"),
    )


# The regimes as the authority matrix shows them, for a center of the first wave (001); every
# center's dates are in DO_14_004_WAVES and `cee rules`.
REGIMES: tuple[Regime, ...] = regimes_of("001")


def regime_at(day: date, center: str | None = None, apparel: date = date(2015, 11, 1)
              ) -> Regime:
    """The regime in force on `day` for cases of `center` (None: the last wave's dates)."""
    for regime in regimes_of(center, apparel):
        if regime.in_force(day):
            return regime
    raise AssertionError("the regimes cover every day")  # pragma: no cover
