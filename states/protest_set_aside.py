"""A request to set aside a denial of further review, and its deemed refusal (19 U.S.C. 1515(c)).

"If a protesting party believes that an application for further review was erroneously or
improperly denied or was denied without authority for such action, it may file with the
Commissioner ... a written request that the denial ... be set aside. Such request must be filed
within 60 days after the date of the notice of the denial. ... If the Commissioner ... fails to
act within 60 days after the date of the request, the request shall be considered denied."

The protestant records its request (`request_set_aside`, a dated act: `requested_on`); a timer
counts 60 days from the request's date; Headquarters sets the denial aside or refuses the request
before then, else the request is considered denied by operation of law at the end of the 60th
day (`refuse_set_aside`, SYSTEM) — and from then on Headquarters can no longer set it aside.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from cee_workflow.states.base import (
    Facts,
    LegalDate,
    Period,
    TimerKind,
    TimerSpec,
    data_bound,
    iso,
)

SET_ASIDE_RULE = "19 U.S.C. 1515(c)"


def considered_denied_on(data: dict[str, Any], params) -> date | None:
    """The day a recorded request is considered denied (the 60th after it), or None."""
    requested = iso(data.get("set_aside_requested_on"))
    if requested is None or data.get("set_aside_decided_on"):
        return None
    return requested + timedelta(days=params.set_aside_decision_days)


def no_request_pending(f: Facts) -> str | None:
    if considered_denied_on(f.data, f.params) is not None:
        return (f"a request to set aside of {f.data['set_aside_requested_on']} is already "
                "before Headquarters")
    return None


def request_pending(f: Facts) -> str | None:
    if considered_denied_on(f.data, f.params) is None:
        return "no request to set aside the denial of further review is pending"
    return None


def not_considered_denied(f: Facts) -> str | None:
    """Once the Commissioner has let 60 days pass, the request stands denied (1515(c)): no
    set-aside after it, even before a sweep has recorded it."""
    if f.data.get("set_aside_refused_on"):
        return (f"the request to set aside was refused on {f.data['set_aside_refused_on']}; "
                "that denial is final")
    last = considered_denied_on(f.data, f.params)
    if last is not None and f.today > last:
        return (f"Headquarters did not act within {f.params.set_aside_decision_days} days of "
                f"the request of {f.data['set_aside_requested_on']}: it is considered denied "
                f"since the end of {last}")
    return None


def sixty_days_passed(f: Facts) -> str | None:
    last = considered_denied_on(f.data, f.params)
    if last is None:
        return "no request to set aside is pending"
    if f.today <= last:
        return f"Headquarters may still act until the end of {last}"
    return None


def requested(f: Facts) -> dict:
    return {"set_aside_requested_on": f.legal("requested_on").isoformat(),
            "set_aside_decided_on": None}


def considered_denied(f: Facts) -> dict:
    last = considered_denied_on(f.data, f.params)
    day = (last or f.today).isoformat()
    return {"set_aside_refused_on": day, "set_aside_decided_on": day,
            "set_aside_refused_by": "considered denied (1515(c): no action within 60 days)"}


def refused(f: Facts) -> dict:
    return {"set_aside_refused_on": f.today.isoformat(),
            "set_aside_decided_on": f.today.isoformat(), "set_aside_refused_by": "Headquarters"}


SET_ASIDE_DEEMED_REFUSAL = TimerSpec(
    name="set_aside_deemed_refusal",
    kind=TimerKind.LEGAL,
    anchor="set_aside_requested_on",
    period=lambda p: Period(days=p.set_aside_decision_days),
    action="refuse_set_aside",
    citation=SET_ASIDE_RULE,
    summary="Headquarters does not act within 60 days of the request to set aside: the "
            "request is considered denied",
    applies=lambda data: bool(data.get("set_aside_requested_on"))
    and not data.get("set_aside_decided_on"),
)


# The request's date, a dated legal act: the 60 days count from it (1515(c)); not before the
# denial it asks to set aside.
_AFTER_DENIAL = (data_bound("further_review_denied_on", "the denial of further review"),)
SET_ASIDE_INPUTS = (
    LegalDate("requested_on", "the date of the protestant's written request to set aside",
              citation="19 U.S.C. 1515(c)",
              not_before=_AFTER_DENIAL),
)
# Headquarters acting on a request the protestant recorded reads its date from the record.
SET_ASIDE_BY_HQ = (
    LegalDate("requested_on", "the date of the protestant's written request to set aside "
              "(default: the request on record)", citation="19 U.S.C. 1515(c)",
              today_by_default=False,
              not_before=_AFTER_DENIAL),
)
