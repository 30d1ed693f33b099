"""One transition of one case, inside the caller's transaction.

Order: rulebook (is the trigger possible from this state?), authority and jurisdiction, inputs,
guards (through the shared machine), then the writes — compare-and-set of (id, version), the
chained event, the old state's timers cancelled and the new state's armed — then cascades (an
allowed protest reliquidates its entries) in the same transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from cee_workflow.states import LIFECYCLES
from cee_workflow.states.base import (
    STAY,
    EntryFacts,
    Facts,
    LegalDate,
    Lifecycle,
    Notice,
    Refusal,
    TransitionSpec,
    iso,
    legal_dates,
)
from cee_workflow.states.params import RuleParams
from cee_workflow.storage import queries, single
from cee_workflow.storage.models import Case, Office
from cee_workflow.storage.single import CaseRow
from cee_workflow.workflow.audit import chain_hash
from cee_workflow.workflow.entry_facts import arming_data, closed_states, entry_facts
from cee_workflow.workflow.errors import (
    Conflict,
    InvalidInput,
    InvalidTransition,
    NotFound,
    RuleViolation,
    UnknownTrigger,
)
from cee_workflow.workflow.identifiers import format_entry_number
from cee_workflow.workflow.jurisdiction import (
    SYSTEM,
    Actor,
    CaseScope,
    authorize,
    has_standing,
    require_standing,
)
from cee_workflow.workflow.parties import acting_of, needs_entry_parties, with_entry_parties
from cee_workflow.workflow.timers import carry_levels, timer_rows
from cee_workflow.workflow.views import EventView, jsonable


class Context:
    """What one transaction shares: its connection (and an ORM session on it, made when a step
    needs one), the instant, the parameters, the events written."""

    def __init__(self, session: Session | None = None, *, now: datetime, today: date,
                 params: RuleParams, conn: sa.Connection | None = None):
        if (session is None) == (conn is None):
            raise ValueError("a Context runs on a session or on a connection")
        self._session, self.conn = session, conn
        self.now, self.today, self.params = now, today, params
        self.events: list[EventView] = []
        self.entries: dict[str, list[str]] = {}  # read once per case
        # Entry facts read with the case (storage.single.case_for_transition), used once by
        # `apply`.
        self.facts: dict[str, tuple[EntryFacts, ...]] = {}

    @property
    def session(self) -> Session:
        """The ORM session of this transaction (joined to its connection on first use)."""
        if self._session is None:
            self._session = Session(bind=self.conn, expire_on_commit=False)
        return self._session

    def connection(self) -> sa.Connection:
        """The transaction's connection, after flushing what the ORM holds (Core and
        `storage.single` statements do not autoflush)."""
        return self.conn if self._session is None else single.connection(self._session)

    def flush(self) -> None:
        """Write what the ORM holds (before the connection's transaction commits)."""
        if self._session is not None:
            self._session.flush()

    def close(self) -> None:
        if self._session is not None and self.conn is not None:
            self._session.close()

    def entries_of(self, case_id: str) -> list[str]:
        """The entry numbers the case names (read once per transaction)."""
        if case_id not in self.entries:
            self.entries.update(queries.entries_of_cases(self.session, [case_id]))
        return self.entries[case_id]


def lifecycle_of(kind: str) -> Lifecycle:
    try:
        return LIFECYCLES[kind]
    except KeyError:
        from cee_workflow.workflow.suggest import did_you_mean

        raise InvalidInput(f"unknown case kind {kind!r}"
                           + did_you_mean(kind, LIFECYCLES, what="kinds")) from None


def specs_from(lifecycle: Lifecycle, case: Case, trigger: str) -> list[TransitionSpec]:
    """The specs of `trigger` that leave the case's state, or InvalidTransition saying why not."""
    specs = lifecycle.specs_for(trigger)
    if not specs:
        from cee_workflow.workflow.suggest import did_you_mean

        raise UnknownTrigger(
            f"{lifecycle.kind} has no trigger {trigger!r}"
            + did_you_mean(trigger, lifecycle.triggers, what="triggers"),
            case=_existing(lifecycle, case), trigger=trigger)
    leaving = [s for s in specs if case.state in s.sources]
    if not leaving:
        sources = sorted({src for s in specs for src in s.sources})
        possible = ", ".join(dict.fromkeys(t.trigger for t in lifecycle.transitions_from(
            case.state))) or "none (final state)"
        raise InvalidTransition(
            f"{case.id} is {case.state}: {trigger} is possible only from "
            f"{', '.join(sources)}; possible now: {possible}", case=_existing(lifecycle, case),
            trigger=trigger)
    return leaving


def _existing(lifecycle: Lifecycle, case: Case | CaseRow) -> str | None:
    """The case's id for an error, unless the case is being opened (it will not exist)."""
    return None if case.state == lifecycle.initial else case.id


def parse_inputs(spec: TransitionSpec, raw: Mapping[str, Any], today: date | None = None
                 ) -> dict[str, Any]:
    """The transition's inputs parsed; a legal date (LegalDate) not given is `today` unless
    required, and one after `today` is refused as impossible (InvalidInput)."""
    declared = {i.name: i for i in spec.inputs}
    unknown = sorted(set(raw) - set(declared))
    if unknown:
        accepted = ", ".join(declared) or "none"
        raise InvalidInput(f"{spec.trigger} does not take {', '.join(unknown)}; it takes: "
                           f"{accepted}", trigger=spec.trigger)
    values: dict[str, Any] = {}
    for name, item in declared.items():
        if name in raw and raw[name] is not None:
            try:
                values[name] = item.parse(raw[name])
            except ValueError as error:
                raise InvalidInput(f"{spec.trigger}: {error}", trigger=spec.trigger) from None
            late = (item.too_late(values[name], today)
                    if isinstance(item, LegalDate) and today else None)
            if late:
                raise InvalidInput(f"{spec.trigger}: {late}", trigger=spec.trigger)
        elif item.required:
            raise InvalidInput(f"{spec.trigger} needs {name} ({item.help}); "
                               f"give it with --set {name}=VALUE", trigger=spec.trigger)
        elif item.default is not None:
            values[name] = item.default
        elif isinstance(item, LegalDate) and today is not None and item.today_by_default:
            values[name] = today.isoformat()
    return values


def scope_of(case: Case, entries: list[str] = ()) -> CaseScope:
    """Jurisdictional facts; a case not yet opened is named by what it would be."""
    label = case.id
    if case.state == lifecycle_of(case.kind).initial:
        shown = ", ".join(format_entry_number(e) for e in entries)
        label = f"a new {case.kind} on entry {shown}" if shown else f"a new {case.kind}"
    return CaseScope(id=label, importer=case.importer, port=case.port, center=case.center,
                     case_id=None if label != case.id else case.id, kind=case.kind)


def scope_for(ctx: Context, case: Case, actor: Actor) -> CaseScope:
    """The case's scope as `actor` is judged on it (a trade party: with its entries' parties)."""
    entries = ctx.entries_of(case.id)
    scope = scope_of(case, entries)
    if not needs_entry_parties(actor, entries):  # an officer's advance needs no ORM session
        return scope
    return with_entry_parties(ctx.session, scope, entries, actor)


def refuse_stranger(ctx: Context, lifecycle: Lifecycle, case, trigger: str,
                    actor: Actor) -> None:
    """NotPermitted, before the version or the state is looked at, for an actor with no standing
    on the case: the rulebook's own refusal for the trigger (authority and jurisdiction, which
    say nothing of the state), else that the case is not theirs."""
    scope = scope_for(ctx, case, actor)
    if has_standing(actor, scope):
        return
    specs = lifecycle.specs_for(trigger)
    spec = next((s for s in specs if case.state in s.sources), specs[0] if specs else None)
    if spec is not None:
        authorize(spec, actor, scope, ctx.today, ctx.params)
    require_standing(actor, scope, trigger)


def apply(ctx: Context, case: Case | CaseRow, trigger: str, actor: Actor, *, note: str = "",
          inputs: Mapping[str, Any] | None = None, expected_version: int | None = None,
          via: str | None = None) -> CaseRow:
    """Take `trigger` on `case` (a row read in this transaction); returns the row as written."""
    lifecycle = lifecycle_of(case.kind)
    if via is None:  # a stranger is refused before anything about the case's state is said
        refuse_stranger(ctx, lifecycle, case, trigger, actor)
    if expected_version is not None and case.version != expected_version:
        raise Conflict(f"{case.id} changed since you read it (version {expected_version}, now "
                       f"{case.version}, {case.state}); reload it and decide again",
                       case=case.id, trigger=trigger)
    specs = specs_from(lifecycle, case, trigger)
    entries = ctx.entries_of(case.id)
    scope = scope_for(ctx, case, actor)
    grant = authorize(specs[0], actor, scope, ctx.today, ctx.params)
    inputs_used = parse_inputs(specs[0], inputs or {}, ctx.today)
    check_offices(ctx, specs[0], inputs_used)
    facts = Facts(today=ctx.today, data=case.data, inputs=inputs_used,
                  entries=ctx.facts.pop(case.id, None)
                  or (entry_facts(ctx.session, entries) if entries else ()),
                  params=ctx.params, via=via,
                  importer=case.importer, division=case.division,
                  acting=acting_of(actor, scope) if via is None else None)
    outcome = lifecycle.fire(case.state, trigger, facts)
    if isinstance(outcome, Refusal):
        raise RuleViolation(f"{trigger} on {scope.id} refused: {outcome.reason}",
                            outcome.guard.citation, case=scope.case_id, trigger=trigger)
    dest, spec = outcome
    changes = spec.effect(facts) if spec.effect else {}
    # Leaving the state ends its timers (so does a stay that restarts them: an extension); the
    # levels they reached carry on to the same deadline (one statement: the cancel returns them).
    levels = (single.cancel_pending_returning_levels(ctx.connection(), [case.id], ctx.now)
              .get(case.id, {}) if moves_timers(spec) else {})
    values, armed = transition_values(lifecycle, case, spec, dest, changes, levels, ctx.params,
                                      facts.entries)
    updated = write_event(
        ctx, case, actor=actor.label, authority=grant.authority, regime=grant.regime,
        trigger=trigger, note=note, values=values,
        data=event_data(spec, inputs_used, changes, via))
    single.insert_deadlines(ctx.connection(), armed)
    for notice in spec.notices:
        updated = write_notice(ctx, updated, notice, grant.regime, trigger)
    for cascade in spec.cascades:
        after = updated.data
        if cascade.when is not None and not cascade.when(after):
            continue
        given = dict(cascade.inputs) | {name: after[key] for name, key in
                                        cascade.data_inputs if after.get(key)}
        if cascade.targets is not None:
            if via is None:
                _cascade_to_cases(ctx, case, cascade, cascade.targets(case.id, facts, after), actor,
                                  trigger, given)
            continue
        skipped = set(after.get(cascade.skip) or ()) if cascade.skip else set()
        for entry in (e for e in entries if e not in skipped):
            target = queries.get_case(ctx.session, f"{LIFECYCLES[cascade.lifecycle].prefix}-"
                                      f"{entry}", for_update=True)
            if target is None:
                raise NotFound(f"{cascade.lifecycle} case of entry", entry,
                               trigger=cascade.trigger)
            apply(ctx, target, cascade.trigger, actor, note=f"from {case.id} {trigger}",
                  inputs=given, via=case.id)
    if spec.closes and any(entry.open_pscs for entry in facts.entries):
        close_followers(ctx, updated, spec, entries, trigger)
    if spec.raises_summary_version:
        for entry in facts.entries:
            if not queries.raise_summary_version(ctx.session, entry.number,
                                                 entry.summary_version):
                raise Conflict(f"the summary of entry {entry} changed while {trigger} was being "
                               "applied; reload and try again", case=case.id, trigger=trigger)
    for kind in spec.rearms:  # cases of these kinds on the same entries follow this change
        naming = queries.open_cases_naming(ctx.session, entries,
                                           {kind: closed_states(kind)})[kind]
        for target_id in sorted({i for ids in naming.values() for i in ids} - {case.id}):
            rearm(ctx, queries.get_case(ctx.session, target_id, for_update=True))
    return updated


# --- the pure part, shared with the bulk path (workflow/bulk.py) -----------------------------


def _cascade_to_cases(ctx: Context, case: Any, cascade: Any, ids: tuple[str, ...],
                      actor: Actor, trigger: str, given: dict[str, Any]) -> None:
    """`cascade.trigger` on each case of `ids` that is in a state the trigger leaves."""
    sources = {s for spec in lifecycle_of(cascade.lifecycle).specs_for(cascade.trigger)
               for s in spec.sources}
    for target_id in sorted(set(ids) - {case.id}):
        target = queries.get_case(ctx.session, target_id, for_update=True)
        if target is not None and target.state in sources:
            apply(ctx, target, cascade.trigger, actor, note=f"from {case.id} {trigger}",
                  inputs=given, via=case.id)


def moves_timers(spec: TransitionSpec) -> bool:
    """Whether the transition ends the state's timers and arms them anew."""
    return spec.dest != STAY or spec.restarts_timers


def transition_values(lifecycle: Lifecycle, case: Any, spec: TransitionSpec, dest: str,
                      changes: Mapping[str, Any], levels: Mapping[tuple[str, datetime], int],
                      params: RuleParams, entries: tuple[EntryFacts, ...] = ()
                      ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The case's new values (state, data, escalation) and the deadline rows the new state
    arms, carrying the escalation `levels` its pending deadlines had reached. `entries` feed
    the dates a lifecycle's timers follow from other cases (Lifecycle.timer_data)."""
    if not moves_timers(spec):
        return {"state": case.state, "data": {**case.data, **changes}}, []
    dest = case.state if spec.dest == STAY else dest
    values: dict[str, Any] = {"state": dest, "data": {**case.data, **changes}}
    armed = timer_rows(lifecycle, dest, case.id, case.version + 1,
                       arming_data(lifecycle, values["data"], entries, params), params)
    carry_levels(armed, levels, params)
    values["escalation"] = max((row["level"] for row in armed), default=0)
    return values, armed


def event_data(spec: TransitionSpec, inputs_used: Mapping[str, Any],
               changes: Mapping[str, Any], via: str | None) -> dict[str, Any]:
    data = {"inputs": inputs_used, "changes": changes, "via": via, "citation": spec.citation}
    dated = legal_dates(inputs_used, spec)
    if dated:  # the legal dates of the act, beside the instant `at` it was recorded
        data["legal_dates"] = dated
    return data


def case_columns(data: Mapping[str, Any]) -> dict[str, Any]:
    """Columns that copy case data for SQL to select on (the bulletin: `scheduled_for`)."""
    return {"scheduled_for": iso(data.get("scheduled_for"))}


def chained_event(case: Any, now: datetime, *, actor: str, authority: str, regime: str,
                  trigger: str, note: str, data: dict[str, Any], values: dict[str, Any]
                  ) -> tuple[dict[str, Any], dict[str, Any]]:
    """The case's next event, chained to its head hash, and the case row's new values.

    `case` is anything with id, state, event_count and head_hash (an ORM row or a plain row).
    """
    now = now.astimezone(UTC)  # hashed as stored: an instant in UTC (a sweep may be given
    # any aware instant, e.g. midnight Eastern; the database reads every instant back in UTC)
    event = {
        "case_id": case.id, "case_seq": case.event_count + 1, "at": now, "actor": actor,
        "authority": authority, "regime": regime, "trigger": trigger,
        "from_state": case.state, "to_state": values.get("state", case.state), "note": note,
        "data": jsonable(data),
    }
    event["prev_hash"] = case.head_hash
    event["hash"] = chain_hash(case.head_hash, event)
    row = {**values, "head_hash": event["hash"], "event_count": case.event_count + 1,
           "updated_at": now}
    if "data" in values:
        row.update(case_columns(values["data"]))
    return event, row


def event_view(seq: int, event: Mapping[str, Any]) -> EventView:
    return EventView(seq=seq, hash=event["hash"], **{
        k: v for k, v in event.items() if k not in ("prev_hash", "hash")})


# --- the writes of one case ----------------------------------------------------------------


def write_event(ctx: Context, case: Case | CaseRow, *, actor: str, authority: str, regime: str,
                trigger: str, note: str, data: dict[str, Any], values: dict[str, Any]
                ) -> CaseRow:
    """Append the case's next chained event and compare-and-set the case row with `values`.

    Every change to a case goes through here: the version counts its events, and the head hash
    is the hash of the latest. Conflict if another transaction changed the case first.
    """
    event, row = chained_event(case, ctx.now, actor=actor, authority=authority, regime=regime,
                               trigger=trigger, note=note, data=data, values=values)
    if not single.compare_and_set_case(ctx.connection(), case.id, case.version, row):
        raise Conflict(f"{case.id} was changed by someone else while {trigger} was being "
                       "applied; reload it and try again", case=case.id, trigger=trigger)
    seq = single.insert_event(ctx.connection(), event)
    ctx.events.append(event_view(seq, event))
    return CaseRow.of(case, **row, version=case.version + 1)


def write_notice(ctx: Context, case: Case | CaseRow, notice: Notice, regime: str, trigger: str
                 ) -> CaseRow:
    """Record that another office is told of `trigger`: a chained event, the state unchanged."""
    to = f"the {notice.division} division of center {case.center}"
    return write_event(
        ctx, case, actor=SYSTEM.label, authority="SYSTEM", regime=regime,
        trigger=notice.trigger, note=f"{notice.summary}: {to} notified", values={},
        data={"division": notice.division, "center": case.center, "after": trigger,
              "citation": notice.citation})


def check_offices(ctx: Context, spec: TransitionSpec, inputs: Mapping[str, Any]) -> None:
    """An input naming a port must name a known one (the rulebook checks only its form)."""
    for item in spec.inputs:
        code = inputs.get(item.name)
        if item.kind == "port" and code is not None:
            office = ctx.session.get(Office, code)
            if office is None or office.kind != "port":
                raise InvalidInput(f"{spec.trigger}: {item.name} {code} is not a known port; "
                                   "see `cee office list`", trigger=spec.trigger)


def close_followers(ctx: Context, case: Any, spec: TransitionSpec, entries: list[str],
                    trigger: str) -> None:
    """Close, by their SYSTEM trigger, the open cases `spec` closes on the same entries (a
    liquidation closes the entry's open PSCs: REFERENCE.md §3), each with an event naming
    `case`'s transition. Shared by the single, bulk and sweep paths."""
    for close in spec.closes:
        for target_id in rearm_targets(ctx.session, entries, (close.lifecycle,), case.id):
            target = queries.get_case(ctx.session, target_id, for_update=True)
            apply(ctx, target, close.trigger, SYSTEM,
                  note=f"closed: entry liquidated by {case.id} {trigger}", via=case.id)


def rearm(ctx: Context, case: Case) -> None:
    """Cancel the case's pending timers and arm its state's timers afresh (no state change)."""
    lifecycle = lifecycle_of(case.kind)
    entries = entry_facts(ctx.session, ctx.entries_of(case.id))
    armed = timer_rows(lifecycle, case.state, case.id, case.version,
                       arming_data(lifecycle, case.data, entries, ctx.params), ctx.params)
    levels = queries.cancel_pending_returning_levels(ctx.session, [case.id], ctx.now)
    carry_levels(armed, levels.get(case.id, {}), ctx.params)
    queries.insert_deadlines(ctx.session, armed)



def rearm_targets(session: Session, entries: list[str], kinds: tuple[str, ...] | list[str],
                  case_id: str | None, *, by_entry: bool = False) -> Any:
    """The open cases of `kinds` naming `entries`, other than `case_id`, in id order: those a
    transition with `rearms` re-arms (as `apply` does). With `by_entry`: {entry: [ids]}."""
    naming = queries.open_cases_naming(session, entries, {k: closed_states(k) for k in kinds})
    if by_entry:
        merged: dict[str, list[str]] = {}
        for of_kind in naming.values():
            for entry, ids in of_kind.items():
                merged.setdefault(entry, []).extend(i for i in ids if i != case_id)
        return merged
    return sorted({i for by_entry in naming.values() for ids in by_entry.values() for i in ids}
                  - {case_id})
