"""The walks' authority oracle: who may take which trigger on which case, re-derived from data.

The property walks (tests/walks.py) check every event against this oracle, which reads only the
rulebooks' transition specs (states.LIFECYCLES), the registry's officers and the authority
regimes restated below, independently of the engine's authorization code: no event without
authority and jurisdiction (who may take which trigger on which case, on the event's legal date,
under the regime in force). `check_event` judges each recorded event, `judge_advance` each attempt
to advance a case (a refusal wrote nothing and had its reason; a success was allowed and recorded).

It also holds the cast the walks draw from: officers, importers, ports, every trigger of both
lifecycles and the days the walks start on.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta

from conftest import Cast

from cee_workflow import Conflict, InvalidTransition, NotPermitted
from cee_workflow.states import LIFECYCLES
from cee_workflow.states.authority import Authority
from cee_workflow.states.base import STAY
from cee_workflow.states.calendar import LEGAL_TZ
from cee_workflow.workflow.jurisdiction import Officer

# Authority regimes, restated here from REFERENCE.md §0 (not read from states.authority): the
# walk checks the engine against the law, not against itself.
SHARED_FROM, SHARED_TO, CENTER_FROM = date(2014, 9, 11), date(2017, 1, 18), date(2017, 1, 19)

OFFICER_IDS = ("c007", "c007-sup", "c005", "p2704", "p2704-dir", "p2704-fpf", "p3901")
IMPORTERS = (Cast.ACME, Cast.ZETA, Cast.BETA)
PORTS = ("2704", "3901", "2709")  # 2709 has no officer of its own: only centers act there
ALL_TRIGGERS = tuple(dict.fromkeys(t for lc in LIFECYCLES.values() for t in lc.triggers))
STARTS = ("2016-06-06", "2016-12-05", "2025-01-06")  # shared regime, its end, center regime


def regime_on(day: date) -> str | None:
    if SHARED_FROM <= day <= SHARED_TO:
        return "shared"
    return "center" if day >= CENTER_FROM else None


def legal_day(instant) -> date:
    return instant.astimezone(LEGAL_TZ).date()


def next_friday(day: date) -> date:
    return day + timedelta(days=(4 - day.weekday()) % 7)


def may(officers: Mapping[str, Officer], actor_label: str, kind: str, trigger: str,
        scope: tuple[str, str, str], day: date) -> bool:
    """Whether `actor_label` holds the authority of `trigger` with jurisdiction over a case
    of (importer, port, center) on `day`; `officers` are the walk's officers by label."""
    spec = LIFECYCLES[kind].specs_for(trigger)[0]
    importer, port, center = scope
    if spec.authority is Authority.SYSTEM or actor_label == "system":
        return spec.authority is Authority.SYSTEM and actor_label == "system"
    if spec.authority is Authority.FILER:
        return actor_label == f"filer:{importer}"
    officer = officers.get(actor_label)
    if officer is not None and (spec.authority is Authority.HQ or officer.office_kind == "hq"):
        # Headquarters: national jurisdiction, and only what the law names (1515(c)).
        return spec.authority is Authority.HQ and officer.office_kind == "hq"
    regime = regime_on(day)
    if officer is None or regime is None:
        return False
    if spec.unit and officer.unit != spec.unit:
        return False
    if spec.role and officer.role.rank < spec.role.rank:
        return False
    if officer.office_kind == "center":
        return (officer.office == center
                and spec.authority in (Authority.CENTER, Authority.JOINT))
    shared = (spec.authority is Authority.CENTER and regime == "shared"
              and officer.role.value == "director")
    return officer.office == port and (
        spec.authority in (Authority.PORT, Authority.JOINT) or shared)


def check_event(officers: Mapping[str, Officer], case, event) -> None:
    """One recorded event of `case`: a transition of its rulebook, taken with authority and
    jurisdiction, recorded with the authority and regime that allowed it."""
    lifecycle = LIFECYCLES[case.kind]
    where = f"{case.id} event #{event.case_seq} {event.trigger} by {event.actor}"
    if event.trigger == "escalate":  # a timer's stage: the system alerts people, state unchanged
        assert (event.actor, event.authority) == ("system", "SYSTEM"), where
        assert event.from_state == event.to_state, where
        assert event.data["stage"] in ("warning", "overdue", "director"), where
        assert lifecycle.timer(event.data["timer"]) in lifecycle.timers_of(event.from_state), where
        return
    if event.trigger.startswith("notify_"):  # an office told of the transition before it
        assert (event.actor, event.authority) == ("system", "SYSTEM"), where
        assert event.from_state == event.to_state, where
        return
    specs = [s for s in lifecycle.specs_for(event.trigger) if event.from_state in s.sources]
    assert specs, f"{where}: no such transition from {event.from_state}"
    spec = specs[0]
    taken = [s for s in specs if event.to_state == (event.from_state if s.dest == STAY
                                                    else s.dest)]
    assert taken, f"{where}: {event.from_state} → {event.to_state} is not in the rulebook"
    day = legal_day(event.at)
    scope = (case.importer, case.port, case.center)
    assert may(officers, event.actor, case.kind, event.trigger, scope, day), (
        f"{where} ({event.authority}) on a case of importer {case.importer}, port "
        f"{case.port}, center {case.center}, on {day}: no authority or no jurisdiction")
    assert (event.actor == "system") == (spec.authority is Authority.SYSTEM), where
    assert event.authority.split()[0] == spec.authority.value or (
        "shared" in event.authority and spec.authority is Authority.CENTER), (
        f"{where}: recorded authority {event.authority!r}, rulebook {spec.authority}")
    officer = officers.get(event.actor)
    port_acting_for_center = (officer is not None and officer.office_kind == "port"
                              and spec.authority is Authority.CENTER)
    assert port_acting_for_center == ("shared" in event.authority), (
        f"{where}: a shared-authority action must be recorded as such: {event.authority!r}")
    if regime_on(day) is not None:
        assert event.regime == regime_on(day), f"{where}: regime {event.regime} on {day}"


def judge_advance(engine, officers: Mapping[str, Officer], today: date, case, trigger: str,
                  actor: str, mode: str, result) -> None:
    """One attempt to advance `case` by `trigger` as `actor`, with `mode` "none", "current" or
    "stale" as the expected version: `result` (the case, or the refusal) and what it wrote must
    agree with the rulebook and with `may`."""
    lifecycle = LIFECYCLES[case.kind]
    specs = [s for s in lifecycle.specs_for(trigger) if case.state in s.sources]
    # Engine.advance is for people: the system acts only through the scheduler's sweep.
    allowed = bool(specs) and actor != "system" and may(
        officers, actor, case.kind, trigger, (case.importer, case.port, case.center), today)
    after = engine.get(case.id)
    if isinstance(result, Exception):
        assert after.version == case.version, f"refused {trigger} wrote on {case.id}"
        if isinstance(result, Conflict):
            assert mode == "stale", f"Conflict without a concurrent change: {result}"
        if isinstance(result, InvalidTransition):
            assert not specs, f"{trigger} is valid from {case.state}, yet: {result}"
        if isinstance(result, NotPermitted) and specs and not specs[0].cascades:
            assert not allowed, f"{actor} wrongly refused {trigger} on {case.id}: {result}"
        return
    assert mode != "stale", f"{trigger} on {case.id} succeeded on a stale version"
    assert specs, f"{trigger} taken on {case.id} from {case.state}"
    assert allowed, f"{actor} took {trigger} on {case.id} without authority or jurisdiction"
    assert lifecycle.specs_for(trigger)[0].authority is not Authority.SYSTEM
    assert after.version == case.version + 1
    last = engine.history(case.id)[case.version]
    assert (last.trigger, last.actor, last.from_state) == (trigger, actor, case.state)
