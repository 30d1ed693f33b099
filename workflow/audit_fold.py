"""The fold of a case's events: what its case row and pending timers must be, checked.

A case row is a cache of its events: its state is the last event's `to_state`, its version and
event count the number of events, its head hash the last event's hash, and its data the merge of
every event's recorded `changes` in order (workflow/advance.py: event_data). Its pending timers
are those the state's rulebook arms from the data as of the event (or re-arm) that armed them,
less those that have since fired or been blocked. Anything else was written without an event.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cee_workflow.states import LIFECYCLES
from cee_workflow.states.base import EntryFacts, Lifecycle, iso
from cee_workflow.states.params import RuleParams
from cee_workflow.workflow.advance import arming_data, moves_timers
from cee_workflow.workflow.audit import BrokenLink, verify_chain
from cee_workflow.workflow.jurisdiction import SYSTEM
from cee_workflow.workflow.rulebook_update import TRIGGER as REARM_TRIGGER
from cee_workflow.workflow.timers import timer_rows
from cee_workflow.workflow.views import jsonable

# The deadline columns arming decides (the escalation level and next stage move with the sweep).
ARMED_COLUMNS = ("kind", "state", "armed_version", "last_day", "due_at", "warn_at", "action",
                 "citation")


def normal(value: Any) -> Any:
    """A JSON value as stored and read back (dates as ISO text, tuples as lists)."""
    return json.loads(json.dumps(jsonable(value), sort_keys=True))


@dataclass
class Folded:
    """A case as its events make it."""

    state: str
    count: int
    data: dict[str, Any]
    data_at: dict[int, dict[str, Any]]  # version -> data after the event of that version
    armed_from: int  # the version of the last event that armed the state's timers


def _moved_timers(lifecycle: Lifecycle, event: Mapping[str, Any]) -> bool:
    """Whether the event's transition cancelled its state's timers and armed them anew."""
    if event["from_state"] != event["to_state"] or event["trigger"] == REARM_TRIGGER:
        return True  # apply_rulebook: a release's rulebook re-armed the case's timers
    for spec in lifecycle.specs_for(event["trigger"]):
        if event["from_state"] in spec.sources and moves_timers(spec):
            return True
    return False


def fold_events(case: Any, events: Sequence[Mapping[str, Any]], lifecycle: Lifecycle,
                problems: list[BrokenLink], *, timed: bool = True) -> Folded:
    """Fold the events (in case_seq order); append a problem for each one out of order
    (`timed`: their instants too — not on a simulation database, whose clock is set by hand)."""
    state, data, armed_from, data_at = lifecycle.initial, {}, 0, {0: {}}
    previous = None
    for event in events:
        where = (case.id, event["case_seq"], event["seq"])
        if event["from_state"] != state:
            problems.append(BrokenLink(*where, f"leaves {event['from_state']} but the events "
                                       f"before it end in {state}"))
        if previous is not None:
            if timed and event["at"] < previous["at"]:
                problems.append(BrokenLink(*where, f"recorded at {event['at'].isoformat()}, "
                                           f"before event #{previous['case_seq']} "
                                           f"({previous['at'].isoformat()}): timestamps go "
                                           "backwards"))
            if event["seq"] <= previous["seq"]:
                problems.append(BrokenLink(*where, f"has seq {event['seq']}, not after event "
                                           f"#{previous['case_seq']}'s seq {previous['seq']}: "
                                           "the outbox sequence was renumbered"))
        changes = (event["data"] or {}).get("changes")
        if isinstance(changes, dict):
            data = {**data, **changes}
        state = event["to_state"]
        data_at[event["case_seq"]] = data
        if _moved_timers(lifecycle, event):
            armed_from = event["case_seq"]
        previous = event
    return Folded(state, len(events), data, data_at, armed_from)


def check_case(case: Any, events: Sequence[Mapping[str, Any]],
               deadlines: Sequence[Mapping[str, Any]], params: RuleParams,
               entries: Callable[[], tuple[EntryFacts, ...]], *, timed: bool = True
               ) -> list[BrokenLink]:
    """Every way the case's row, events and timers disagree (empty when they agree).

    `events` in case_seq order, `deadlines` every row of the case (any status), `entries`
    reads the facts of the case's entries when arming needs them (Lifecycle.timer_data).
    """
    link = verify_chain(case.id, events, case.head_hash)
    problems = [link] if link else []
    lifecycle = LIFECYCLES.get(case.kind)
    if lifecycle is None:
        return [*problems, BrokenLink(case.id, 0, 0, f"unknown case kind {case.kind!r}")]
    folded = fold_events(case, events, lifecycle, problems, timed=timed)
    last = events[-1] if events else {"case_seq": 0, "seq": 0}
    where = (case.id, last["case_seq"], last["seq"])
    row = {"state": case.state, "version": case.version, "event_count": case.event_count,
           "data": normal(case.data), "scheduled_for": iso(case.scheduled_for)}
    expected = {"state": folded.state, "version": folded.count, "event_count": folded.count,
                "data": normal(folded.data),
                "scheduled_for": iso(folded.data.get("scheduled_for"))}
    for column, value in expected.items():
        if row[column] != value:
            shown = _difference(row[column], value) if column == "data" else (
                f"{row[column]!r}, its events make it {value!r}")
            problems.append(BrokenLink(*where, f"the case row's {column} is {shown}: the case "
                                       "was changed without an event"))
    problems.extend(check_system_events(case, events, deadlines, lifecycle))
    if row["state"] == folded.state and row["version"] == folded.count:
        problems.extend(check_timers(case, folded, events, deadlines, lifecycle, params,
                                     entries))
    return problems


def _difference(row: dict[str, Any], folded: dict[str, Any]) -> str:
    keys = sorted(k for k in set(row) | set(folded) if row.get(k, ...) != folded.get(k, ...))
    return "not what its events make it (" + ", ".join(
        f"{k}: {row.get(k, '(absent)')!r} instead of {folded.get(k, '(absent)')!r}"
        for k in keys[:3]) + (", …" if len(keys) > 3 else "") + ")"


def check_timers(case: Any, folded: Folded, events: Sequence[Mapping[str, Any]],
                 deadlines: Sequence[Mapping[str, Any]], lifecycle: Lifecycle,
                 params: RuleParams, entries: Callable[[], tuple[EntryFacts, ...]]
                 ) -> list[BrokenLink]:
    """The pending timers are exactly those arming the current state produced."""
    problems = []
    by_seq = {e["case_seq"]: e for e in events}
    last = events[-1] if events else {"case_seq": 0, "seq": 0}

    def at(version: int) -> tuple[str, int, int]:
        event = by_seq.get(version, last)
        return case.id, event["case_seq"], event["seq"]

    pending = [d for d in deadlines if d["status"] == "pending"]
    for row in pending:
        if row["state"] != folded.state or not (folded.armed_from <= row["armed_version"]
                                                <= folded.count):
            problems.append(BrokenLink(*at(folded.count), f"timer {row['timer']} is pending "
                                       f"for {row['state']} version {row['armed_version']}, "
                                       f"but the case is {folded.state} since version "
                                       f"{folded.armed_from}: a timer was added without an "
                                       "event"))
    here = [d for d in deadlines if d["state"] == folded.state
            and folded.armed_from <= d["armed_version"] <= folded.count]
    version = max((d["armed_version"] for d in pending if d in here), default=None)
    if version is None:
        version = max((d["armed_version"] for d in here if d["status"] != "cancelled"),
                      default=folded.armed_from)
    for row in pending:
        if row in here and row["armed_version"] != version:
            problems.append(BrokenLink(*at(row["armed_version"]), f"timer {row['timer']} is "
                                       f"pending from version {row['armed_version']} beside "
                                       f"timers armed at version {version}: a timer was added "
                                       "or kept without an event"))
    data = folded.data_at.get(version, folded.data)
    armed = timer_rows(lifecycle, folded.state, case.id, version,
                       arming_data(lifecycle, data, entries() if lifecycle.timer_data else (),
                                   params), params)
    rows = {d["timer"]: d for d in here if d["armed_version"] == version
            and d["status"] != "cancelled"}
    # Timers anchored on dates that follow other cases (Lifecycle.timer_data: a PSC's lead
    # before its entry's liquidation) were armed from those cases as they were then, which the
    # case's own events do not record: only their state and version are checked.
    followed = _followed(lifecycle, folded.state, data, params)
    armed = [t for t in armed if t["timer"] not in followed]
    for name in followed:
        rows.pop(name, None)
    for timer in armed:
        found = rows.pop(timer["timer"], None)
        if found is None:
            problems.append(BrokenLink(*at(version), f"timer {timer['timer']} "
                                       f"({timer['citation']}, due {timer['last_day']}) armed "
                                       f"by this event is not pending: it was cancelled or "
                                       "deleted without an event"))
            continue
        wrong = [c for c in ARMED_COLUMNS if normal(found[c]) != normal(timer[c])]
        if wrong:
            shown = ", ".join(f"{c} {normal(found[c])!r} instead of {normal(timer[c])!r}"
                              for c in wrong[:2])
            problems.append(BrokenLink(*at(version), f"timer {timer['timer']} armed by this "
                                       f"event is not what arming gives ({shown}): it was "
                                       "changed without an event"))
    for name, row in rows.items():
        if row["status"] == "pending":
            problems.append(BrokenLink(*at(version), f"timer {name} is pending but arming "
                                       f"{folded.state} does not give it: it was added "
                                       "without an event"))
    return problems


def _followed(lifecycle: Lifecycle, state: str, data: Mapping[str, Any],
              params: RuleParams) -> set[str]:
    if lifecycle.timer_data is None:
        return set()
    keys = set(lifecycle.timer_data(data, (), params))
    return {t.name for t in lifecycle.timers_of(state) if t.anchor in keys}


def check_system_events(case: Any, events: Sequence[Mapping[str, Any]],
                        deadlines: Sequence[Mapping[str, Any]], lifecycle: Lifecycle
                        ) -> list[BrokenLink]:
    """The system acts only when a timer of the case falls due (a fire settles the row at the
    event's instant; an escalation stages it), in a cascade from another case, or to notify an
    office of the transition recorded just before in the same transaction."""
    problems = []
    previous = None
    for event in events:
        if event["actor"] == SYSTEM.label and not _justified(event, previous, deadlines,
                                                              lifecycle):
            problems.append(BrokenLink(case.id, event["case_seq"], event["seq"],
                                       f"a SYSTEM {event['trigger']} that no timer of the case "
                                       "and no transition before it explains: it was forged"))
        previous = event
    return problems


def _justified(event: Mapping[str, Any], previous: Mapping[str, Any] | None,
               deadlines: Sequence[Mapping[str, Any]], lifecycle: Lifecycle) -> bool:
    data = event["data"] or {}
    trigger = event["trigger"]
    if trigger.startswith("notify_"):
        return (previous is not None and previous["at"] == event["at"]
                and data.get("after") == previous["trigger"])
    if trigger == "escalate":
        return any(d["timer"] == data.get("timer") and d["level"] >= (data.get("level") or 0)
                   and normal(d["due_at"]) == data.get("due_at") for d in deadlines)
    if data.get("via"):
        return True  # a cascade: the transition of the case it names (same instant)
    if trigger == REARM_TRIGGER:  # a release's rulebook: the timers it cancelled, at its instant
        cancelled = {(c.get("timer"), c.get("last_day")) for c in data.get("cancelled", ())}
        settled = {(d["timer"], str(d["last_day"])) for d in deadlines
                   if d["status"] == "cancelled" and d["settled_at"] == event["at"]}
        return "rulebook" in data and cancelled <= settled
    for d in deadlines:
        if d["status"] == "fired" and d["settled_at"] == event["at"]:
            try:
                otherwise = lifecycle.timer(d["timer"]).otherwise
            except KeyError:
                otherwise = None
            if trigger in (d["action"], otherwise):
                return True
    return False
