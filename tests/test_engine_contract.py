"""The engine's contract, on SQLite and PostgreSQL: opening, advancing, reading, notifying."""

from __future__ import annotations

import pytest

from cee_workflow import Conflict, InvalidInput, InvalidTransition, NotFound, NotPermitted


def test_entry_opens_liquidation_case_routed_to_importer_center(cast):
    case = cast.entry(importer=cast.ACME)
    assert (case.kind, case.state, case.version) == ("liquidation", "unliquidated", 1)
    assert (case.port, case.center, case.division) == ("2704", "007", "partnership")
    assert cast.entry(importer=cast.ZETA).division == "validation"
    assert cast.entry(importer=cast.BETA, by="c005").center == "005"


def test_protest_number_is_port_year_serial(cast, engine):
    first = cast.liquidated()
    second = cast.liquidated()
    cast.at("2025-03-03")
    filer = cast.actor(f"filer:{cast.ACME}")
    a = engine.open_case("protest", actor=filer, entries=[first.entries[0]])
    b = engine.open_case("protest", actor=filer, entries=[second.entries[0]])
    assert (a.id, b.id) == ("PR-270425000001", "PR-270425000002")


def test_allowance_reliquidates_every_entry_in_the_same_transaction(cast, engine):
    one, two = cast.liquidated(), cast.liquidated()
    cast.at("2025-03-03")
    protest = engine.open_case("protest", actor=cast.actor(f"filer:{cast.ACME}"),
                               entries=[one.entries[0], two.entries[0]], reason="classification")
    engine.advance(protest.id, "accept", actor=cast.actor("p2704"))
    engine.advance(protest.id, "allow", actor=cast.actor("c007"))
    for case in (one, two):
        after = engine.get(case.id)
        assert after.state == "reliquidated"
        assert after.data["reliquidated_by"] == protest.id
        assert engine.history(case.id)[-1].data["via"] == protest.id


def test_failed_cascade_rolls_back_the_whole_decision(cast, engine):
    # Under Delegation Order 14-004 a port director shares center authority on cases of the
    # port; the cascaded reliquidation of an entry of another port is outside that jurisdiction,
    # so the allowance must fail as a whole: no decision, no partial reliquidation.
    cast.at("2016-01-04")
    here = cast.liquidated(entry_date="2016-01-04", on="2016-02-05")
    there = cast.liquidated(entry_date="2016-01-04", on="2016-02-05", port="2709", by="c007")
    cast.at("2016-03-01")
    protest = engine.open_case("protest", actor=cast.actor(f"filer:{cast.ACME}"),
                               entries=[here.entries[0], there.entries[0]])
    engine.advance(protest.id, "accept", actor=cast.actor("p2704"))
    with pytest.raises(NotPermitted, match="no jurisdiction over LQ-"):
        engine.advance(protest.id, "allow", actor=cast.actor("p2704-dir"))
    assert engine.get(protest.id).state == "accepted"
    assert engine.get(here.id).state == engine.get(there.id).state == "liquidated"
    assert [e.trigger for e in engine.history(here.id)][-1] == "liquidate"


def test_expected_version_mismatch_is_conflict_and_writes_nothing(cast, engine):
    case = cast.entry()
    with pytest.raises(Conflict):
        engine.advance(case.id, "extend", actor=cast.actor("c007"), inputs={"reason": "01"},
                       expected_version=case.version + 1)
    assert engine.get(case.id).version == case.version
    assert len(engine.history(case.id)) == 1


def test_errors_are_typed(cast, engine):
    case = cast.entry()
    with pytest.raises(NotFound):
        engine.get("LQ-00000000000")
    with pytest.raises(InvalidTransition, match="possible only from"):
        engine.advance(case.id, "reliquidate", actor=cast.actor("c007"))
    with pytest.raises(InvalidInput, match="needs reason"):
        engine.advance(case.id, "extend", actor=cast.actor("c007"))
    with pytest.raises(InvalidInput, match="must be one of 01, 02, 03"):
        engine.advance(case.id, "extend", actor=cast.actor("c007"), inputs={"reason": "09"})
    with pytest.raises(InvalidInput, match="does not take"):
        engine.advance(case.id, "extend", actor=cast.actor("c007"),
                       inputs={"reason": "01", "colour": "red"})


def test_subscribers_hear_committed_events_only(cast, engine):
    heard = []
    engine.subscribe(heard.append)
    case = cast.entry()
    with pytest.raises(NotPermitted):
        engine.advance(case.id, "extend", actor=cast.actor("p2704"), inputs={"reason": "01"})
    engine.advance(case.id, "extend", actor=cast.actor("c007"), inputs={"reason": "01"})
    assert [[e.trigger for e in batch] for batch in heard] == [["record_entry"], ["extend"]]
    assert heard[1][0].seq > heard[0][0].seq > 0
