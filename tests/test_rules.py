"""Rules as dated series with sources (states/rules.py, states/authority.py; `cee rules`).

Each dated rule on both sides of its effective date; an override; Delegation Order 14-004 per
center at each implementation date (pure, and through the engine on both databases); the CLI in
a subprocess.
"""

from __future__ import annotations

import json
import sys
from dataclasses import fields
from datetime import date, timedelta
from pathlib import Path

import pytest

from cee_workflow import NotPermitted
from cee_workflow.states.authority import regime_at
from cee_workflow.states.params import RuleParams
from cee_workflow.states.rules import RULES, UNCONFIRMED, rule

sys.path.insert(0, str(Path(__file__).parent))
from cli_harness import cee, cee_json, isolated_environment  # noqa: E402

DAY = timedelta(days=1)


@pytest.mark.parametrize(("name", "changed", "before", "after"), [
    ("psc_days_from_entry", date(2017, 11, 1), 270, 300),
    ("psc_days_before_liquidation", date(2017, 11, 1), 20, 15),
    ("protest_period_days", date(2004, 12, 18), 90, 180),
    ("accelerated_disposition_min_days", date(2004, 12, 18), 90, 0),
])
def test_a_dated_rule_has_the_value_in_force_on_each_side_of_its_date(name, changed, before,
                                                                       after):
    params = RuleParams()
    assert params.value(name, changed - DAY).value == before
    assert params.value(name, changed).value == after
    assert params.applied(name, changed)["since"] == changed.isoformat()
    assert params.applied(name, changed - DAY)["source"] != params.applied(name, changed)[
        "source"]


def test_every_legal_number_has_a_source_and_feeds_a_rule_parameter():
    names = {f.name for f in fields(RuleParams)}
    for item in RULES:
        assert item.name in names, item.name
        for value in item.values:
            assert value.source.strip(), item.name
    # The defaults of RuleParams are the values in force today.
    for item in RULES:
        assert getattr(RuleParams(), item.name) == item.at(None).value, item.name
    assert rule("apparel_center_implemented_on").values[0].source.startswith(UNCONFIRMED)


def test_an_override_replaces_the_series_on_every_date_and_says_so():
    params = RuleParams(psc_days_from_entry=200)
    for day in (date(2010, 1, 1), date(2020, 1, 1)):
        assert params.applied("psc_days_from_entry", day)["value"] == 200
        assert params.applied("psc_days_from_entry", day)["source"] == "RuleParams override"


@pytest.mark.parametrize(("center", "implemented"), [
    ("001", date(2015, 1, 28)), ("006", date(2015, 1, 28)), ("007", date(2015, 1, 28)),
    ("004", date(2015, 11, 1)),
    *[(c, date(2016, 3, 23)) for c in ("002", "003", "005", "008", "009", "010")],
])
def test_delegation_order_14_004_takes_effect_center_by_center(center, implemented):
    assert regime_at(implemented - DAY, center).name == "port"
    assert regime_at(implemented, center).name == "shared"
    assert regime_at(date(2017, 1, 18), center).name == "shared"
    assert regime_at(date(2017, 1, 19), center).name == "center"


def test_center_004s_unconfirmed_date_is_a_parameter():
    assert regime_at(date(2015, 12, 1), "004", date(2016, 1, 4)).name == "port"
    assert regime_at(date(2016, 1, 4), "004", date(2016, 1, 4)).name == "shared"


def test_before_the_second_wave_a_port_officer_holds_center_authority(cast, engine):
    """Center 005 implemented DO 14-004 on 2016-03-23: the day before, any officer of the port
    acts for it and the center cannot; that day the center acts, and a port officer cannot."""
    cast.at("2016-03-22")
    case = cast.entry(importer=cast.BETA, entry_date="2016-03-01")
    with pytest.raises(NotPermitted, match="took effect at center 005 only on 2016-03-23"):
        engine.advance(case.id, "extend", actor=cast.actor("c005"), inputs={"reason": "01"})
    engine.advance(case.id, "extend", actor=cast.actor("p2704"), inputs={"reason": "01"})
    event = engine.history(case.id)[-1]
    assert (event.regime, event.authority) == (
        "port", "CENTER (held by the port before DO 14-004 at center 005)")
    cast.at("2016-03-23")
    with pytest.raises(NotPermitted, match="holds port authority — center 005 decides"):
        engine.advance(case.id, "extend", actor=cast.actor("p2704"), inputs={"reason": "01"})
    engine.advance(case.id, "extend", actor=cast.actor("c005"), inputs={"reason": "01"})
    assert engine.history(case.id)[-1].regime == "shared"


# --- the command line ------------------------------------------------------------------------


@pytest.fixture(scope="session")
def _isolated_env(tmp_path_factory):
    yield from isolated_environment(tmp_path_factory)


@pytest.fixture
def no_database(_isolated_env, tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'absent' / 'cee.db'}"


def test_cee_rules_lists_every_rule_with_its_dated_values_and_sources(no_database):
    stdout, _ = cee("rules", db=no_database)
    for item in RULES:
        assert item.name in stdout
    assert "82 FR 50656" in stdout and "UNCONFIRMED" in stdout
    assert "authority_regime_004" in stdout


def test_cee_rules_on_a_date_marks_the_value_in_force(no_database):
    document = cee_json("rules", "psc_days_from_entry", "--on", "2017-10-31", db=no_database)
    assert document[0]["in_force"]["value"] == 270
    stdout, _ = cee("rules", "psc_days_from_entry", "--on", "2017-11-01", "--json",
                    db=no_database)
    assert json.loads(stdout)[0]["in_force"] == {
        "on": "2017-11-01", "value": 300, "since": "2017-11-01",
        "source": "82 FR 50656 (general notice, 1 Nov 2017)"}
    human, _ = cee("rules", "authority_regime_007", "--on", "2015-01-27", db=no_database)
    assert "* from always" in human


def test_cee_rules_refuses_an_unknown_rule_or_a_bad_date(no_database):
    cee("rules", "no_such_rule", db=no_database, expect=3)
    cee("rules", "--on", "yesterday", db=no_database, expect=2)
