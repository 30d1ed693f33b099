"""`cee` on a prior disclosure, in a real subprocess, on SQLite and PostgreSQL: opened with entries
by number and by port and dates, confirmed, perfected, the loss calculated, a late tender refused
and then extended by the port's FP&F, referred, found invalid and referred for penalty — with the
Enforcement notice in `cee case history` — and the refusals' exit codes (REFERENCE.md §4).
"""

from __future__ import annotations

import json
from datetime import date

import pytest

pytest.register_assert_rewrite("cli_harness")
from cli_harness import (  # noqa: E402
    ACME,
    E1,
    Call,
    cee,
    cee_json,
    cee_many,
    isolated_environment,
    snapshot,
)

from cee_workflow import Engine  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def _isolated_env(tmp_path_factory):
    """No CEE_* from the caller; user data and temp directories inside pytest's tmp_path."""
    yield from isolated_environment(tmp_path_factory)


def registered(db: str) -> None:
    """Officers, the importer and its entry, through the engine (set-up, not under test)."""
    engine = Engine(db)
    try:
        engine.add_officer("c007", name="Ana Lee", office="007", unit="partnership")
        engine.add_officer("p2704", name="Pete Ortiz", office="2704")
        engine.add_officer("p2704-fpf", name="Fay Nguyen", office="2704", unit="fpf")
        engine.add_importer(ACME, name="Acme Electronics", center="007", trusted=["ctpat"])
        engine.add_entry(E1, importer=ACME, port="2704", entry_date=date(2025, 1, 6),
                         actor=engine.actor("p2704"))
    finally:
        engine.close()


def advance(db, case_id, trigger, *sets, actor, now):
    args = ["case", "advance", case_id, trigger, *(x for item in sets for x in ("--set", item))]
    return cee_json(*args, db=db, actor=actor, now=now)


def test_prior_disclosure_through_to_a_referral_for_penalty(db_url):
    db = db_url
    registered(db)
    filer = f"filer:{ACME}"
    opened = cee_json("case", "open", "prior_disclosure", "--entry", E1, "--importer", ACME,
                      "--port", "2704", "--set", "form=oral", "--set", "entries_port=2704",
                      "--set", "entries_from=2025-01-01", "--set", "entries_to=2025-02-28",
                      db=db, actor=filer, now="2025-03-03")
    pd = opened["id"]
    assert pd == "PD-270425000001"
    assert (opened["kind"], opened["state"], opened["division"], opened["entries"]) == (
        "prior_disclosure", "disclosed", "partnership", [E1])
    assert (opened["data"]["form"], opened["data"]["entries_from"]) == ("oral", "2025-01-01")

    assert advance(db, pd, "confirm_in_writing", actor=filer, now="2025-03-13")["version"] == 2
    assert advance(db, pd, "perfect", actor=filer, now="2025-03-24")["state"] == "perfected"
    calculated = advance(db, pd, "calculate_loss", "amount=12,500", "notice_date=2025-04-07",
                         actor="c007", now="2025-04-07")
    assert (calculated["state"], calculated["data"]["loss_amount"]) == (
        "loss_calculated", "12500.00")

    def refusal(trigger, *sets, actor, expect):
        args = ["case", "advance", pd, trigger, *(x for item in sets for x in ("--set", item))]
        return Call(tuple(args), db, actor=actor, now="2025-05-08", expect=expect)

    (_, late), (_, not_fpf), (_, no_reason) = cee_many([  # refused: nothing written
        refusal("tender", "amount=12500", actor=filer, expect=5),
        refusal("extend_period", "reason=x", actor="p2704", expect=4),
        refusal("extend_period", actor="p2704-fpf", expect=2),
    ])
    assert "ended on 2025-05-07" in late and "19 CFR 162.74(c)" in late
    assert "not in unit fpf" in not_fpf and "needs reason" in no_reason
    extended = advance(db, pd, "extend_period", "reason=wire transfer delayed",
                       "until=2025-05-16", actor="p2704-fpf", now="2025-05-08")
    assert (extended["state"], extended["data"]["tender_extended_to"]) == (
        "loss_calculated", "2025-05-16")
    advance(db, pd, "tender", "amount=12500", actor=filer, now="2025-05-09")
    advance(db, pd, "refer_to_fpf", actor="c007", now="2025-05-12")
    found = advance(db, pd, "find_invalid", "reason=investigation had begun",
                    actor="p2704-fpf", now="2025-05-19")
    assert (found["state"], found["data"]["finding"]) == ("invalid", "invalid")
    referred = advance(db, pd, "refer_for_penalty", actor="p2704-fpf", now="2025-05-20")
    assert referred["state"] == "referred_for_penalty"

    (history_text, _), history, listed, shown, audit = cee_many([
        Call(("case", "history", pd), db),
        Call(("case", "history", pd), db, json=True),
        Call(("case", "list", "--kind", "prior_disclosure"), db, json=True),
        Call(("case", "show", pd), db, actor="p2704-fpf", json=True),
        Call(("audit", "verify", pd), db, json=True),
    ])
    history, listed, shown, audit = (json.loads(out) for out, _ in (history, listed, shown,
                                                                     audit))
    assert [e["trigger"] for e in history] == [
        "disclose", "confirm_in_writing", "perfect", "calculate_loss", "extend_period", "tender",
        "refer_to_fpf", "find_invalid", "refer_for_penalty", "notify_enforcement"]
    assert (history[-1]["actor"], history[-1]["authority"]) == ("system", "SYSTEM")
    notice_line = history_text.splitlines()[-1]
    assert "notify_enforcement" in notice_line and "enforcement division of center 007" in \
        notice_line
    assert [c["id"] for c in listed] == [pd]
    assert shown["available"] == [] and shown["version"] == 10
    assert {d["timer"] for d in shown["deadlines"]} >= {
        "oral_confirmation", "perfection", "tender", "loss_calculation_partnership",
        "referral_partnership", "fpf_finding_partnership"}
    assert all(d["status"] != "pending" for d in shown["deadlines"])
    assert audit["broken"] == []


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_refused_openings_exit_with_their_codes_and_write_nothing(db_url):
    db = db_url
    registered(db)
    before = snapshot(db)
    base = ("case", "open", "prior_disclosure", "--importer", ACME, "--port", "2704")
    refusals = [
        (base + ("--set", "form=oral", "--set", "entries_port=9999", "--set",
                 "entries_from=2025-01-01", "--set", "entries_to=2025-02-28"),
         f"filer:{ACME}", 2, "entries_port 9999 is not a known port"),
        (base + ("--set", "form=oral", "--set", "entries_port=2704", "--set",
                 "entries_from=2025-03-01", "--set", "entries_to=2025-02-28"),
         f"filer:{ACME}", 5, "entries_from 2025-03-01 is after entries_to 2025-02-28"),
        (base, f"filer:{ACME}", 2, "disclose needs form"),
        (base + ("--set", "form=oral"), "p2704-fpf", 4, "is the filer's action"),
        (base + ("--set", "form=oral", "--importer", "99-9999999ZZ"), "filer:99-9999999ZZ", 4,
         "no such importer"),
    ]
    results = cee_many([Call(args, db, actor=actor, now="2025-03-03", expect=code)
                        for args, actor, code, _ in refusals])
    for (_, _, _, message), (_, err) in zip(refusals, results, strict=True):
        assert message in err, err
    assert snapshot(db) == before


def test_demo_carries_a_prior_disclosure_to_a_port_fpf_finding(tmp_path):
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    stdout, _ = cee("demo", "--db", url, db=None)
    assert "Port 2704 FP&F finds the prior disclosure valid" in stdout
    assert "is not in unit fpf" in stdout  # the refused extension by a port officer
    engine = Engine(url)
    try:
        pd, tendered_early = sorted(engine.list_cases(kind="prior_disclosure"),
                                    key=lambda c: c.opened_at)
        assert (pd.state, pd.data["finding"], pd.division) == ("closed", "valid", "partnership")
        assert [e.actor for e in engine.history(pd.id) if e.trigger in (
            "extend_period", "find_valid", "close")] == ["fay.nguyen"] * 3
        # Bolt's tender at disclosure covered the loss: the sweep applied it, no filer tender.
        assert "covered by the tender at disclosure" in stdout
        assert (tendered_early.state, tendered_early.division) == ("valid", "validation")
        assert [(e.trigger, e.actor) for e in engine.history(tendered_early.id)
                if e.to_state == "tendered"] == [("apply_disclosure_tender", "system")]
    finally:
        engine.close()
