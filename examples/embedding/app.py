"""An application embedding cee-workflow beside its own `workflow`, `storage`, `states` and
`cli` modules: `python app.py sqlite:///cee.db` (or postgresql+psycopg://…)."""

from __future__ import annotations

import sys
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import cli  # the application's own modules: cee-workflow installs only `cee_workflow`
import states
import storage
import workflow
from cee_workflow import (
    Actor,
    CaseView,
    Engine,
    NotPermitted,
    Reader,
    SettableClock,
    WorkflowError,
)

ACME, ENTRY = "12-3456789AB", "112-7296677-8"
EASTERN = ZoneInfo("America/New_York")


def at(day: str) -> datetime:
    """10:00 Eastern on `day` (legal dates are America/New_York)."""
    return datetime.combine(date.fromisoformat(day), time(10), tzinfo=EASTERN)


def main(url: str) -> int:
    clock = SettableClock(at("2025-01-06"))     # tests and simulations; default: SystemClock()
    engine = Engine(url, clock=clock)           # params=RuleParams(...) to vary the rules
    engine.subscribe(storage.remember)          # called after each commit with its events
    try:
        engine.upgrade(simulation=True)         # migrations, centers and ports (idempotent)
        engine.add_officer("pete.ortiz", name="Pete Ortiz", office="2704")
        engine.add_officer("ana.lee", name="Ana Lee", office="007", unit="partnership")
        engine.add_importer(ACME, name="Acme Electronics", center="007", trusted=["ctpat"])
        port: Actor = engine.actor("pete.ortiz")  # a registered officer,
        center: Actor = engine.actor("ana.lee")
        filer: Actor = engine.actor(f"filer:{ACME}")  # or the importer's filer
        entry: CaseView = engine.add_entry(ENTRY, importer=ACME, port="2704",
                                           entry_date=date(2025, 1, 6), actor=port)
        engine.advance(entry.id, "schedule", actor=center, inputs={"date": "2025-02-07"})
        clock.move_to(at("2025-02-07"))
        engine.advance(entry.id, "liquidate", actor=center)

        clock.move_to(at("2025-03-03"))
        protest = engine.open_case("protest", actor=filer, entries=[ENTRY],
                                   reason="classification")
        try:
            engine.advance(protest.id, "accept", actor=filer)
        except NotPermitted as refusal:         # structured: no need to parse the message
            workflow.ticket(f"{refusal.kind} {refusal.case} {refusal.trigger} {refusal.rule}")
        protest = engine.advance(protest.id, "accept", actor=port, note="received at 2704",
                                 expected_version=protest.version)
        options = engine.available(protest.id, actor=center)  # with why-nots
        print("center 007 may:", ", ".join(o.trigger for o in options if o.allowed))
        print([case.id for case in engine.list_cases(kind="protest")])
    except WorkflowError as error:              # every refusal: kind, case, trigger, rule
        print(error.to_dict(), file=sys.stderr)
        return error.exit_code
    finally:
        engine.close()

    reader = Reader(url)                        # reads only: no ORM, rulebooks or engine
    try:
        shown, history, deadlines = reader.show(protest.id)  # one snapshot
    finally:
        reader.close()
    print(shown.id, states.label(shown.state), len(history), "events,",
          len(deadlines), "deadlines")
    print(*storage.JOURNAL, *workflow.QUEUE, sep="\n")
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--cli"]:
        cli.main()
    else:
        sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "sqlite:///cee.db"))
