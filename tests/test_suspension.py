"""Suspension and its lifting (issue #11, item 2): 19 U.S.C. 1504(a), (b), (d); 19 CFR 159.12(f).

A suspension required by statute or court order may be recorded at any time while the entry is
unliquidated, dated from when it began; an entry may be added already suspended; the 6 months
after a lift run from CBP's receipt of the notice; a lift recorded after them leaves the entry
deemed liquidated as of the legal date. On SQLite and PostgreSQL; the CLI in a subprocess.
"""

from __future__ import annotations

from datetime import date

import pytest
from conftest import entry_number

from cee_workflow import InvalidInput, RuleViolation


def suspend(cast, case_id, reason="04", **inputs):
    return cast.engine.advance(case_id, "suspend", actor=cast.actor("c007"),
                               inputs={"reason": reason, **inputs})


def lift(cast, case_id, notice):
    return cast.engine.advance(case_id, "lift_suspension", actor=cast.actor("c007"),
                               inputs={"notice_received_on": notice})


def test_an_adcvd_suspension_is_recorded_years_after_entry_dated_from_entry(cast, engine):
    cast.at("2021-03-01")
    case = cast.entry(entry_date="2021-03-01")
    cast.at("2024-06-03")  # three years on: the sweep has not yet run
    done = suspend(cast, case.id, suspended_from="2021-03-01")
    assert (done.state, done.data["suspended_from"], done.data["suspended_on"]) == (
        "suspended", "2021-03-01", "2024-06-03")
    engine.sweep()
    assert engine.get(case.id).state == "suspended"  # no deadline runs, the 4 years neither
    assert [d for d in engine.deadlines(case.id) if d.status == "pending"] == []


def test_a_suspension_that_began_after_the_deadline_is_refused(cast, engine):
    cast.at("2021-03-01")
    case = cast.entry(entry_date="2021-03-01")
    cast.at("2024-06-03")
    with pytest.raises(RuleViolation, match="began after the liquidation period ended on "
                                            "2022-03-01"):
        suspend(cast, case.id, suspended_from="2022-03-02")
    with pytest.raises(RuleViolation, match="only 04/05/06/08"):
        suspend(cast, case.id, reason="07", suspended_from="2021-03-01")
    with pytest.raises(RuleViolation, match="suspended_from 2021-02-28 is before the entry date"):
        suspend(cast, case.id, suspended_from="2021-02-28")
    with pytest.raises(InvalidInput, match="in the future"):
        suspend(cast, case.id, suspended_from="2024-06-04")


def test_an_entry_is_added_suspended_from_entry(cast, engine):
    cast.at("2020-05-04")
    case = engine.add_entry(entry_number(90), importer=cast.ACME, port="2704",
                            entry_date=date(2020, 5, 4), actor=cast.actor("p2704"),
                            suspended="04")
    assert (case.state, case.data["suspended_from"]) == ("suspended", "2020-05-04")
    with pytest.raises(InvalidInput, match="--suspended-from needs --suspended"):
        engine.add_entry(entry_number(91), importer=cast.ACME, port="2704",
                         entry_date=date(2020, 5, 4), actor=cast.actor("p2704"),
                         suspended_from=date(2020, 5, 4))


def test_the_6_months_run_from_the_notice_not_the_click(cast, engine):
    cast.at("2020-05-04")
    case = engine.add_entry(entry_number(92), importer=cast.ACME, port="2704",
                            entry_date=date(2020, 5, 4), actor=cast.actor("p2704"),
                            suspended="05")
    cast.at("2025-03-03")
    lifted = lift(cast, case.id, "2025-02-14")
    assert (lifted.data["notice_received_on"], lifted.data["liquidation_deadline"]) == (
        "2025-02-14", "2025-08-14")
    with pytest.raises(RuleViolation, match="notice_received_on 2020-05-03 is before the "
                                            "suspension"):
        lift(cast, suspend(cast, cast.entry(entry_date="2025-03-03").id,
                           suspended_from="2025-03-03").id, "2020-05-03")


def test_a_lift_recorded_after_the_6_months_leaves_the_entry_deemed_as_of_the_legal_date(
        cast, engine):
    cast.at("2020-05-04")
    case = engine.add_entry(entry_number(93), importer=cast.ACME, port="2704",
                            entry_date=date(2020, 5, 4), actor=cast.actor("p2704"),
                            suspended="04")
    cast.at("2025-09-01")
    lift(cast, case.id, "2025-03-01")  # 6 months on: 2025-09-01 — today, still in time
    cast.at("2025-09-02")
    with pytest.raises(RuleViolation, match="the liquidation period ended on 2025-09-01"):
        engine.advance(case.id, "schedule", actor=cast.actor("c007"),
                       inputs={"date": "2025-09-05"})
    engine.sweep()
    deemed = engine.get(case.id)
    assert (deemed.state, deemed.data["liquidation_type"], deemed.data["liquidated_on"]) == (
        "liquidated", "7", "2025-09-01")
    assert engine.history(case.id)[-1].actor == "system"
