"""The authority matrix (states/matrix.py): complete, consistent with the rulebooks, and with what
the engine grants; `cee authority` and `cee --json authority` in a real subprocess.

REFERENCE.md §0: who holds which function, and when (Delegation Order 14-004, 2014-09-11 …
2017-01-18, shared with port directors; CBP Dec. 16-26, from 2017-01-19, the center alone).
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from cee_workflow import NotPermitted, authority_matrix
from cee_workflow.states import LIFECYCLES
from cee_workflow.states.authority import Authority, Role
from cee_workflow.states.matrix import (
    MATRIX,
    Exercise,
    function,
    function_for,
    functions_exercised_by,
)
from cee_workflow.workflow.jurisdiction import SYSTEM, CaseScope, Filer, Officer, authorize

pytest.register_assert_rewrite("cli_harness")
from cli_harness import cee, cee_json, isolated_environment  # noqa: E402

# REFERENCE.md §0 (seed 002): each function the seeds assign, and its holder.
SEED_HOLDERS = {
    "cargo": "PORT", "export": "PORT", "drawback": "PORT", "fpf": "PORT/fpf",
    "sampling": "JOINT", "redelivery": "JOINT", "revenue_collection": "JOINT",
    "accepting_protests": "JOINT",
    **{key: "CENTER" for key in (
        "entry_summary_processing", "rejections", "cancellations", "census_warnings",
        "cbp_form_28", "cbp_form_29", "ad_cvd", "psc", "pea", "liquidations", "protests",
        "prior_disclosure_validation", "recordkeeping", "financial_accounting", "marking",
        "rules_of_origin", "trademarks_copyrights", "bonds", "classification", "appraisement")},
}


def every_transition():
    for kind, lifecycle in LIFECYCLES.items():
        for spec in lifecycle.transitions:
            yield kind, spec


# --- the matrix against the rulebooks --------------------------------------------------------


def test_every_transition_maps_to_exactly_one_function_held_by_its_authority():
    for kind, spec in every_transition():
        found = functions_exercised_by(kind, spec.trigger)
        assert len(found) == 1, (f"{kind}.{spec.trigger} maps to "
                                 f"{[f.key for f in found] or 'no function'}")
        holder = found[0]
        assert (holder.holder, holder.unit) == (spec.authority, spec.unit), (
            f"{kind}.{spec.trigger} is {spec.who} but its function {holder.key} is held by "
            f"{holder.who}")


def test_every_transition_the_matrix_names_exists_in_its_lifecycle():
    for f in MATRIX:
        for exercise in f.exercised_by:
            lifecycle = LIFECYCLES.get(exercise.lifecycle)
            assert lifecycle is not None and exercise.trigger in lifecycle.triggers, (
                f"{f.key} names {exercise}, which no lifecycle has")


def test_no_transition_is_named_by_two_functions_and_keys_are_unique():
    named = [e for f in MATRIX for e in f.exercised_by]
    assert len(named) == len(set(named)), sorted(e for e in named if named.count(e) > 1)
    keys = [f.key for f in MATRIX]
    assert len(keys) == len(set(keys))


def test_the_seeds_functions_are_in_the_matrix_with_their_holders():
    held = {f.key: f.who for f in MATRIX}
    assert {key: held.get(key) for key in SEED_HOLDERS} == SEED_HOLDERS
    # The functions no lifecycle exercises yet are there, with no transitions.
    for key in ("drawback", "cbp_form_28", "cbp_form_29", "pea", "sampling", "redelivery",
                "ad_cvd", "export"):
        assert function(key).exercised_by == (), key
    # The port's cargo function: presentation for examination and release (1499(c)(5)(A)).
    assert {str(e) for e in function("cargo").exercised_by} == {
        "liquidation.present_for_examination", "liquidation.release"}
    # The trade party and operation of law, so that every transition has a function.
    assert {f.key for f in MATRIX if f.holder is Authority.FILER} >= {
        "filing_protests", "filing_pscs", "prior_disclosures", "summons", "requests"}
    assert {f.key for f in MATRIX if f.holder is Authority.SYSTEM} >= {
        "deemed_liquidation", "deemed_denial", "ace_processing", "deemed_exclusion"}


def test_a_center_function_was_the_ports_then_shared_until_2017_01_18():
    # Shown for a first-wave center (001: DO 14-004 in effect from 2015-01-28).
    tenures = function("protests").tenures
    assert [(t.start, t.end, t.shared_with, t.held_by) for t in tenures] == [
        (None, date(2015, 1, 27), (),
         "the port (its officers), before the center implemented DO 14-004"),
        (date(2015, 1, 28), date(2017, 1, 18), ("port director",),
         "the center, shared with port directors"),
        (date(2017, 1, 19), None, (), "the center alone"),
    ]
    assert tenures[1].citation.startswith("Delegation Order 14-004, implemented 2015-01-28")
    assert tenures[2].citation == "CBP Dec. 16-26, 81 FR 92978"
    # Port, joint, filer and system functions are not shared by any regime.
    for key in ("drawback", "sampling", "filing_protests", "deemed_liquidation"):
        assert all(not t.shared_with for t in function(key).tenures), key


# --- the matrix against what the engine grants -----------------------------------------------

CASE = CaseScope(id="XX-1", importer="12-3456789AB", port="2704", center="007")
TODAY = date(2024, 6, 3)


def holders_of(who: str) -> list:
    """Actors who hold `who` on CASE, with the highest role (roles narrow within a holder)."""
    port = Officer("p", "Port", "2704", "port", None, Role.DIRECTOR)
    center = Officer("c", "Center", "007", "center", "validation", Role.DIRECTOR)
    return {
        "PORT": [port], "PORT/fpf": [Officer("f", "FP&F", "2704", "port", "fpf", Role.DIRECTOR)],
        "CENTER": [center], "JOINT": [port, center], "FILER": [Filer(CASE.importer)],
        "CENTER/enforcement": [Officer("e", "Enforcement", "007", "center", "enforcement",
                                       Role.DIRECTOR)],
        "SYSTEM": [SYSTEM], "HQ": [Officer("h", "Headquarters", "HQ", "hq", None, Role.DIRECTOR)],
    }[who]


def test_the_engine_grants_each_transition_to_its_functions_holder_and_no_one_else():
    everyone = {a for who in ("PORT", "CENTER", "FILER", "SYSTEM", "HQ")
                for a in holders_of(who)}
    for kind, spec in every_transition():
        holders = holders_of(function_for(kind, spec.trigger).who)
        for actor in holders:
            authorize(spec, actor, CASE, TODAY)  # raises NotPermitted if not
        for actor in everyone - set(holders):
            with pytest.raises(NotPermitted):
                authorize(spec, actor, CASE, TODAY)


def test_the_engine_applies_a_center_functions_regimes_as_the_matrix_dates_them(cast, engine):
    """On SQLite and PostgreSQL: a port director extends a liquidation (a center function) on
    the last day of the shared regime, recorded as shared, and is refused on the first day of
    the next."""
    for tenure in function_for("liquidation", "extend").tenures:
        day = tenure.end or tenure.start
        cast.at(day.isoformat())
        case = cast.entry(entry_date=(day - timedelta(days=10)).isoformat())
        director = cast.actor("p2704-dir")
        if tenure.regime == "port":
            # Before DO 14-004 reached center 007 the port held the function: any of its
            # officers exercised it, and the center could not.
            with pytest.raises(NotPermitted, match="took effect at center 007 only on 2015-01-28"):
                engine.advance(case.id, "extend", actor=cast.actor("c007"),
                               inputs={"reason": "01"})
            extended = engine.advance(case.id, "extend", actor=cast.actor("p2704"),
                                      inputs={"reason": "01"})
            event = engine.history(case.id)[-1]
            assert (event.regime, event.authority) == (
                "port", "CENTER (held by the port before DO 14-004 at center 007)")
        elif tenure.shared_with:
            extended = engine.advance(case.id, "extend", actor=director, inputs={"reason": "01"})
            assert extended.state == "extended"
            event = engine.history(case.id)[-1]
            assert (event.regime, event.authority) == (
                tenure.regime, "CENTER (shared by port director, Delegation Order 14-004)")
        else:
            with pytest.raises(NotPermitted, match="holds port authority — center 007 decides"):
                engine.advance(case.id, "extend", actor=director, inputs={"reason": "01"})
            assert engine.get(case.id).state == "unliquidated"


# --- the command line ------------------------------------------------------------------------


@pytest.fixture(scope="session")
def _isolated_env(tmp_path_factory):
    """As in test_cli: no CEE_* from the caller; user data and temp under pytest's tmp_path."""
    yield from isolated_environment(tmp_path_factory)


@pytest.fixture
def no_database(_isolated_env, tmp_path) -> str:
    """A --db whose directory does not exist: any attempt to open it would fail."""
    return f"sqlite:///{tmp_path / 'absent' / 'cee.db'}"


def test_cee_authority_prints_every_function_with_its_holder_and_transitions(no_database):
    stdout, _ = cee("authority", db=no_database)
    blocks = {block.split()[0]: block for block in stdout.strip().split("\n\n")}
    assert list(blocks) == [f.key for f in MATRIX]
    assert max(len(line) for line in stdout.splitlines()) <= 100  # readable at a terminal

    def flat(key: str) -> str:
        return " ".join(blocks[key].split())

    assert flat("protests").startswith("protests CENTER Protests: review and decide")
    assert ("regimes: until 2015-01-27: the port (its officers), before the center implemented "
            "DO 14-004 2015-01-28 … 2017-01-18: the center, shared with port directors "
            "from 2017-01-19: the center alone") in flat("protests")
    assert ("exercised by: protest.grant_further_review, protest.deny_further_review, "
            "protest.allow") in flat("protests")
    assert flat("fpf").startswith("fpf PORT/fpf Fines, penalties and forfeitures")
    assert "regimes: the port, unchanged by the regimes" in flat("drawback")
    assert flat("drawback").endswith("exercised by: -")
    assert not Path(no_database.removeprefix("sqlite:///")).parent.exists()


def test_cee_json_authority_is_the_matrix_document(no_database):
    document = cee_json("authority", db=no_database)
    assert document == authority_matrix()
    by_key = {f["function"]: f for f in document}
    assert by_key["liquidations"]["regimes"] == [
        {"regime": "port", "start": None, "end": "2015-01-27",
         "citation": "before Delegation Order 14-004 took effect at the center: the port held "
                     "every trade function (REFERENCE.md §0)",
         "held_by": "the port (its officers), before the center implemented DO 14-004",
         "shared_with": []},
        {"regime": "shared", "start": "2015-01-28", "end": "2017-01-18",
         "citation": "Delegation Order 14-004, implemented 2015-01-28 (trade press, Jan 2015)",
         "held_by": "the center, shared with port directors", "shared_with": ["port director"]},
        {"regime": "center", "start": "2017-01-19", "end": None,
         "citation": "CBP Dec. 16-26, 81 FR 92978", "held_by": "the center alone",
         "shared_with": []},
    ]
    transitions = {(t["lifecycle"], t["trigger"]): t["registered"]
                   for f in document for t in f["transitions"]}
    assert transitions[("protest", "accept")] is True
    assert transitions[("psc", "file")] is ("psc" in LIFECYCLES)
    assert {Exercise(k, t) for k, t in transitions} == {
        e for f in MATRIX for e in f.exercised_by}
