"""Presentation for examination and a deemed exclusion, on the entry's liquidation case
(19 U.S.C. 1499(c)(5)(A); REFERENCE.md §2): "merchandise which has not been released within 30
days following the date on which it is presented for customs examination ... shall be treated
as a decision of the Customs Service to exclude the merchandise for purposes of section
1514(a)(4)". The case keeps its state: these are stays.

- The port records the presentation (`present_for_examination`, a dated act: `presented_on`,
  not after today, not before the entry date) and the release (`release`, dated `released_on`,
  not before the presentation).
- Readings: the 30 days are calendar days, day 1 the day after presentation; "within 30 days"
  includes the 30th, so the merchandise is deemed excluded at the end of the 30th day, with no
  roll-forward to a business day (an operation of law, not a filing of the trade: REFERENCE.md
  §6). The SYSTEM `deem_excluded` is recorded by the sweep from the start of day 31, dated the
  30th day (`deemed_excluded_on`); a release dated after the 30th day does not undo it.
- The exclusion protest then reads the decision's date from here (states/protest_parties.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from cee_workflow.states.authority import Authority
from cee_workflow.states.base import (
    STAY,
    Facts,
    Guard,
    LegalDate,
    Period,
    TimerKind,
    TimerSpec,
    TransitionSpec,
    data_bound,
    iso,
)

DEEMED_EXCLUSION_RULE = "19 U.S.C. 1499(c)(5)(A)"
# Merchandise is presented before it is released, while its entry is open.
PRESENTABLE = ("unliquidated", "extended", "suspended", "scheduled")
# A presentation pending at liquidation still runs its 30 days.
EXAMINED = (*PRESENTABLE, "liquidated", "reliquidated")


def deemed_exclusion_day(data: Mapping[str, Any], params) -> date | None:
    """The 30th day after the recorded presentation, when the merchandise was not released by
    its end (or was deemed excluded already); None if there is no such exclusion."""
    return exclusion_day(iso(data.get("presented_on")), iso(data.get("released_on")), params)


def exclusion_day(presented: date | None, released: date | None, params) -> date | None:
    """The day merchandise presented on `presented` is deemed excluded — the 30th day after —
    unless `released` by its end (None)."""
    if presented is None:
        return None
    day = presented + timedelta(days=params.deemed_exclusion_days)
    if released is not None and released <= day:
        return None  # released within the 30 days
    return day


def _not_pending(f: Facts) -> str | None:
    if f.data.get("presented_on") and not f.data.get("released_on") and not f.data.get(
            "deemed_excluded_on"):
        return (f"the merchandise presented on {f.data['presented_on']} is not released yet; "
                "record its release first")
    return None


def _pending(f: Facts) -> str | None:
    if not f.data.get("presented_on"):
        return ("no presentation for examination is recorded; record it first "
                "(present_for_examination)")
    if f.data.get("released_on"):
        return f"the merchandise was released on {f.data['released_on']}"
    return None


def _thirty_days_passed(f: Facts) -> str | None:
    day = deemed_exclusion_day(f.data, f.params)
    if day is None or f.data.get("deemed_excluded_on"):
        return "no presentation awaits a deemed exclusion"
    if f.today <= day:
        return f"the merchandise may still be released until the end of {day}"
    return None


def _presented(f: Facts) -> dict:
    return {"presented_on": f.legal("presented_on").isoformat(), "released_on": None,
            "deemed_excluded_on": None}


def _released(f: Facts) -> dict:
    return {"released_on": f.legal("released_on").isoformat()}


def _deemed(f: Facts) -> dict:
    day = deemed_exclusion_day(f.data, f.params)
    return {"deemed_excluded_on": day.isoformat(), "deemed_excluded_by": DEEMED_EXCLUSION_RULE}


DEEMED_EXCLUSION = TimerSpec(
    name="deemed_exclusion",
    kind=TimerKind.LEGAL,
    anchor="presented_on",
    period=lambda p: Period(days=p.deemed_exclusion_days),
    action="deem_excluded",
    owner="port",
    citation=DEEMED_EXCLUSION_RULE,
    summary="merchandise not released within 30 days of its presentation for examination: "
            "deemed excluded at the end of the 30th day",
    applies=lambda data: bool(data.get("presented_on")) and not data.get("released_on")
    and not data.get("deemed_excluded_on"),
    # What `applies` reads (states/reads.py): declared, so that a bulk run (the Friday
    # bulletin) arms this state's timers once per group of cases alike, not case by case.
    reads=("released_on", "deemed_excluded_on"),
)

TRANSITIONS = (
    TransitionSpec(
        "present_for_examination", PRESENTABLE, STAY, Authority.PORT,
        citation=DEEMED_EXCLUSION_RULE,
        summary="record that the merchandise was presented for examination; not released "
                "within 30 days, it is deemed excluded",
        guards=(Guard("no presentation awaiting release", DEEMED_EXCLUSION_RULE, _not_pending),),
        inputs=(LegalDate("presented_on", "the date the merchandise was presented for customs "
                          "examination", citation=DEEMED_EXCLUSION_RULE,
                          not_before=(data_bound("entry_date", "the entry"),)),),
        effect=_presented,
        restarts_timers=True,  # arms the 30 days
    ),
    TransitionSpec(
        "release", EXAMINED, STAY, Authority.PORT,
        citation=DEEMED_EXCLUSION_RULE,
        summary="record the release of merchandise presented for examination (within 30 days: "
                "no deemed exclusion)",
        guards=(Guard("a presentation awaiting release", DEEMED_EXCLUSION_RULE, _pending),),
        inputs=(LegalDate("released_on", "the date the merchandise was released",
                          citation=DEEMED_EXCLUSION_RULE,
                          not_before=(data_bound("presented_on", "its presentation"),)),),
        effect=_released,
        restarts_timers=True,  # ends the 30 days
    ),
    TransitionSpec(
        "deem_excluded", EXAMINED, STAY, Authority.SYSTEM,
        citation=DEEMED_EXCLUSION_RULE,
        summary="not released within 30 days of presentation: deemed excluded, dated the 30th "
                "day (a decision protestable under 19 U.S.C. 1514(a)(4))",
        guards=(Guard("30 days after presentation", DEEMED_EXCLUSION_RULE, _thirty_days_passed),),
        effect=_deemed,
        restarts_timers=True,
    ),
)
