"""One liquidation case's history, lived in memory by the rulebook: the rows the engine would write.

The generator cannot afford `engine.advance` for millions of cases, and must not invent rows the
engine would never write. So it replays a case's life here with the same pieces the engine uses —
the shared machine (`Lifecycle.fire`), the transition's effect, `timer_rows`/`carry_levels`, the
sweep's stages and the event hash chain — taking each timer stage at the instant it falls due, as a
scheduler running continuously would. The result is a `History` for a placeholder case id; the
generator stamps it onto many cases (`History.events_for`) by re-hashing the chain per case.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

from cee_workflow.states import LIFECYCLES
from cee_workflow.states.authority import regime_at
from cee_workflow.states.base import EntryFacts, Facts, Refusal
from cee_workflow.states.calendar import LEGAL_TZ, legal_date
from cee_workflow.states.params import RuleParams
from cee_workflow.workflow.advance import parse_inputs
from cee_workflow.workflow.audit import GENESIS, canonical
from cee_workflow.workflow.timers import LEVELS, carry_levels, reached, stages, timer_rows
from cee_workflow.workflow.views import jsonable

LIQUIDATION = LIFECYCLES["liquidation"]
PLACEHOLDER = "LQ-#########P#"  # as long as a real id (LQ- and 11 characters); never a real one
SWEEPER = "bench-generator"  # the claimed_by of stages the generated history took


def at_eastern(day: date, hour: int = 10) -> datetime:
    """`hour`:00 America/New_York on `day`, as the UTC instant the engine stores."""
    return datetime.combine(day, time(hour), tzinfo=LEGAL_TZ).astimezone(UTC)


@dataclass
class History:
    """A case's rows: its final state and data, its events and every deadline row it armed."""

    center: str
    entry_date: date
    state: str = "new"
    data: dict[str, Any] = field(default_factory=dict)
    version: int = 0
    escalation: int = 0
    opened_at: datetime | None = None
    updated_at: datetime | None = None
    events: list[dict[str, Any]] = field(default_factory=list)
    deadlines: list[dict[str, Any]] = field(default_factory=list)
    _canonical: list[str] = field(default_factory=list)

    def events_for(self, case_id: str) -> tuple[list[tuple[dict[str, Any], str, str]], str]:
        """[(event, prev_hash, hash)] re-chained for `case_id`, and the head hash."""
        prev, chained = GENESIS, []
        for event, text in zip(self.events, self._canonical, strict=True):
            digest = hashlib.sha256((prev + text.replace(PLACEHOLDER, case_id)).encode())
            chained.append((event, prev, digest.hexdigest()))
            prev = chained[-1][2]
        return chained, prev


class Replay:
    """Lives one case: officers' actions at given instants, timer stages when they fall due."""

    def __init__(self, center: str, entry_date: date, params: RuleParams):
        self.h = History(center=center, entry_date=entry_date)
        self.params = params
        self.entry = EntryFacts(number=PLACEHOLDER[3:], importer="", port="",
                                entry_date=entry_date)

    # --- what the engine's apply() and write_event() do -----------------------------------

    def act(self, trigger: str, now: datetime, *, actor: str, authority: str,
            note: str = "", inputs: dict[str, Any] | None = None) -> bool:
        h, today = self.h, legal_date(now)
        spec = LIQUIDATION.specs_for(trigger)[0]
        used = parse_inputs(spec, inputs or {})
        facts = Facts(today=today, data=h.data, inputs=used, entries=(self.entry,),
                      params=self.params)
        outcome = LIQUIDATION.fire(h.state, trigger, facts)
        if isinstance(outcome, Refusal):
            return False
        dest, spec = outcome
        changes = spec.effect(facts) if spec.effect else {}
        data = {**h.data, **changes}
        armed = timer_rows(LIQUIDATION, dest, PLACEHOLDER, h.version + 1, data, self.params)
        pending = {(d["timer"], d["due_at"]): d["level"] for d in h.deadlines
                   if d["status"] == "pending"}
        carry_levels(armed, pending, self.params)
        regime = regime_at(today)
        self._event(now, actor=actor, authority=authority,
                    regime=regime.name if regime else "none", trigger=trigger, to_state=dest,
                    note=note, data={"inputs": used, "changes": changes, "via": None,
                                     "citation": spec.citation})
        if h.opened_at is None:
            h.opened_at = now
        h.state, h.data = dest, data
        h.escalation = max((row["level"] for row in armed), default=0)
        for row in h.deadlines:
            if row["status"] == "pending":
                row.update(status="cancelled", settled_at=now)
        for row in armed:  # the row id order: the sweep breaks ties on it
            row.update(claimed_by=None, settled_at=None, id_order=len(h.deadlines))
            h.deadlines.append(row)
        return True

    def _event(self, now: datetime, **fields: Any) -> None:
        h = self.h
        event = {"case_id": PLACEHOLDER, "case_seq": h.version + 1, "at": now,
                 "from_state": h.state, **fields}
        event["data"] = jsonable(event["data"])
        h.events.append(event)
        h._canonical.append(canonical(event))
        h.version += 1
        h.updated_at = now

    # --- what the sweep does, each stage at the instant it falls due ----------------------

    def next_stage_at(self) -> datetime | None:
        times = [row["next_at"] for row in self.h.deadlines
                 if row["status"] == "pending" and row["next_at"] is not None]
        return min(times, default=None)

    def take_stages(self, until: datetime) -> None:
        """Take every stage due by `until`, in the order they fall due."""
        while (when := self.next_stage_at()) is not None and when <= until:
            row = min((r for r in self.h.deadlines if r["status"] == "pending"
                       and r["next_at"] == when), key=lambda r: r["id_order"])
            remaining = stages(row["action"], row["level"], row["warn_at"], row["due_at"],
                               self.params)
            stage = reached(remaining, when)
            if stage.kind == "fire":
                self._fire(row, when)
            else:
                self._escalate(row, stage, remaining, when)

    def _fire(self, row: dict[str, Any], now: datetime) -> None:
        row.update(status="fired", settled_at=now, claimed_by=SWEEPER, next_at=None)
        if not self.act(row["action"], now, actor="system", authority="SYSTEM",
                        note=f"{row['timer']} due {row['due_at']:%Y-%m-%d}"):
            row.update(status="blocked")

    def _escalate(self, row, stage, remaining, now: datetime) -> None:
        later = remaining[remaining.index(stage) + 1:]
        row.update(level=stage.level, next_at=later[0].at if later else None,
                   claimed_by=SWEEPER)
        to = {"warning": "the queue of", "overdue": "a supervisor of",
              "director": "the director of"}[stage.kind] + f" center {self.h.center}"
        regime = regime_at(legal_date(now))
        self._event(now, actor="system", authority="SYSTEM",
                    regime=regime.name if regime else "none", trigger="escalate",
                    to_state=self.h.state, note=f"{row['timer']} {LEVELS[stage.level]}: to {to}",
                    data={"timer": row["timer"], "level": stage.level, "stage": stage.kind,
                          "to": to, "last_day": row["last_day"].isoformat(),
                          "due_at": row["due_at"].isoformat(), "citation": row["citation"]})
        self.h.escalation = max(self.h.escalation, stage.level)


def live(center: str, entry_date: date, until: datetime, params: RuleParams, *,
         officer: str, extend_on: date | None = None) -> History:
    """The history of an entry recorded on `entry_date` by `officer` (of its center), left to the
    scheduler (auto-schedule, bulletin, finality) until `until`; extended once on `extend_on`."""
    replay = Replay(center, entry_date, params)
    replay.act("record_entry", at_eastern(entry_date), actor=officer, authority="JOINT (center)")
    if extend_on is not None and at_eastern(extend_on) <= until:
        replay.take_stages(at_eastern(extend_on))
        replay.act("extend", at_eastern(extend_on), actor=officer, authority="CENTER",
                   inputs={"reason": "01"})
    replay.take_stages(until)
    return replay.h
