"""The property walks (hypothesis.stateful): random actors, triggers, inputs and time.

A walk drives the engine over a handful of entries and the protests filed on them with every
officer of the cast, the filers of each importer (with and without standing) and the system
actor, every trigger of both lifecycles (SYSTEM ones included: a human must be refused), random
inputs, clock moves forward and scheduler sweeps. After every step the invariants are re-derived
from the rulebooks' data and the registry, independently of the engine's authorization code:

- no event without authority and jurisdiction (who may take which trigger on which case, on the
  event's legal date, under the regime in force): tests/walk_oracle.py;
- every case is in a state of its lifecycle, never in the initial pseudo-state;
- each case's history is a chain of its lifecycle's transitions, and its version is its number
  of events; the audit hash chains verify;
- a refusal (NotPermitted, RuleViolation, InvalidTransition, InvalidInput, Conflict) writes
  nothing; anything else escaping the engine fails the walk.

A second walk adds the timer invariants: a deadline is armed by the event that entered its
state, stays pending only while the case is in that state, and is cancelled only when the case
leaves it — never silently dropped while its state still holds.

Random walks rarely liquidate an entry on their own, so the walk starts from entries in several
states (recorded, liquidated, protested) and has progress steps: an action `available()` offers
(which must then succeed when it needs no inputs), and a scheduled-and-liquidated entry.

The walks are run by tests/test_properties.py, which gives them their databases.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import hypothesis.strategies as st
import sqlalchemy as sa
from conftest import Cast, eastern, entry_number
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule
from sqlmodel import Session, col, select
from walk_inputs import inputs_for
from walk_oracle import (
    ALL_TRIGGERS,
    IMPORTERS,
    OFFICER_IDS,
    PORTS,
    STARTS,
    check_event,
    judge_advance,
    legal_day,
    may,
    next_friday,
)

from cee_workflow import (
    Conflict,
    Engine,
    InvalidInput,
    InvalidTransition,
    NotPermitted,
    RuleViolation,
    SettableClock,
)
from cee_workflow.states import LIFECYCLES
from cee_workflow.states.base import STAY
from cee_workflow.storage.models import Deadline, Entry, Event, Serial
from cee_workflow.workflow.jurisdiction import SYSTEM, Officer

REFUSALS = (NotPermitted, RuleViolation, InvalidTransition, InvalidInput, Conflict)
OUTCOMES: Counter[str] = Counter()  # what the walks did; printed with CEE_PROPERTY_STATS=1


class CaseWalk(RuleBasedStateMachine):
    """One random walk. `new_database()` gives (URL, drop) of a fresh, migrated, seeded database."""

    new_database: Callable[[], tuple[str, Callable[[], None]]]
    check_timers = False

    def __init__(self):
        super().__init__()
        url, self._drop = self.new_database()
        self.clock = SettableClock(eastern(STARTS[-1]))
        self.engine = Engine(url, clock=self.clock)
        self.cast = Cast(self.engine, self.clock)
        self.engine.add_office("HQ", "hq", "Headquarters, Regulations & Rulings")
        self.engine.add_officer("hq-rr", name="HQ attorney", office="HQ")  # 1515(c) set-aside
        self.actors: dict[str, Any] = {label: self.cast.actor(label)
                                       for label in (*OFFICER_IDS, "hq-rr")}
        for importer in IMPORTERS:
            self.actors[f"filer:{importer}"] = self.cast.actor(f"filer:{importer}")
        self.actors["system"] = SYSTEM
        self.officers: dict[str, Officer] = {
            k: v for k, v in self.actors.items() if isinstance(v, Officer)}
        self.entries: list[str] = []  # entry numbers (no dashes) in order of recording
        self.serial = 0

    def teardown(self):
        self.engine.close()
        self._drop()

    # --- helpers -------------------------------------------------------------------------

    def today(self) -> date:
        return legal_day(self.clock.now())

    def fingerprint(self):
        """Everything a refused action must leave as it was."""
        with Session(self.engine.db) as session:
            return (
                tuple((c.id, c.version, c.state) for c in self.engine.list_cases()),
                session.exec(select(sa.func.count()).select_from(Event)).one(),
                session.exec(select(sa.func.count()).select_from(Entry)).one(),
                tuple(session.exec(select(Deadline.id, Deadline.status).order_by(Deadline.id))),
                tuple(session.exec(select(Serial.key, Serial.value).order_by(Serial.key))),
            )

    def case_ids(self) -> list[str]:
        return [c.id for c in self.engine.list_cases()]

    def scope_of_entries(self, numbers: list[str]) -> tuple[str, str, str]:
        first = self.engine.get(f"LQ-{numbers[0]}")
        return first.importer, first.port, first.center

    def record(self, number: str, importer: str, port: str, entry_date: date, actor_label: str):
        return self.engine.add_entry(number, importer=importer, port=port, entry_date=entry_date,
                                     actor=self.actors[actor_label])

    def next_number(self) -> str:
        self.serial += 1
        return entry_number(self.serial).replace("-", "")

    inputs_for = staticmethod(inputs_for)  # tests/walk_inputs.py

    def attempt(self, label: str, action: Callable[[], Any]):
        """Run `action`; a refusal must write nothing. Returns the result or the refusal."""
        before = self.fingerprint()
        try:
            result = action()
        except REFUSALS as refusal:
            after = self.fingerprint()
            assert after == before, f"{type(refusal).__name__} wrote: {refusal}"
            OUTCOMES[f"{label}: {type(refusal).__name__}"] += 1
            return refusal
        OUTCOMES[f"{label}: done"] += 1
        return result

    # --- rules ---------------------------------------------------------------------------

    @initialize(start=st.sampled_from(STARTS),
                entries=st.lists(st.tuples(st.sampled_from(IMPORTERS), st.sampled_from(PORTS),
                                           st.integers(0, 20), st.sampled_from(
                                               ["unliquidated", "liquidated", "protested"])),
                                 min_size=2, max_size=4),
                protest_inputs=st.fixed_dictionaries({}, optional={
                    "exclusion": st.booleans(), "further_review": st.booleans()}))
    def open_entries(self, start, entries, protest_inputs):
        """A handful of entries, some liquidated on the next bulletin, some of those protested."""
        self.cast.at(start)
        for importer, port, days_before, _ in entries:
            by = {"2704": "p2704", "3901": "p3901"}.get(port) or \
                ("c005" if importer == Cast.BETA else "c007")
            number = self.next_number()
            self.record(number, importer, port, self.today() - timedelta(days=days_before), by)
            self.entries.append(number)
        bulletin = next_friday(self.today() + timedelta(days=2))
        to_liquidate = [(n, e) for n, e in zip(self.entries, entries, strict=True)
                        if e[3] != "unliquidated"]
        for number, (importer, *_) in to_liquidate:
            officer = self.actors["c005" if importer == Cast.BETA else "c007"]
            self.engine.advance(f"LQ-{number}", "schedule", actor=officer,
                                inputs={"date": bulletin})
        self.clock.move_to(eastern(bulletin.isoformat()))
        for number, (importer, *_) in to_liquidate:
            officer = self.actors["c005" if importer == Cast.BETA else "c007"]
            self.engine.advance(f"LQ-{number}", "liquidate", actor=officer)
        self.clock.advance(timedelta(days=3))
        for number, (importer, *_, fate) in to_liquidate:
            if fate == "protested":
                self.engine.open_case("protest", actor=self.actors[f"filer:{importer}"],
                                      entries=[number], reason="classification", **protest_inputs)

    @precondition(lambda self: len(self.entries) < 6)
    @rule(importer=st.sampled_from(IMPORTERS), port=st.sampled_from(PORTS),
          days_before=st.integers(-3, 30), actor=st.sampled_from(
              (*OFFICER_IDS, "system", f"filer:{Cast.ACME}")))
    def add_entry(self, importer, port, days_before, actor):
        number = self.next_number()
        center = "005" if importer == Cast.BETA else "007"
        result = self.attempt("record_entry", lambda: self.record(
            number, importer, port, self.today() - timedelta(days=days_before), actor))
        allowed = may(self.officers, actor, "liquidation", "record_entry",
                      (importer, port, center), self.today())
        if isinstance(result, Exception):
            if isinstance(result, NotPermitted):
                assert not allowed, f"{actor} wrongly refused: {result}"
            else:
                assert isinstance(result, RuleViolation) and days_before < 0, result
            return
        assert allowed, f"{actor} recorded an entry of {importer} at {port}"
        assert days_before >= 0
        self.entries.append(number)

    @rule(data=st.data())
    def file_protest(self, data):
        liquidated = [c.entries[0].replace("-", "")
                      for c in self.engine.list_cases(kind="liquidation")
                      if c.state in ("liquidated", "reliquidated")]
        pool = liquidated if liquidated and data.draw(st.integers(0, 3), label="any entry") \
            else self.entries
        first = data.draw(st.sampled_from(pool), label="entry")
        scope = self.scope_of_entries([first])
        if data.draw(st.integers(0, 3), label="any importer"):  # usually one importer's entries
            pool = [n for n in pool if self.scope_of_entries([n])[0] == scope[0]]
        picks = [first, *data.draw(st.lists(st.sampled_from(pool), max_size=2, unique=True),
                                   label="more entries")]
        picks = list(dict.fromkeys(picks))
        actor = f"filer:{scope[0]}" if data.draw(st.integers(0, 3), label="anyone") \
            else data.draw(st.sampled_from(sorted(self.actors)), label="actor")
        inputs = self.inputs_for(data, "file", self.today(), valid=True)
        before = {c.id for c in self.engine.list_cases(kind="protest")}
        result = self.attempt("open protest", lambda: self.engine.open_case(
            "protest", actor=self.actors[actor], entries=picks, **inputs))
        allowed = may(self.officers, actor, "protest", "file", scope, self.today())
        if isinstance(result, Exception):
            if isinstance(result, NotPermitted):
                assert not allowed, f"{actor} wrongly refused: {result}"
            assert not isinstance(result, Conflict | InvalidTransition), result
            assert {c.id for c in self.engine.list_cases(kind="protest")} == before
            return
        assert allowed, f"{actor} filed a protest on {picks} of importer {scope[0]}"
        assert (result.kind, result.state, result.version) == ("protest", "filed", 1)
        assert result.id not in before
        if data.draw(st.integers(0, 2), label="accelerated at filing") == 0:
            # 174.22(a): with the filing, mailed the same day (or the filer's chosen date).
            mailed = self.inputs_for(data, "request_accelerated_disposition", self.today(),
                                     valid=True)
            done = self.attempt("accelerated at filing", lambda: self.engine.advance(
                result.id, "request_accelerated_disposition", actor=self.actors[actor],
                inputs=mailed))
            self.judge(result, "request_accelerated_disposition", actor, "none", done)

    @rule(data=st.data())
    def advance(self, data):
        """Any trigger of either lifecycle, by anyone, with any inputs and version."""
        case = self.engine.get(data.draw(st.sampled_from(self.case_ids()), label="case"))
        trigger = data.draw(st.sampled_from(ALL_TRIGGERS), label="trigger")
        actor = data.draw(st.sampled_from(sorted(self.actors)), label="actor")
        inputs = self.inputs_for(data, trigger, self.today())
        mode = data.draw(st.sampled_from(["none", "current", "stale"]), label="version")
        expected = {"none": None, "current": case.version, "stale": case.version - 1}[mode]
        result = self.attempt(trigger, lambda: self.engine.advance(
            case.id, trigger, actor=self.actors[actor], inputs=inputs, expected_version=expected))
        self.judge(case, trigger, actor, mode, result)

    @rule(data=st.data())
    def take_an_available_action(self, data):
        """Progress: an action `available()` offers some actor now, with valid inputs."""
        case = self.engine.get(data.draw(st.sampled_from(self.case_ids()), label="case"))
        offers: dict[str, list] = {}
        for label in sorted(self.actors):
            if label != "system":
                for a in self.engine.available(case.id, actor=self.actors[label]):
                    if a.allowed:
                        offers.setdefault(a.trigger, []).append((label, a))
        if not offers:
            return
        trigger = data.draw(st.sampled_from(sorted(offers)), label="offered trigger")
        label, offer = data.draw(st.sampled_from(offers[trigger]), label="offered to")
        inputs = self.inputs_for(data, offer.trigger, self.today(), valid=True)
        result = self.attempt(f"offered {offer.trigger}", lambda: self.engine.advance(
            case.id, offer.trigger, actor=self.actors[label], inputs=inputs,
            expected_version=case.version))
        self.judge(case, offer.trigger, label, "current", result)
        cascades = LIFECYCLES[case.kind].specs_for(offer.trigger)[0].cascades
        if not offer.inputs and not cascades:
            # available() said yes, with nothing left to give: the engine must agree.
            assert not isinstance(result, Exception), (
                f"available() offered {offer.trigger} on {case.id} to {label}, "
                f"but advance refused: {result}")

    @rule(data=st.data())
    def take_another_available_action(self, data):
        """The same again: progress is what a random walk lacks most."""
        self.take_an_available_action(data)

    @rule(data=st.data())
    def liquidate_an_entry(self, data):
        """A macro step toward protests: schedule an entry, wait for its bulletin, liquidate."""
        ready = [c.id for c in self.engine.list_cases(kind="liquidation")
                 if c.state in ("unliquidated", "extended", "scheduled")]
        if not ready:
            return
        case = self.engine.get(data.draw(st.sampled_from(ready), label="entry to liquidate"))
        officer = "c005" if case.center == "005" else "c007"
        if case.state != "scheduled":
            bulletin = next_friday(self.today() + timedelta(days=2))
            result = self.attempt("macro schedule", lambda: self.engine.advance(
                case.id, "schedule", actor=self.actors[officer], inputs={"date": bulletin}))
            self.judge(case, "schedule", officer, "none", result)
            if isinstance(result, Exception):
                return
            case = result
        self.clock.move_to(max(self.clock.now(), eastern(case.data["scheduled_for"])))
        result = self.attempt("macro liquidate", lambda: self.engine.advance(
            case.id, "liquidate", actor=self.actors[officer]))
        self.judge(case, "liquidate", officer, "none", result)

    @rule(days=st.one_of(st.integers(0, 10), st.integers(11, 120), st.integers(121, 400)))
    def move_clock(self, days):
        self.clock.advance(timedelta(days=days))

    def due_timers(self) -> list[Deadline]:
        with Session(self.engine.db) as session:
            return list(session.exec(select(Deadline).where(
                Deadline.status == "pending", Deadline.due_at <= self.clock.now(),
                col(Deadline.action).is_not(None))))

    @rule()
    def sweep(self):
        due = {d.id for d in self.due_timers()}
        result = self.engine.sweep()
        for fired in result.fired:
            OUTCOMES[f"sweep fired {fired.split()[1]}"] += 1
        for fired in result.fired:
            case_id, trigger = fired.split()
            assert trigger in LIFECYCLES[self.engine.get(case_id).kind].triggers, fired
            assert any((e.actor, e.trigger) == ("system", trigger)
                       for e in self.engine.history(case_id)), fired
        # Every timer due when the sweep began is settled (fired, blocked or cancelled); one
        # armed by the sweep's own transitions may wait for the next tick.
        left = [d for d in self.due_timers() if d.id in due]
        assert not left, f"due SYSTEM timers left pending after a sweep: {left}"

    # --- judging one advance -------------------------------------------------------------

    def judge(self, case, trigger: str, actor: str, mode: str, result) -> None:
        judge_advance(self.engine, self.officers, self.today(), case, trigger, actor, mode, result)

    # --- invariants ----------------------------------------------------------------------

    def _rows(self):
        with Session(self.engine.db) as session:
            events = session.exec(select(Event).order_by(Event.case_id, Event.case_seq)).all()
            deadlines = session.exec(select(Deadline).order_by(Deadline.id)).all()
        by_case: dict[str, list[Event]] = {}
        for event in events:
            by_case.setdefault(event.case_id, []).append(event)
        return {c.id: c for c in self.engine.list_cases()}, by_case, deadlines

    @invariant()
    def cases_histories_and_authority_hold(self):
        cases, events, _ = self._rows()
        assert set(events) <= set(cases), "events of unknown cases"
        assert len(cases) >= len(self.entries)
        for case in cases.values():
            lifecycle = LIFECYCLES[case.kind]
            assert case.state in lifecycle.state_names, (case.id, case.state)
            assert case.state != lifecycle.initial, f"{case.id} left in {case.state}"
            history = events.get(case.id, [])
            assert case.version == len(history), (case.id, case.version, len(history))
            assert [e.case_seq for e in history] == list(range(1, len(history) + 1))
            assert history[0].trigger == lifecycle.opening
            assert history[0].from_state == lifecycle.initial
            assert history[-1].to_state == case.state
            for before, event in zip([None, *history], history, strict=False):
                if before is not None:
                    assert event.from_state == before.to_state, (case.id, event.case_seq)
                check_event(self.officers, case, event)
        assert self.engine.verify_audit().ok

    @invariant()
    def timers_follow_their_state(self):
        if not self.check_timers:
            return
        cases, events, deadlines = self._rows()
        pending: set[tuple[str, str]] = set()
        for d in deadlines:
            case, history = cases[d.case_id], events[d.case_id]
            lifecycle = LIFECYCLES[case.kind]
            where = f"{d.case_id} timer {d.timer} (armed at v{d.armed_version}, {d.status})"

            def stays(e, lifecycle=lifecycle):
                if e.trigger == "escalate":
                    return True
                spec = [s for s in lifecycle.specs_for(e.trigger) if e.from_state in s.sources]
                # A stay that restarts its state's timers (an extension, a denied AFR)
                # ends them as leaving would.
                return spec[0].dest == STAY and not spec[0].restarts_timers

            assert 1 <= d.armed_version <= len(history), f"{where}: no event armed it"
            arming = history[d.armed_version - 1]
            rearmed_in_place = any(o.id < d.id and o.status == "cancelled"
                                   and (o.case_id, o.timer, o.state) == (d.case_id, d.timer,
                                                                         d.state)
                                   for o in deadlines)
            assert arming.to_state == d.state and (not stays(arming) or rearmed_in_place), (
                f"{where}: armed by #{arming.case_seq} {arming.trigger} → {arming.to_state}, "
                f"which did not enter {d.state}")
            later = history[d.armed_version:]
            left = [e for e in later if not stays(e)]
            if d.status == "pending":
                assert case.state == d.state and not left, f"{where}: its state was left"
                assert (d.case_id, d.timer) not in pending, f"{where}: armed twice"
                pending.add((d.case_id, d.timer))
            elif d.status == "cancelled":
                # Cancelled because the case left the state, or re-armed afresh in place (a
                # resolved protest re-arms its entries' finality).
                rearmed = any(o.id > d.id and (o.case_id, o.timer, o.state, o.armed_version)
                              == (d.case_id, d.timer, d.state, d.armed_version)
                              for o in deadlines)
                assert left or rearmed, (
                    f"{where}: cancelled while {d.case_id} stayed in {d.state} (events since "
                    f"arming: {[e.trigger for e in later] or 'none'})")
            elif d.status == "fired":
                assert left and left[0].actor == "system" and left[0].trigger == d.action, (
                    f"{where}: fired without recording {d.action}")


class TimerWalk(CaseWalk):
    check_timers = True
