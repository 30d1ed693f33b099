"""The property walks extended to the trade's other filings: post-summary corrections and prior
disclosures (hypothesis.stateful; REFERENCE.md §3, §4).

`FilingWalk` is `TimerWalk` (tests/walks.py: every invariant, timers included) with two more ways
in — a PSC filed on any entry and a prior disclosure made to any port, by anyone — and inputs for
every trigger of every lifecycle drawn from the rulebooks' own declarations: each `Input` by its
kind (a legal date today, back in time or, unless valid, tomorrow; a choice among its choices; an
amount; a port), so a new input (a disclosure's `mailed_on`, an investigation's commencement) is
walked as soon as a rulebook declares it. The center's Enforcement division is in the cast.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import hypothesis.strategies as st
from conftest import Cast
from hypothesis.stateful import precondition, rule
from walk_oracle import IMPORTERS, PORTS, may
from walks import OUTCOMES, TimerWalk

from cee_workflow import Conflict, InvalidTransition, NotPermitted
from cee_workflow.states import LIFECYCLES
from cee_workflow.states.base import Input, LegalDate

ENFORCEMENT = "c007-enf"


def center_of(importer: str) -> str:
    return "005" if importer == Cast.BETA else "007"


def values_for(item: Input, today: date, valid: bool) -> list[Any]:
    """Values a walk gives `item`: right ones, and unless `valid` wrong ones."""
    if isinstance(item, LegalDate) or item.kind == "date":
        good = [today.isoformat(), (today - timedelta(days=45)).isoformat(),
                (today - timedelta(days=400)).isoformat()]
        return good + ([] if valid else [(today + timedelta(days=1)).isoformat(), "2025-02-30"])
    if item.kind == "choice":
        return list(item.choices) + ([] if valid else ["??"])
    if item.kind == "bool":
        return [True, False]
    if item.kind == "amount":
        return ["12500.00", "100000.01", "0.01"] + ([] if valid else ["-5", "1e400"])
    if item.kind == "port":
        return list(PORTS) + ([] if valid else ["9999"])
    return ["walked"] + ([] if valid else [""])


class FilingWalk(TimerWalk):
    """TimerWalk over entries, protests, PSCs and prior disclosures."""

    def __init__(self):
        super().__init__()
        self.engine.add_officer(ENFORCEMENT, name="Center 007 Enforcement", office="007",
                                unit="enforcement")
        self.actors[ENFORCEMENT] = self.cast.actor(ENFORCEMENT)
        self.officers[ENFORCEMENT] = self.actors[ENFORCEMENT]

    @staticmethod
    def inputs_for(data, trigger: str, today: date, *, valid: bool = False) -> dict[str, Any]:
        kinds = [lc for lc in LIFECYCLES.values() if trigger in lc.triggers]
        if any(lc.kind in ("liquidation", "protest") for lc in kinds):
            return TimerWalk.inputs_for(data, trigger, today, valid=valid)
        declared = {i.name: i for lc in kinds for s in lc.specs_for(trigger) for i in s.inputs}
        return filing_inputs(data, declared, today, valid, trigger)

    def open_filing(self, data, kind: str, entries: list[str], importer: str, port: str | None):
        actor = f"filer:{importer}" if data.draw(st.integers(0, 3), label="anyone") \
            else data.draw(st.sampled_from(sorted(self.actors)), label="actor")
        valid = bool(data.draw(st.integers(0, 2), label="valid inputs"))
        opening = LIFECYCLES[kind].specs_for(LIFECYCLES[kind].opening)[0]
        inputs = filing_inputs(data, {i.name: i for i in opening.inputs}, self.today(), valid,
                               opening.trigger)
        extra = {"importer": importer} | ({"port": port} if port and not entries else {})
        before = {c.id for c in self.engine.list_cases(kind=kind)}
        result = self.attempt(f"open {kind}", lambda: self.engine.open_case(
            kind, actor=self.actors[actor], entries=entries, **extra, **inputs))
        scope = (importer, port or "", center_of(importer))
        if entries:
            scope = self.scope_of_entries(entries)
        allowed = may(self.officers, actor, kind, opening.trigger, scope, self.today())
        if isinstance(result, Exception):
            if isinstance(result, NotPermitted):
                assert not allowed, f"{actor} wrongly refused: {result}"
            assert not isinstance(result, Conflict | InvalidTransition), result
            assert {c.id for c in self.engine.list_cases(kind=kind)} == before
            return
        assert allowed, f"{actor} filed a {kind} for importer {importer}"
        assert result.kind == kind and result.version == 1 and result.id not in before
        OUTCOMES[f"open {kind}: {result.state}"] += 1

    @precondition(lambda self: self.entries)
    @rule(data=st.data())
    def file_psc(self, data):
        entry = data.draw(st.sampled_from(self.entries), label="PSC entry")
        importer = self.scope_of_entries([entry])[0]
        self.open_filing(data, "psc", [entry], importer, None)

    @rule(data=st.data(), importer=st.sampled_from(IMPORTERS), port=st.sampled_from(PORTS))
    def disclose(self, data, importer, port):
        own = [n for n in self.entries if self.scope_of_entries([n])[0] == importer]
        entries = data.draw(st.lists(st.sampled_from(own), max_size=2, unique=True),
                            label="disclosed entries") if own else []
        self.open_filing(data, "prior_disclosure", entries, importer, port)


def filing_inputs(data, declared: dict[str, Input], today: date, valid: bool,
                  trigger: str) -> dict[str, Any]:
    """A draw of `declared` inputs: the required ones usually given, the others sometimes;
    unless `valid`, sometimes a wrong value, a missing one or an unknown name."""
    chosen: dict[str, Any] = {}
    for name, item in declared.items():
        give = item.required or data.draw(st.booleans(), label=f"give {name}")
        if item.required and not valid and data.draw(st.integers(0, 9), label="drop") == 0:
            give = False
        if give:
            chosen[name] = data.draw(st.sampled_from(values_for(item, today, valid)),
                                     label=f"{trigger} {name}")
    if not valid and data.draw(st.integers(0, 14), label="unknown input") == 0:
        chosen["colour"] = "red"
    return chosen
