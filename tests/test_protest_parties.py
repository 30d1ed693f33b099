"""Protest rules of issue #10 (second part), at their edges, on SQLite and PostgreSQL: one protest
per entry and category and consolidation (1514(c)(1); 174.15, 174.21(a)), protestants and a
surety's period (1514(c)(2), (c)(3)), a deemed exclusion (1499(c)(5)(A)), the further-review
30 days from the application's own date (1515(a)), the Headquarters set-aside of a denied AFR
(1515(c)), the reliquidation type an allowance implies (173.2(d)), and protests recorded before
these fields existed (REFERENCE.md §2)."""

from __future__ import annotations

import pytest
from test_protest import (
    FILED,
    LIQUIDATED,
    assert_refused,
    d,
    file_protest,
    pending,
    start_of,
    who,
)

from cee_workflow import InvalidInput, NotPermitted, RuleViolation
from cee_workflow.states import LIFECYCLES


def hq(cast):
    cast.engine.add_office("HQ", "hq", "Headquarters, Regulations & Rulings")
    cast.engine.add_officer("hq-rr", name="HQ attorney", office="HQ")
    return cast.actor("hq-rr")


# --- one protest per entry and category; consolidation ---------------------------------------

def test_a_second_protest_by_the_same_party_is_refused_naming_the_first(cast, engine):
    entry = cast.liquidated(on=LIQUIDATED)
    first = file_protest(cast, engine, entry)
    with pytest.raises(RuleViolation, match=rf"already has protest {first.id} by "
                       rf"{cast.ACME} on the liquidation.*amend {first.id}.*1514\(c\)\(1\)"):
        file_protest(cast, engine, entry, on="2025-03-04")
    # Another decision, or another category of merchandise, is another protest.
    other = file_protest(cast, engine, entry, on="2025-03-04", protested="charge",
                         decision_date="2025-02-10")
    assert "consolidated_with" not in other.data
    engine.advance(first.id, "withdraw", actor=who(cast, "filer"))
    again = file_protest(cast, engine, entry, on="2025-03-05")
    assert again.data["party"] == cast.ACME and "consolidated_with" not in again.data


def test_another_partys_protest_is_consolidated_and_the_2_years_run_from_the_last(cast,
                                                                                 engine):
    bonding = cast.party("bonding", "surety")
    entry = cast.liquidated(on=LIQUIDATED, surety="bonding")
    first = file_protest(cast, engine, entry)
    [limit] = pending(engine, first.id, "decision_limit")
    assert limit.last_day == d("2027-03-03")
    surety = file_protest(cast, engine, entry, on="2025-05-20", by="party:bonding")
    assert (surety.data["consolidated_with"], surety.data["role"], surety.data["party"]) == (
        first.id, "surety", "bonding")
    # 174.21(a): the 2 years of the single protest run from the last filing — for both.
    for case_id in (first.id, surety.id):
        [limit] = pending(engine, case_id, "decision_limit")
        assert limit.last_day == d("2027-05-20"), case_id
    assert engine.verify_audit().broken == ()
    # Only the original protestant amends its protest (174.14).
    assert_refused(engine, first.id, "amend", who(cast, "filer"),
                   r"only the original protestant \(or its authorized agent\) may amend",
                   RuleViolation, party="bonding", reason="x")
    # The surety stands on the entry, but the importer's protest is the importer's to amend.
    assert_refused(engine, first.id, "amend", bonding,
                   rf"protest filed by {cast.ACME}: only the original protestant", RuleViolation,
                   reason="x")
    assert_refused(engine, surety.id, "withdraw", who(cast, "filer"),
                   r"protest filed by bonding: only the original protestant", RuleViolation)
    assert engine.advance(first.id, "amend", actor=who(cast, "filer"),
                          inputs={"reason": "valuation"}).data["amendments"] == 1


# --- protestants ----------------------------------------------------------------------------


@pytest.mark.parametrize("asked_on", ["first", "second"])
def test_one_request_for_accelerated_disposition_covers_the_consolidated_protests(
        cast, engine, asked_on):
    """19 CFR 174.22(e): whichever protest of the group it is made on, both are deemed denied
    at the close of the 30th day after the one request was mailed."""
    bonding = cast.party("bonding", "surety")
    entry = cast.liquidated(on=LIQUIDATED, surety="bonding")
    first = file_protest(cast, engine, entry)
    second = file_protest(cast, engine, entry, on="2025-03-05", by="party:bonding")
    other = file_protest(cast, engine, entry, on="2025-03-05", protested="charge",
                         decision_date="2025-02-10")  # another category: not covered
    asked = first if asked_on == "first" else second
    cast.at("2025-03-12")
    engine.advance(asked.id, "request_accelerated_disposition",
                   actor=who(cast, "filer") if asked is first else bonding,
                   inputs={"mailed_on": "2025-03-10"})
    for protest in (first, second):
        case = engine.get(protest.id)
        assert (case.state, case.data["accelerated_requested_on"]) == ("accelerated",
                                                                        "2025-03-10")
    assert engine.get(other.id).state == "filed"
    engine.sweep(start_of("2025-04-10"))  # the close of day 30 (2025-04-09)
    for protest in (first, second):
        assert engine.get(protest.id).data["denied_on"] == "2025-04-09", protest.id
    assert engine.get(other.id).state == "filed"
    assert engine.verify_audit().ok


@pytest.mark.parametrize(("filed", "timely"), [("2025-11-24", True), ("2025-11-25", False)])
def test_a_surety_protests_within_180_days_of_the_demand_on_its_bond(cast, engine, filed,
                                                                     timely):
    cast.party("bonding", "surety")
    entry = cast.liquidated(on=LIQUIDATED, surety="bonding")  # ordinary period: to 2025-08-06
    demand = "2025-05-28"  # + 180 = 2025-11-24, a Monday
    inputs = {"by": "party:bonding", "role": "surety", "demand_mailed_on": demand}
    if timely:
        protest = file_protest(cast, engine, entry, on=filed, **inputs)
        assert (protest.data["protest_deadline"], protest.data["demand_mailed_on"]) == (
            "2025-11-24", demand)
        return
    with pytest.raises(RuleViolation, match=r"could be protested until 2025-11-24"):
        file_protest(cast, engine, entry, on=filed, **inputs)


def test_a_demand_on_the_bond_is_a_suretys_date_and_a_dated_act(cast, engine):
    entry = cast.liquidated(on=LIQUIDATED)
    with pytest.raises(RuleViolation, match=r"demand_mailed_on is the date of a demand on a "
                       r"surety's bond; file with role=surety"):
        file_protest(cast, engine, entry, demand_mailed_on="2025-02-20")
    with pytest.raises(RuleViolation, match=r"demand_mailed_on 2025-02-01 is before the "
                       r"liquidation on 2025-02-07"):
        file_protest(cast, engine, entry, role="surety", demand_mailed_on="2025-02-01")
    with pytest.raises(InvalidInput, match=r"demand_mailed_on 2025-03-04 is after today"):
        file_protest(cast, engine, entry, role="surety", demand_mailed_on="2025-03-04")
    with pytest.raises(InvalidInput, match=r"role must be one of importer, consignee, surety"):
        file_protest(cast, engine, entry, role="neighbour")


def test_the_protestant_and_its_role_are_recorded(cast, engine):
    cast.party("consignee-ltd", "consignee")
    protest = file_protest(cast, engine, cast.liquidated(on=LIQUIDATED, consignee="consignee-ltd"),
                           by="party:consignee-ltd", issues="value, classification")
    assert (protest.data["party"], protest.data["role"], protest.data["issues"]) == (
        "consignee-ltd", "consignee", ["classification", "value"])
    # The party and role are the actor's: an input that contradicts it is refused.
    with pytest.raises(RuleViolation, match=rf"the protestant is {cast.ACME}, not "
                       r"consignee-ltd: a filing is the acting party's"):
        file_protest(cast, engine, cast.liquidated(on=LIQUIDATED), party="consignee-ltd")
    with pytest.raises(RuleViolation, match=rf"the protestant is {cast.ACME} \(role "
                       r"importer\), not a surety"):
        file_protest(cast, engine, cast.liquidated(on=LIQUIDATED), role="surety")
    with pytest.raises(InvalidInput, match=r"issues must be a comma-separated list"):
        file_protest(cast, engine, cast.liquidated(on=LIQUIDATED), issues="colour")


# --- deemed exclusion (1499(c)(5)(A)) ---------------------------------------------------------

@pytest.mark.parametrize(("day", "allowed"), [("2025-04-09", False), ("2025-04-10", True)])
def test_merchandise_not_released_30_days_after_presentation_may_be_protested(cast, engine, day,
                                                                              allowed):
    entry = cast.entry()  # unliquidated
    cast.at(day)
    inputs = {"protested": "exclusion", "presented_on": "2025-03-10"}  # day 30: 2025-04-09
    if not allowed:
        with pytest.raises(RuleViolation, match=r"deemed excluded only if not released within "
                           r"30 days, at the end of 2025-04-09; protest from 2025-04-10"):
            engine.open_case("protest", actor=who(cast, "filer"), entries=[entry.entries[0]],
                             **inputs)
        return
    protest = engine.open_case("protest", actor=who(cast, "filer"),
                               entries=[entry.entries[0]], **inputs)
    assert (protest.data["decision_date"], protest.data["deemed_exclusion"]) == (
        "2025-04-09", True)
    [deemed] = pending(engine, protest.id, "exclusion_deemed_denial")
    assert deemed.last_day == d("2025-05-10")  # 30 days after filing (1499(c)(5)(B))


# --- further review --------------------------------------------------------------------------

@pytest.mark.parametrize(("applied_on", "last_day"), [(None, "2025-04-10"),
                                                     ("2025-03-20", "2025-04-19")])
def test_the_further_review_30_days_run_from_the_applications_date(cast, engine, applied_on,
                                                                   last_day):
    protest = file_protest(cast, engine, cast.liquidated(on=LIQUIDATED))
    assert not pending(engine, protest.id, "further_review_decision")
    cast.at("2025-03-25")
    inputs = {"applied_on": applied_on} if applied_on else {}
    if applied_on is None:
        cast.at("2025-03-11")
    engine.advance(protest.id, "apply_further_review", actor=who(cast, "filer"), inputs=inputs)
    [timer] = pending(engine, protest.id, "further_review_decision")
    assert timer.last_day == d(last_day)
    assert_refused(engine, protest.id, "apply_further_review", who(cast, "filer"),
                   r"further review was already applied for", RuleViolation)


def test_with_the_protest_the_further_review_30_days_run_from_filing(cast, engine):
    protest = file_protest(cast, engine, cast.liquidated(on=LIQUIDATED), further_review=True)
    [timer] = pending(engine, protest.id, "further_review_decision")
    assert timer.last_day == d("2025-04-02")


@pytest.mark.parametrize(("requested_on", "allowed"), [("2025-05-09", True),
                                                      ("2025-05-10", False)])
def test_hq_sets_aside_a_denied_further_review_on_a_request_within_60_days(cast, engine,
                                                                           requested_on,
                                                                           allowed):
    headquarters = hq(cast)
    protest = file_protest(cast, engine, cast.liquidated(on=LIQUIDATED), further_review=True)
    cast.at("2025-03-10")
    engine.advance(protest.id, "deny_further_review", actor=who(cast, "c007"))  # +60: 05-09
    cast.at("2025-05-20")
    inputs = {"requested_on": requested_on}
    for refused, match in (("c007", "needs HQ authority"), ("filer", "a filer cannot")):
        assert_refused(engine, protest.id, "set_aside_further_review_denial",
                       who(cast, refused), match, NotPermitted, **inputs)
    if not allowed:
        assert_refused(engine, protest.id, "set_aside_further_review_denial", headquarters,
                       r"had to be made by 2025-05-09 \(60 days, 19 U\.S\.C\. 1515\(c\)\)",
                       RuleViolation, **inputs)
        return
    done = engine.advance(protest.id, "set_aside_further_review_denial", actor=headquarters,
                          inputs=inputs)
    assert (done.data["set_aside_of"], done.data["further_review_denied_on"]) == (
        "2025-03-10", None)
    assert engine.history(protest.id)[-1].authority == "HQ"
    [timer] = pending(engine, protest.id, "further_review_decision")
    assert timer.last_day == d("2025-06-19")
    # Headquarters decides only what the law gives it: not the protest itself.
    assert_refused(engine, protest.id, "accept", headquarters, r"is at Headquarters")


def test_a_set_aside_after_the_protest_was_denied_voids_the_denial_keeping_its_clock(cast,
                                                                                    engine):
    headquarters = hq(cast)
    protest = file_protest(cast, engine, cast.liquidated(on=LIQUIDATED), further_review=True)
    cast.at("2025-03-10")
    engine.advance(protest.id, "accept", actor=who(cast, "p2704"))
    engine.advance(protest.id, "deny_further_review", actor=who(cast, "c007"))
    engine.advance(protest.id, "deny", actor=who(cast, "c007"))
    cast.at("2025-04-01")
    done = engine.advance(protest.id, "set_aside_further_review_denial", actor=headquarters)
    assert (done.state, done.data["voided_denial_of"], done.data["summons_from"]) == (
        "accepted", "2025-03-10", "2025-03-10")


def afr_denied(cast, engine):
    """A protest whose application for further review was denied on 2025-03-10."""
    protest = file_protest(cast, engine, cast.liquidated(on=LIQUIDATED), further_review=True)
    cast.at("2025-03-10")
    engine.advance(protest.id, "deny_further_review", actor=who(cast, "c007"))
    return protest


@pytest.mark.parametrize(("acted", "allowed"), [("2025-05-19", True), ("2025-05-20", False)])
def test_a_request_to_set_aside_not_acted_on_within_60_days_is_considered_denied(
        cast, engine, acted, allowed):
    """1515(c): the request within 60 days of the denial; Headquarters acts within 60 days of
    the request, or the request is considered denied (SYSTEM) — and stays denied."""
    headquarters = hq(cast)
    protest = afr_denied(cast, engine)
    cast.at("2025-03-20")
    asked = engine.advance(protest.id, "request_set_aside", actor=who(cast, "filer"))
    assert asked.data["set_aside_requested_on"] == "2025-03-20"
    [timer] = pending(engine, protest.id, "set_aside_deemed_refusal")
    assert timer.last_day == d("2025-05-19")  # 60 days after the request
    assert_refused(engine, protest.id, "request_set_aside", who(cast, "filer"),
                   r"already before Headquarters", RuleViolation)
    cast.at(acted)
    if allowed:  # day 60 of the request: still in time, from the request on record
        done = engine.advance(protest.id, "set_aside_further_review_denial",
                              actor=headquarters)
        assert (done.data["set_aside_requested_on"], done.data["set_aside_of"]) == (
            "2025-03-20", "2025-03-10")
        assert not pending(engine, protest.id, "set_aside_deemed_refusal")
        return
    # Day 61: considered denied even before a sweep records it; then the sweep records it.
    assert_refused(engine, protest.id, "set_aside_further_review_denial", headquarters,
                   r"did not act within 60 days of the request of 2025-03-20: it is "
                   r"considered denied since the end of 2025-05-19", RuleViolation)
    engine.sweep(start_of("2025-05-20"))
    refused = engine.get(protest.id)
    assert (refused.state, refused.data["set_aside_refused_on"]) == ("filed", "2025-05-19")
    last = engine.history(protest.id)[-1]
    assert (last.trigger, last.actor) == ("refuse_set_aside", "system")
    assert_refused(engine, protest.id, "set_aside_further_review_denial", headquarters,
                   r"refused on 2025-05-19; that denial is final", RuleViolation)
    assert engine.verify_audit().ok


def test_headquarters_may_refuse_a_request_to_set_aside(cast, engine):
    headquarters = hq(cast)
    protest = afr_denied(cast, engine)
    assert_refused(engine, protest.id, "deny_set_aside", headquarters,
                   r"no request to set aside", RuleViolation)
    cast.at("2025-04-01")
    engine.advance(protest.id, "request_set_aside", actor=who(cast, "filer"),
                   inputs={"requested_on": "2025-03-28"})
    assert_refused(engine, protest.id, "deny_set_aside", who(cast, "c007"), r"needs HQ")
    done = engine.advance(protest.id, "deny_set_aside", actor=headquarters)
    assert (done.data["set_aside_refused_on"], done.data["set_aside_refused_by"]) == (
        "2025-04-01", "Headquarters")
    assert not pending(engine, protest.id, "set_aside_deemed_refusal")


# --- the reliquidation an allowance implies ------------------------------------------------

@pytest.mark.parametrize(("duties", "kind"), [(None, "5"), ("refund", "5"), ("bill", "4"),
                                             ("no_change", "8")])
def test_an_allowed_protest_reliquidates_with_the_type_its_decision_implies(cast, engine,
                                                                           duties, kind):
    entry = cast.liquidated(on=LIQUIDATED)
    protest = file_protest(cast, engine, entry)
    engine.advance(protest.id, "accept", actor=who(cast, "p2704"))
    inputs = {"duties": duties} if duties else {}
    engine.advance(protest.id, "allow", actor=who(cast, "c007"), inputs=inputs)
    relq = engine.get(entry.id)
    assert (relq.state, relq.data["liquidation_type"], relq.data["reliquidated_by"]) == (
        "reliquidated", kind, protest.id)


def test_an_allowed_protests_issues_are_what_its_reliquidation_changed(cast, engine):
    """1514(d); 174.16: once the original liquidation's 180 days have run, a protest of the
    reliquidation may raise only what the reliquidation changed — recorded from the allowed
    protest's issues."""
    entry = cast.liquidated(on=LIQUIDATED)  # protestable until 2025-08-06
    protest = file_protest(cast, engine, entry, issues="classification")
    engine.advance(protest.id, "accept", actor=who(cast, "p2704"))
    cast.at("2025-07-01")
    engine.advance(protest.id, "allow", actor=who(cast, "c007"))
    relq = engine.get(entry.id)
    assert (relq.state, relq.data["reliquidated_issues"]) == ("reliquidated", ["classification"])
    with pytest.raises(RuleViolation, match=r"changed only classification; value belonged to "
                       r"the liquidation of 2025-02-07, protestable until 2025-08-06"):
        file_protest(cast, engine, entry, on="2025-09-02", protested="reliquidation",
                     issues="value,classification")
    second = file_protest(cast, engine, entry, on="2025-09-02", protested="reliquidation",
                          issues="classification")
    assert second.data["issues"] == ["classification"]


def test_a_reliquidation_that_says_nothing_of_its_issues_leaves_every_question_open(cast,
                                                                                     engine):
    entry = cast.liquidated(on=LIQUIDATED)
    cast.at("2025-03-03")
    relq = engine.advance(entry.id, "reliquidate", actor=who(cast, "c007"))
    assert relq.data["reliquidated_issues"] is None
    late = file_protest(cast, engine, entry, on="2025-09-02", protested="reliquidation",
                        issues="value")
    assert late.data["issues"] == ["value"]


# --- protests recorded before these fields existed -------------------------------------------

def _as_recorded_before(trigger: str, dropped: tuple[str, ...]):
    """The protest rulebook's `trigger` writing its data as the code before issue #10 did."""
    spec = next(s for s in LIFECYCLES["protest"].transitions if s.trigger == trigger)
    effect = spec.effect

    def old(f):
        return {k: v for k, v in effect(f).items() if k not in dropped}
    return spec, effect, old


def test_a_protest_recorded_without_decision_party_or_summons_anchor_still_works(cast, engine):
    """No data migration: the rulebook reads an old protest as a liquidation protest by the
    importer, counts its summons window from `denied_on`, and audit verify finds it clean."""
    patched = [_as_recorded_before("file", ("protested", "exclusion", "party", "role")),
               *(_as_recorded_before(t, ("summons_from",)) for t in ("deny",))]
    entry = cast.liquidated(on=LIQUIDATED)
    try:
        for spec, _effect, old in patched:
            object.__setattr__(spec, "effect", old)
        protest = file_protest(cast, engine, entry)
        engine.advance(protest.id, "accept", actor=who(cast, "p2704"))
        cast.at("2025-03-10")
        engine.advance(protest.id, "deny", actor=who(cast, "c007"))
    finally:
        for spec, effect, _old in patched:
            object.__setattr__(spec, "effect", effect)
    old = engine.get(protest.id)
    assert not {"protested", "party", "summons_from"} & set(old.data)
    [window] = pending(engine, protest.id, "summons_window")
    assert window.last_day == d("2025-09-08")  # 2025-03-10 + 180 = Sat 09-06 → Monday
    assert engine.verify_audit(protest.id).broken == ()
    # It is the importer's liquidation protest: a second one on the entry is refused (open in
    # the summons window, a denied protest is not resolved yet).
    with pytest.raises(RuleViolation, match=rf"already has protest {protest.id}"):
        file_protest(cast, engine, entry, on="2025-03-11")
    cast.at("2025-09-08")
    assert engine.advance(protest.id, "file_summons",
                          actor=who(cast, "filer")).state == "litigation"
    assert old.data["filed_on"] == FILED


# --- the demo's scenes -----------------------------------------------------------------------

def test_the_demo_shows_an_exclusion_protest_and_an_accelerated_disposition_deemed_denied(
        tmp_path):
    from cee_workflow.workflow.demo import ENTRY_G, ENTRY_H, run_demo

    lines: list[str] = []
    cases = run_demo(f"sqlite:///{tmp_path / 'demo.db'}",
                     lambda *parts: lines.append(": ".join(map(str, parts))))
    by_entry = {c.entries[0].replace("-", ""): c for c in cases if c.kind == "protest"
                and c.entries[0] in (ENTRY_G, ENTRY_H)}
    exclusion = by_entry[ENTRY_H.replace("-", "")]
    accelerated = by_entry[ENTRY_G.replace("-", "")]
    # Filed 2026-03-30: the exclusion protest is denied on the 30th day (1499(c)(5)(B)); the
    # request mailed with the protest is deemed denied at the close of its 30th day (174.22(d)).
    assert (exclusion.data["protested"], exclusion.data["denied_on"],
            exclusion.data["deemed_by"]) == ("exclusion", "2026-04-29",
                                             "19 U.S.C. 1499(c)(5)(B); 19 CFR 174.21(b)")
    assert (accelerated.data["accelerated_requested_on"], accelerated.data["denied_on"],
            accelerated.data["summons_from"]) == ("2026-03-30", "2026-04-29", "2026-04-29")
    assert any("refused (center 007 decides the exclusion protest on day 30, exit 5)" in line
               and "deemed denied on 2026-04-29" in line for line in lines), lines


# --- reliquidation scope (1514(d); 174.16), on the rulebook's facts ---------------------------

@pytest.mark.parametrize(("issues", "today", "refused"), [
    (["value"], "2025-09-01", False),  # what the reliquidation changed: its own 180 days
    (["value", "classification"], "2025-09-01", True),  # classification: bound to 2025-02-07
    (["value", "classification"], "2025-08-06", False),  # still in the original period
])
def test_a_protest_of_a_reliquidation_raises_only_what_it_changed(issues, today, refused):
    from cee_workflow.states.base import EntryFacts, Facts
    from cee_workflow.states.protest_parties import issues_in_scope

    entry = EntryFacts(number="11200000013", importer="12-3456789AB", port="2704",
                       entry_date=d("2025-01-06"), liquidation_state="reliquidated",
                       liquidated_on=d("2025-07-15"), original_liquidated_on=d(LIQUIDATED),
                       reliquidated_issues=("value",))
    facts = Facts(today=d(today), data={}, inputs={"issues": issues}, entries=(entry,))
    reason = issues_in_scope(facts, "reliquidation")
    assert bool(reason) == refused, reason
    if refused:
        assert "changed only value; classification belonged to the liquidation of 2025-02-07, " \
               "protestable until 2025-08-06" in reason
    # Not recorded what the reliquidation changed: every question is the reliquidation's.
    unknown = EntryFacts(**{**entry.__dict__, "reliquidated_issues": None})
    assert issues_in_scope(Facts(today=d(today), data={}, inputs={"issues": issues},
                                 entries=(unknown,)), "reliquidation") is None
