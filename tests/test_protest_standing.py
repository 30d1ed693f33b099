"""Who may protest (19 U.S.C. 1514(c)(2); 19 CFR 174.12(a), 174.14), on SQLite and PostgreSQL:
each trade party's standing at its edges, an agent with and without its principal's
authorization, the protestant's acts only by itself or its agent, reads confined to the cases a
party stands on, the registry trail of parties, and on a real database the login that is the
party (readings: workflow/parties.py)."""

from __future__ import annotations

import pytest
from test_protest import FILED, LIQUIDATED, assert_refused, file_protest, who

from cee_workflow import InvalidInput, InvalidTransition, NotPermitted, RuleViolation

NO_STANDING = r"has no standing on"


def test_a_surety_protests_only_entries_its_bond_covers(cast, engine):
    surety = cast.party("bonding", "surety")
    cast.party("other-bond", "surety")
    covered = cast.liquidated(on=LIQUIDATED, surety="bonding")
    other = cast.liquidated(on=LIQUIDATED, surety="other-bond")
    bare = cast.liquidated(on=LIQUIDATED)
    protest = file_protest(cast, engine, covered, by="party:bonding")
    assert (protest.data["party"], protest.data["role"]) == ("bonding", "surety")
    assert [e.actor for e in engine.history(protest.id)] == ["party:bonding"]
    for entry in (other, bare):
        with pytest.raises(NotPermitted, match=rf"surety party:bonding \(Bonding\) {NO_STANDING}"
                           r".*do not name it as their surety"):
            file_protest(cast, engine, entry, by="party:bonding")
    # A party's FILER authority reaches protests only: a PSC stays the importer's.
    with pytest.raises(NotPermitted, match=r"acts only on protests"):
        engine.open_case("psc", actor=surety, entries=[bare.entries[0]])


def test_a_consignee_protests_the_entries_naming_it(cast, engine):
    cast.party("cons", "consignee")
    named = cast.liquidated(on=LIQUIDATED, consignee="cons")
    protest = file_protest(cast, engine, named, by="party:cons", protested="charge",
                           decision_date="2025-02-20")
    assert (protest.data["party"], protest.data["role"]) == ("cons", "consignee")
    with pytest.raises(NotPermitted, match=NO_STANDING):
        file_protest(cast, engine, cast.liquidated(on=LIQUIDATED), by="party:cons")


def test_a_payer_protests_the_charges_of_its_importer_only(cast, engine):
    cast.party("acme-pay", "payer", importer=cast.ACME)
    protest = file_protest(cast, engine, cast.liquidated(on=LIQUIDATED), by="party:acme-pay")
    assert (protest.data["party"], protest.data["role"]) == ("acme-pay", "payer")
    # 1514(c)(2)(B): a charge it paid — not an exclusion (reading: workflow/parties.py).
    with pytest.raises(RuleViolation, match=r"a payer may protest only a liquidation or "
                       r"reliquidation or charge, not a exclusion"):
        file_protest(cast, engine, cast.entry(entry_date="2025-01-06"), by="party:acme-pay",
                     protested="exclusion", decision_date="2025-01-20")
    with pytest.raises(NotPermitted, match=rf"{NO_STANDING}.*registered for importer "
                       rf"{cast.ACME}, not this one"):
        file_protest(cast, engine, cast.liquidated(on=LIQUIDATED, importer=cast.ZETA),
                     by="party:acme-pay")


def test_a_drawback_claimant_protests_only_a_drawback_refusal(cast, engine):
    cast.party("claims", "drawback_claimant", importer=cast.ACME)
    entry = cast.liquidated(on=LIQUIDATED)
    protest = file_protest(cast, engine, entry, by="party:claims", protested="drawback_refusal",
                           decision_date="2025-02-20")
    assert (protest.data["role"], protest.data["protested"]) == ("drawback_claimant",
                                                                 "drawback_refusal")
    with pytest.raises(RuleViolation, match=r"a drawback claimant may protest only a "
                       r"drawback_refusal, not a liquidation"):
        file_protest(cast, engine, cast.liquidated(on=LIQUIDATED), by="party:claims")


def test_an_agent_stands_only_for_a_principal_that_authorized_it(cast, engine):
    agent = cast.party("smith", "agent")
    cast.party("bonding", "surety")
    entry = cast.liquidated(on=LIQUIDATED, surety="bonding")
    with pytest.raises(NotPermitted, match=rf"{NO_STANDING}.*no principal that authorized it"):
        file_protest(cast, engine, entry, by="party:smith")
    engine.authorize_agent("smith", principal=f"filer:{cast.ACME}")
    agent = cast.actor("party:smith")  # resolved afresh: with the principal it now has
    protest = file_protest(cast, engine, entry, by="party:smith")
    # The protestant of record is the principal; the filing names the agent too.
    assert (protest.data["party"], protest.data["role"], protest.data["agent"]) == (
        cast.ACME, "importer", "smith")
    # The agent amends its principal's protest; the principal too; the surety may not.
    cast.at("2025-03-10")
    assert engine.advance(protest.id, "amend", actor=agent,
                          inputs={"reason": "value"}).data["amendments"] == 1
    assert engine.advance(protest.id, "amend", actor=who(cast, "filer"),
                          inputs={"reason": "rate"}).data["amendments"] == 2
    assert_refused(engine, protest.id, "amend", cast.actor("party:bonding"),
                   rf"protest filed by {cast.ACME}: only the original protestant",
                   RuleViolation, reason="x")
    with pytest.raises(InvalidInput, match=r"already authorized"):
        engine.authorize_agent("smith", principal=f"filer:{cast.ACME}")
    with pytest.raises(InvalidInput, match=r"itself an agent"):
        cast.party("sub", "agent")
        engine.authorize_agent("sub", principal="party:smith")
    assert engine.verify_audit().ok


def test_amend_by_another_party_of_a_consolidated_protest_is_refused(cast, engine):
    bonding = cast.party("bonding", "surety")
    entry = cast.liquidated(on=LIQUIDATED, surety="bonding")
    first = file_protest(cast, engine, entry)
    second = file_protest(cast, engine, entry, by="party:bonding", on="2025-03-04")
    assert second.data["consolidated_with"] == first.id
    cast.at("2025-03-05")
    assert_refused(engine, first.id, "amend", bonding, r"only the original protestant",
                   RuleViolation, reason="x")
    for trigger, inputs in (("apply_further_review", {}),
                            ("request_accelerated_disposition", {}), ("withdraw", {})):
        assert_refused(engine, second.id, trigger, who(cast, "filer"),
                       r"protest filed by bonding: only the original protestant",
                       RuleViolation, **inputs)
    # Amending after an accelerated-disposition request stays refused (1514(c)(1); 174.14).
    engine.advance(second.id, "request_accelerated_disposition", actor=bonding)
    assert_refused(engine, second.id, "amend", bonding, r"amend is possible only from",
                   InvalidTransition, reason="x")


def test_a_party_reads_only_the_cases_it_stands_on(cast, engine):
    surety = cast.party("bonding", "surety")
    mine = cast.liquidated(on=LIQUIDATED, surety="bonding")
    theirs = cast.liquidated(on=LIQUIDATED)
    protest = file_protest(cast, engine, mine, by="party:bonding")
    file_protest(cast, engine, theirs)
    listed = {c.id for c in engine.list_cases(actor=surety)}
    assert listed == {mine.id, protest.id}
    assert {d.case_id for d in engine.pending_deadlines(actor=surety)} <= listed
    assert {v["case"] for v in engine.forecast(cast.clock.now().replace(year=2027),
                                               actor=surety)} <= listed
    engine.get(protest.id, actor=surety)
    for read in (engine.get, engine.history, engine.deadlines):
        with pytest.raises(NotPermitted, match=rf"only the cases it stands on.*{theirs.id}"):
            read(theirs.id, actor=surety)
    from cee_workflow.workflow.worklist import queue

    items = {item.case for item in queue(engine, surety)}
    assert items <= listed and protest.id in items


def test_parties_are_in_the_registry_trail(cast, engine):
    cast.party("bonding", "surety")
    cast.party("smith", "agent")
    engine.authorize_agent("smith", principal="party:bonding")
    assert engine.verify_audit().ok
    import sqlalchemy as sa
    with engine.db.begin() as connection:
        connection.execute(sa.text("UPDATE cee_party SET role = 'payer' WHERE id = 'bonding'"))
    assert any("party bonding: role is 'payer'" in p for p in engine.verify_audit().broken)


def test_an_agent_for_a_surety_stands_where_the_surety_does(cast, engine):
    cast.party("bonding", "surety")
    cast.party("smith", "agent")
    engine.authorize_agent("smith", principal="party:bonding")
    covered = cast.liquidated(on=LIQUIDATED, surety="bonding")
    protest = file_protest(cast, engine, covered, by="party:smith", on=FILED)
    assert (protest.data["party"], protest.data["role"], protest.data["agent"]) == (
        "bonding", "surety", "smith")
    with pytest.raises(NotPermitted, match=NO_STANDING):
        file_protest(cast, engine, cast.liquidated(on=LIQUIDATED), by="party:smith")
