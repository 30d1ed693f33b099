"""A bulk batch decided once per group of cases alike (workflow/bulk_alike.py), on SQLite and
PostgreSQL.

What is covered: cases alike in what their transition declares it reads are decided once and
still get exactly the rows single advances write; a rulebook that reads something it did not
declare is caught and decided case by case (a case past its liquidation deadline is still
refused, never carried along by its neighbours' decision); the spliced canonical form hashes to
the very chain hash `canonical` gives, whatever the text. Correctness only: no timing.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_bulk import BULLETIN, DAY, scheduled, tables, twin  # noqa: F401  (twin: a fixture)

from cee_workflow import Engine
from cee_workflow.states.base import Lifecycle
from cee_workflow.states.reads import Reads
from cee_workflow.workflow import bulk, bulk_alike
from cee_workflow.workflow.audit import GENESIS, CanonicalTemplate, chain_hash


@pytest.fixture
def decisions(monkeypatch):
    """How many times the shared machine decides a transition during the test."""
    fired: list[str] = []
    real = Lifecycle.fire

    def fire(self, state, trigger, facts):
        fired.append(trigger)
        return real(self, state, trigger, facts)

    monkeypatch.setattr(Lifecycle, "fire", fire)
    return fired


def test_cases_alike_are_decided_once_and_written_as_single_advances_write(
        cast, engine, clock, twin, db_url, decisions, monkeypatch):  # noqa: F811
    written: list[int] = []  # groups per batch written: what the database gets once per group
    real_write = bulk.write_batch

    def write_batch(session, groups, steps, *args, **kwargs):
        written.append(len(groups))
        return real_write(session, groups, steps, *args, **kwargs)

    monkeypatch.setattr(bulk, "write_batch", write_batch)
    ids = scheduled(cast, 6) + scheduled(cast, 3, entry_date="2025-01-02")
    cast.at(BULLETIN)
    other = twin()
    decisions.clear()
    result = engine.liquidate_bulletin(DAY, actor=cast.actor("c007"), batch_size=20)
    assert (result.done, result.skipped) == (9, [])
    assert len(decisions) == 2  # one per entry date: the liquidation deadline differs
    # Their timers too are armed once per entry date: every timer of the liquidated state
    # declares what it reads (one that did not — the deemed exclusion's `applies` — made each
    # case a group of its own, and the bulletin's write statement joined them pairwise).
    assert written == [2]
    single = Engine(other, clock=clock)
    try:
        for case_id in sorted(ids):
            single.advance(case_id, "liquidate", actor=single.actor("c007"))
    finally:
        single.close()
    assert tables(db_url) == tables(other)
    assert engine.verify_audit().ok


def test_a_read_the_rulebook_did_not_declare_is_caught_and_decided_case_by_case(
        cast, engine, monkeypatch, decisions):
    ids = scheduled(cast, 4)
    late = scheduled(cast, 1, entry_date="2024-02-09")[0]  # its 1-year period ends 2025-02-09
    cast.at("2025-02-10")
    # As if the rulebook forgot that its guards read the liquidation deadline and the entry date.
    forgetful = Reads(data=("scheduled_for",), entries=("pscs_in_review",))
    monkeypatch.setattr(bulk_alike, "_reads", lambda *_: forgetful)
    decisions.clear()
    result = engine.liquidate_bulletin(DAY, actor=cast.actor("c007"))
    assert result.done == 4
    assert [case for case, _ in result.skipped] == [late]
    assert "deemed liquidated by operation of law" in result.skipped[0][1]
    assert len(decisions) == 5  # every case decided on its own
    assert engine.get(late).state == "scheduled"
    assert {engine.get(i).state for i in ids} == {"liquidated"}


_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)


@given(case_id=_text, actor=_text, note=_text, seq=st.integers(1, 10**9),
       data=st.dictionaries(_text, st.one_of(_text, st.integers(), st.none(),
                                             st.lists(_text, max_size=3)), max_size=4))
def test_the_spliced_canonical_form_hashes_as_canonical_does(case_id, actor, note, seq, data):
    event = {"case_id": case_id, "case_seq": seq, "at": datetime(2025, 6, 6, 14, tzinfo=UTC),
             "actor": actor, "authority": "CENTER", "regime": "partnership",
             "trigger": "liquidate", "from_state": "scheduled", "to_state": "liquidated",
             "note": note, "data": data}
    template = CanonicalTemplate({**event, "case_id": "other", "case_seq": 1})
    assert template.hash(GENESIS, case_id, seq) == chain_hash(GENESIS, event)
