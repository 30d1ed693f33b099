"""Deemed exclusion before a protest exists (19 U.S.C. 1499(c)(5)(A)), on SQLite and PostgreSQL:
the port records the presentation for examination on the entry's liquidation case, a SYSTEM
timer deems the merchandise excluded at the end of the 30th day unless it was released, and an
exclusion protest takes its decision date from it (states/liquidation_exclusion.py)."""

from __future__ import annotations

import pytest
from cli_harness import ACME, E1, cee, cee_json
from test_protest import d, file_protest, pending, start_of

from cee_workflow import InvalidInput, NotPermitted, RuleViolation

ENTERED = "2025-01-06"
PRESENTED = "2025-01-08"  # day 30 is 2025-02-07 (a Friday); no roll-forward
DAY_30 = "2025-02-07"


def presented(cast, engine, *, on: str = PRESENTED, keyed: str = "2025-01-10"):
    case = cast.entry(entry_date=ENTERED)
    cast.at(keyed)
    return engine.advance(case.id, "present_for_examination", actor=cast.actor("p2704"),
                          inputs={"presented_on": on})


def test_presentation_arms_the_30_days_and_the_sweep_deems_exclusion_after_day_30(cast,
                                                                                 engine):
    case = presented(cast, engine)
    assert case.state == "unliquidated" and case.data["presented_on"] == PRESENTED
    [timer] = pending(engine, case.id, "deemed_exclusion")
    assert timer.last_day == d(DAY_30) and timer.action == "deem_excluded"
    # Day 29 and day 30: the merchandise may still be released; nothing is deemed.
    for day in ("2025-02-06", DAY_30):
        engine.sweep(start_of(day))
        assert "deemed_excluded_on" not in engine.get(case.id).data or engine.get(
            case.id).data["deemed_excluded_on"] is None
    engine.sweep(start_of("2025-02-08"))  # the start of day 31
    after = engine.get(case.id)
    assert (after.state, after.data["deemed_excluded_on"]) == ("unliquidated", DAY_30)
    last = engine.history(case.id)[-1]
    assert (last.trigger, last.actor) == ("deem_excluded", "system")
    assert not pending(engine, case.id, "deemed_exclusion")
    assert engine.verify_audit().ok


@pytest.mark.parametrize("swept", [True, False])
def test_an_exclusion_protest_lies_from_day_31_dated_the_30th_day(cast, engine, swept):
    case = presented(cast, engine)
    cast.at(DAY_30)
    with pytest.raises(RuleViolation, match=r"deemed excluded only if not released within 30 "
                       r"days, at the end of 2025-02-07; protest from 2025-02-08.*1499\(c\)"
                       r"\(5\)\(A\)"):
        file_protest(cast, engine, case, on=DAY_30, protested="exclusion")
    if swept:
        engine.sweep(start_of("2025-02-08"))
    # Even before a sweep records it, the deemed exclusion binds from the end of day 30.
    protest = file_protest(cast, engine, case, on="2025-02-08", protested="exclusion")
    assert (protest.data["decision_date"], protest.data["deemed_exclusion"],
            protest.data["protest_deadline"]) == (DAY_30, True, "2025-08-06")


@pytest.mark.parametrize("released_on", ["2025-02-06", DAY_30])
def test_merchandise_released_by_day_30_is_not_excluded(cast, engine, released_on):
    case = presented(cast, engine)
    cast.at(released_on)
    released = engine.advance(case.id, "release", actor=cast.actor("p2704"),
                              inputs={"released_on": released_on})
    assert released.data["released_on"] == released_on
    assert not pending(engine, case.id, "deemed_exclusion")
    engine.sweep(start_of("2025-02-09"))
    assert not engine.get(case.id).data.get("deemed_excluded_on")
    with pytest.raises(RuleViolation, match=rf"presented on {PRESENTED} was released on "
                       rf"{released_on}, within 30 days: it was not excluded"):
        file_protest(cast, engine, case, on="2025-02-09", protested="exclusion")
    # An exclusion notice is still protestable by its own date.
    notice = file_protest(cast, engine, case, on="2025-02-09", protested="exclusion",
                          decision_date="2025-02-03")
    assert notice.data["decision_date"] == "2025-02-03"


def test_presentation_and_release_are_dated_acts_of_the_port(cast, engine):
    case = cast.entry(entry_date=ENTERED)
    port = cast.actor("p2704")
    cast.at("2025-01-10")
    with pytest.raises(InvalidInput, match=r"presented_on 2025-01-11 is after today"):
        engine.advance(case.id, "present_for_examination", actor=port,
                       inputs={"presented_on": "2025-01-11"})
    with pytest.raises(RuleViolation, match=r"presented_on 2025-01-05 is before the entry on "
                       r"2025-01-06"):
        engine.advance(case.id, "present_for_examination", actor=port,
                       inputs={"presented_on": "2025-01-05"})
    with pytest.raises(NotPermitted, match=r"a filer cannot take it"):
        engine.advance(case.id, "present_for_examination", actor=cast.actor(f"filer:{cast.ACME}"))
    with pytest.raises(RuleViolation, match=r"no presentation for examination is recorded"):
        engine.advance(case.id, "release", actor=port)
    # Default: today.
    today = engine.advance(case.id, "present_for_examination", actor=port)
    assert today.data["presented_on"] == "2025-01-10"
    with pytest.raises(RuleViolation, match=r"is not released yet"):
        engine.advance(case.id, "present_for_examination", actor=port)
    with pytest.raises(RuleViolation, match=r"released_on 2025-01-09 is before its "
                       r"presentation on 2025-01-10"):
        engine.advance(case.id, "release", actor=port, inputs={"released_on": "2025-01-09"})
    with pytest.raises(NotPermitted, match=r"operation of law"):
        engine.advance(case.id, "deem_excluded", actor=port)


def test_cli_shows_the_presentation_date_beside_the_instant(db_url):
    db = db_url
    cee("officer", "add", "p2704", "--name", "Pete", "--port", "2704", db=db)
    cee("importer", "add", ACME, "--name", "Acme", "--center", "007", db=db)
    lq = cee_json("entry", "add", E1, "--importer", ACME, "--port", "2704", "--date", ENTERED,
                  db=db, actor="p2704", now=ENTERED)["id"]
    _, err = cee("case", "advance", lq, "present_for_examination", "--set",
                 "presented_on=2025-01-11", db=db, actor="p2704", now="2025-01-10", expect=2)
    assert "after today" in err and len(err.strip().splitlines()) == 1
    cee("case", "advance", lq, "present_for_examination", "--set", f"presented_on={PRESENTED}",
        db=db, actor="p2704", now="2025-01-10T15:00")
    last = cee_json("case", "history", lq, db=db)[-1]
    assert last["at"].startswith("2025-01-10T20:00")  # 15:00 Eastern, kept in UTC
    assert last["data"]["legal_dates"] == {"presented_on": PRESENTED}
    shown, _ = cee("case", "show", lq, db=db)
    assert f"presented_on={PRESENTED}" in shown and "deemed_exclusion" in shown
