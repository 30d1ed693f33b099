"""A release that changes a rulebook re-arms the open cases' timers by recorded SYSTEM events
(workflow/rulebook_update.py), on SQLite and PostgreSQL.

An "old release" is made here the way one looks from the database: the fingerprint of the
rulebooks it applied differs from today's, and a case's pending timers are those the old rules
armed (a timer today's rules add is missing; one they dropped is still pending).
"""

from __future__ import annotations

import sqlalchemy as sa
from test_protest import protest_in

from cee_workflow.storage.database import create_db_engine
from cee_workflow.workflow.rulebook_update import SETTING, fingerprint


def as_old_release(url: str, case_id: str, *, drop: str, add_from: str | None = None) -> None:
    """Make `case_id` look armed by an older rulebook: its pending `drop` timer removed, and
    (with `add_from`) a copy of that timer pending under the name `add_from`."""
    db = create_db_engine(url)
    with db.begin() as connection:
        row = connection.execute(sa.text(
            "SELECT * FROM cee_deadline WHERE case_id = :c AND timer = :t AND status = 'pending'"
        ), {"c": case_id, "t": drop}).mappings().one()
        connection.execute(sa.text("DELETE FROM cee_deadline WHERE id = :i"), {"i": row["id"]})
        if add_from:
            copy = {k: v for k, v in row.items() if k != "id"} | {"timer": add_from}
            connection.execute(sa.text(
                f"INSERT INTO cee_deadline ({', '.join(copy)}) "
                f"VALUES ({', '.join(':' + k for k in copy)})"), copy)
        connection.execute(sa.text("DELETE FROM cee_setting WHERE key = :k"), {"k": SETTING})
        connection.execute(sa.text("INSERT INTO cee_setting (key, value) VALUES (:k, 'old')"),
                           {"k": SETTING})
    db.dispose()


def test_an_upgrade_re_arms_what_the_old_rules_armed_by_one_recorded_event(
        cast, engine, db_url):
    engine.upgrade()  # the database has applied today's rulebooks
    assert engine.upgrade() == 0
    stale = protest_in(cast, engine, "accepted", further_review=True)
    current = protest_in(cast, engine, "accepted")
    as_old_release(db_url, stale.id, drop="further_review_decision", add_from="old_timer")
    assert not engine.verify_audit().ok  # what an old release's timers look like today

    assert engine.upgrade() == 1
    last = engine.history(stale.id)[-1]
    assert (last.trigger, last.actor, last.authority) == ("apply_rulebook", "system", "SYSTEM")
    assert {c["timer"] for c in last.data["cancelled"]} == {"decision_limit", "old_timer"}
    assert [a["timer"] for a in last.data["armed"]] == ["decision_limit",
                                                        "further_review_decision"]
    pending = {d.timer for d in engine.deadlines(stale.id) if d.status == "pending"}
    assert pending == {"decision_limit", "further_review_decision"}
    assert engine.get(stale.id).state == "accepted"
    assert engine.history(current.id)[-1].trigger != "apply_rulebook"  # untouched
    report = engine.verify_audit()
    assert report.ok, report
    assert engine.upgrade() == 0  # the fingerprint is recorded: nothing more to do


def test_a_deadline_that_runs_on_unchanged_keeps_its_escalation(cast, engine, db_url):
    stale = protest_in(cast, engine, "accepted", further_review=True)
    db = create_db_engine(db_url)
    with db.begin() as connection:
        connection.execute(sa.text("UPDATE cee_deadline SET level = 1 WHERE case_id = :c AND "
                                   "timer = 'decision_limit' AND status = 'pending'"),
                           {"c": stale.id})
    db.dispose()
    as_old_release(db_url, stale.id, drop="further_review_decision")
    assert engine.upgrade() == 1
    levels = {d.timer: d.level for d in engine.deadlines(stale.id) if d.status == "pending"}
    assert levels == {"decision_limit": 1, "further_review_decision": 0}


def test_the_fingerprint_follows_the_rulebook_sources():
    assert fingerprint() == fingerprint() and len(fingerprint()) == 64
