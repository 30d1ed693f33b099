"""The sweep's set-based fires write exactly the rows the row-by-row sweep writes (both databases).

One population, cloned; one copy swept with the set-based fires (the default), the other row by
row (`set_based=False`), through the same passes in small batches. The population mixes what
the set-based path writes together (auto-schedules carrying a warning's level, finalizations)
with what it must hand to the careful path or split around: a case with two rows due in one
batch, an auto-schedule that re-arms an open PSC on its entry, a PSC validation with its
fallback, a finalization blocked by an open protest, and a protest and a liquidation of one
entry falling due together. Cases, events (sequence numbers and hashes included) and deadlines
must be identical, and so must what each pass reports.
"""

from __future__ import annotations

from conftest import eastern
from test_bulk import tables, twin  # noqa: F401, F811  (`twin` clones the test database)

from cee_workflow import Engine
from cee_workflow.workflow.sweep import sweep as sweep_pass

ACME = "12-3456789AB"
PASSES = ("2025-11-10", "2025-11-17", "2025-12-01")  # warnings; auto-schedules; the later ones


def population(cast, engine) -> dict[str, list[str]]:
    made: dict[str, list[str]] = {"plain": [], "later": []}
    for n in range(6):  # warned on 11-10, auto-scheduled on 11-17: written together
        made["plain"].append(cast.entry(importer=[cast.ACME, cast.ZETA][n % 2]).id)
    for _ in range(2):  # warning and auto-schedule both due on 12-01: two rows, row by row
        cast.at("2025-01-21")
        made["later"].append(cast.entry(entry_date="2025-01-21").id)
    with_psc = cast.entry()  # its bulletin posting (11-21) closes the open PSC on its entry
    cast.at("2025-06-02")
    psc = engine.open_case("psc", actor=cast.actor(f"filer:{ACME}"), entries=with_psc.entries,
                           reason="value of assists")
    made["psc"] = [with_psc.id, psc.id]
    final = cast.liquidated()  # finalizes when the protest window has closed
    protested = cast.liquidated()  # its protest, deemed denied, and its finality fall due together
    cast.at("2025-03-03")
    protest = engine.open_case("protest", actor=cast.actor(f"filer:{ACME}"),
                               entries=protested.entries, reason="classification")
    engine.advance(protest.id, "accept", actor=cast.actor("p2704"))
    cast.at("2025-06-02")
    engine.advance(protest.id, "request_accelerated_disposition",
                   actor=cast.actor(f"filer:{ACME}"))
    made["liquidated"] = [final.id, protested.id, protest.id]
    return made


def test_set_based_fires_write_exactly_the_rows_a_row_by_row_sweep_writes(cast, engine, clock,
                                                                           twin, db_url):  # noqa: F811
    made = population(cast, engine)
    other = twin()
    by_row = Engine(other, clock=clock)
    together, one_by_one = [], []
    try:
        for day in PASSES:
            instant = eastern(day, 12)
            together.append(sweep_pass(engine, instant, batch=3).to_dict())
            one_by_one.append(sweep_pass(by_row, instant, batch=3, set_based=False).to_dict())
    finally:
        by_row.close()

    assert together == one_by_one  # fired, escalated, blocked, stale: the same, in order
    fired = [f for result in together for f in result["fired"]]
    assert {f"{case_id} auto_schedule" for case_id in made["plain"] + made["later"]} <= set(fired)
    assert f"{made['liquidated'][0]} finalize" in fired
    assert any(b.startswith(f"{made['liquidated'][1]} finalize") for r in together
               for b in r["blocked"])
    assert tables(db_url) == tables(other)  # cases, events (seq, hashes), deadlines (ids)
    # Set-based and row by row alike, the auto-posting closed the PSC nobody reviewed.
    assert f"{made['psc'][0]} auto_liquidate" in fired
    assert engine.get(made["psc"][1]).state == "closed_by_liquidation"



def test_fires_alike_are_decided_once_and_written_as_one_group(cast, engine, monkeypatch):
    # Five entries of one day: their auto-schedules read the same entry date and period end
    # (the transition declares it), fall due at the same instant and share one note — the
    # shared machine decides once, and their timers are armed once, for all five.
    from cee_workflow.states.base import Lifecycle
    from cee_workflow.workflow import sweep_fires

    ids = [cast.entry().id for _ in range(5)]
    sweep_pass(engine, eastern("2025-11-10", 12))  # the deemed liquidation's warnings
    decided: list[str] = []
    real_fire = Lifecycle.fire
    monkeypatch.setattr(Lifecycle, "fire", lambda self, state, trigger, facts: (
        decided.append(trigger), real_fire(self, state, trigger, facts))[1])
    groups: list[int] = []
    real_write = sweep_fires.write_batch

    def write_batch(session, planned_groups, steps, *args, **kwargs):
        groups.append(len(planned_groups))
        return real_write(session, planned_groups, steps, *args, **kwargs)

    monkeypatch.setattr(sweep_fires, "write_batch", write_batch)
    result = sweep_pass(engine, eastern("2025-11-17", 12))
    assert sorted(f for f in result.fired if f.endswith("auto_schedule")) == sorted(
        f"{case_id} auto_schedule" for case_id in ids)
    assert decided.count("auto_schedule") == 1
    assert groups == [1]
    assert {engine.get(case_id).state for case_id in ids} == {"scheduled"}
    assert engine.verify_audit().ok
