"""The `cee` command line, end to end in a real subprocess.

Each test runs the installed `cee` script (or `python -m cee_workflow.cli`) against a database given
with
--db, in an environment without CEE_DATABASE_URL or CEE_ACTOR and with the user data directory and
the temporary directory moved under pytest's tmp_path, so no run can touch a person's own data.

What is covered: a whole protest story on SQLite and PostgreSQL (--json on every command, one JSON
document each); every error exit code as one `error:` line on stderr without a traceback, and no
write on a refused command; --now only on simulation databases; a database without schema; the
demo and its refusal to write into a real database; help; audit tampering detection.

Starting the CLI costs about a second (the database stack loads), so independent read-only
commands run concurrently and set-up that is not under test goes through the engine in-process.
"""

from __future__ import annotations

import json
import sqlite3

import pytest

from cee_workflow import Engine

# The harness's asserts are the checks on every run: have pytest explain them as in a test module.
pytest.register_assert_rewrite("cli_harness")
from cli_harness import (  # noqa: E402
    ACME,
    E1,
    Call,
    _base_env,
    cee,
    cee_json,
    cee_many,
    entry_number,
    isolated_environment,
    real_database,
    snapshot,
)


@pytest.fixture(scope="session", autouse=True)
def _isolated_env(tmp_path_factory):
    """No CEE_* from the caller; user data and temp directories inside pytest's tmp_path."""
    yield from isolated_environment(tmp_path_factory)


CASE_KEYS = {"id", "kind", "state", "version", "port", "center", "division", "entries"}

sqlite_only = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


# --- the whole story, on SQLite and PostgreSQL ---------------------------------------------


def test_protest_story_end_to_end(db_url):
    db = db_url
    officer = cee_json("officer", "add", "c007", "--name", "Ana Lee", "--center", "007",
                       "--division", "partnership", db=db)
    assert officer == {"id": "c007", "name": "Ana Lee", "office": "007", "unit": "partnership",
                       "role": "officer", "login": None}
    cee_json("officer", "add", "p2704", "--name", "Pete Ortiz", "--port", "2704", db=db)
    importer = cee_json("importer", "add", ACME, "--name", "Acme Electronics", "--center", "007",
                        "--trusted", "ctpat", db=db)
    assert importer == {"number": ACME, "name": "Acme Electronics", "center": "007",
                        "trusted": ["ctpat"]}

    liquidation = cee_json("entry", "add", E1, "--importer", ACME, "--port", "2704",
                           "--date", "2025-01-06", db=db, actor="p2704", now="2025-01-06")
    assert set(liquidation) >= CASE_KEYS
    lq = liquidation["id"]
    assert (liquidation["kind"], liquidation["state"], liquidation["version"]) == (
        "liquidation", "unliquidated", 1)
    assert (liquidation["port"], liquidation["center"], liquidation["division"]) == (
        "2704", "007", "partnership")
    assert liquidation["entries"] == [E1]

    scheduled = cee_json("case", "advance", lq, "schedule", "--set", "date=2025-02-07", db=db,
                         actor="c007", now="2025-01-13")
    assert (scheduled["state"], scheduled["version"]) == ("scheduled", 2)
    liquidated = cee_json("case", "advance", lq, "liquidate", "--set", "type=2",
                          "--note", "bill: duty rate", "--expect-version", "2", db=db, actor="c007",
                          now="2025-02-07")
    assert (liquidated["state"], liquidated["version"]) == ("liquidated", 3)

    protest = cee_json("case", "open", "protest", "--entry", E1, "--reason", "classification",
                       db=db, actor=f"filer:{ACME}", now="2025-06-02")
    assert set(protest) >= CASE_KEYS
    pr = protest["id"]
    assert pr == "PR-270425000001"
    assert (protest["kind"], protest["state"], protest["version"]) == ("protest", "filed", 1)
    assert (protest["port"], protest["center"], protest["entries"]) == ("2704", "007", [E1])

    # The database and the actor from the environment this time (CEE_DATABASE_URL, CEE_ACTOR).
    accepted = cee_json("case", "advance", pr, "accept", "--note", "received at 2704", db=None,
                        now="2025-06-03", env={"CEE_DATABASE_URL": db, "CEE_ACTOR": "p2704"})
    assert (accepted["state"], accepted["version"]) == ("accepted", 2)
    allowed = cee_json("case", "advance", pr, "allow", "--note", "8471.30 applies", db=db,
                       actor="c007", now="2025-07-15")
    assert (allowed["state"], allowed["version"]) == ("allowed", 3)

    show_lq, history_pr, listed, audit, offices = (json.loads(out) for out, _ in cee_many([
        Call(("case", "show", lq), db, actor="c007", json=True),
        Call(("case", "history", pr), db, json=True),
        Call(("case", "list", "--kind", "protest", "--state", "allowed", "--center", "007",
              "--port", "2704"), db, json=True),
        Call(("audit", "verify"), db, json=True),
        Call(("office", "list"), db, json=True),
    ]))

    assert CASE_KEYS | {"history", "deadlines", "available"} <= set(show_lq)
    assert show_lq["state"] == "reliquidated"
    assert show_lq["version"] == 4
    assert show_lq["data"]["reliquidated_by"] == pr
    assert [e["trigger"] for e in show_lq["history"]] == [
        "record_entry", "schedule", "liquidate", "reliquidate"]
    assert show_lq["history"][-1]["actor"] == "c007"
    assert show_lq["history"][-1]["data"]["via"] == pr
    assert all({"timer", "status", "due_at"} <= set(d) for d in show_lq["deadlines"])
    assert any(d["timer"] == "finalization" and d["status"] == "pending"
               for d in show_lq["deadlines"])
    assert show_lq["available"], "with --as, `case show` lists what the actor may do"
    assert all({"trigger", "allowed"} <= set(a) for a in show_lq["available"])

    assert [(e["case_seq"], e["trigger"], e["from_state"], e["to_state"]) for e in history_pr] == [
        (1, "file", "new", "filed"), (2, "accept", "filed", "accepted"),
        (3, "allow", "accepted", "allowed")]
    assert [e["actor"] for e in history_pr] == [f"filer:{ACME}", "p2704", "c007"]
    assert [e["authority"] for e in history_pr] == ["FILER", "JOINT (port)", "CENTER"]
    assert {e["regime"] for e in history_pr} == {"center"}
    assert [e["note"] for e in history_pr] == ["", "received at 2704", "8471.30 applies"]

    assert [(c["id"], c["state"]) for c in listed] == [(pr, "allowed")]
    assert audit["ok"] is True and audit["broken"] == []
    assert (audit["cases"], audit["events"]) == (2, 7)
    codes = {(o["code"], o["kind"]) for o in offices}
    assert {("2704", "port"), ("007", "center")} <= codes


# --- error exit codes (SQLite) -------------------------------------------------------------


@sqlite_only
def test_errors_exit_with_their_code_one_line_and_write_nothing(db_url, cast, engine):
    db = db_url
    liquidated = cast.liquidated()  # entry 1, liquidated on 2025-02-07
    late = cast.liquidated()  # entry 2, the same bulletin
    open_case = cast.entry()  # entry 3, unliquidated
    cast.at("2025-03-03")
    protest = engine.open_case("protest", actor=cast.actor(f"filer:{cast.ACME}"),
                               entries=[liquidated.entries[0]], reason="classification")
    protest = engine.advance(protest.id, "accept", actor=cast.actor("p2704"))
    assert protest.version == 2
    wrong = entry_number(99)[:-1] + str((int(entry_number(99)[-1]) + 1) % 10)
    before = snapshot(db)

    cases = [  # (call, what stderr must say)
        (Call(("entry", "add", wrong, "--importer", cast.ACME, "--port", "2704", "--date",
               "2025-03-03"), db, actor="p2704", now="2025-03-03", expect=2),
         f"expected {entry_number(99)[-1]}"),
        (Call(("case", "advance", open_case.id, "extend", "--set", "reason"), db,
               actor="c007", expect=2), "must be KEY=VALUE"),
        (Call(("case", "advance", open_case.id, "extend", "--set", "reason=01", "--set",
               "colour=red"), db, actor="c007", now="2025-03-03", expect=2),
         "does not take colour"),
        (Call(("entry", "add", entry_number(98), "--importer", cast.ACME, "--port", "2704",
               "--date", "2025-02-30"), db, actor="p2704", expect=2),
         "'2025-02-30' is not a date"),
        (Call(("case", "list"), db, now="yesterday", expect=2), "is not an ISO date"),
        (Call(("case", "show", "PR-270425999999"), db, json=True, expect=3),
         "case PR-270425999999 not found"),
        (Call(("case", "advance", protest.id, "allow"), db, actor="p2704", now="2025-03-10",
              expect=4), "center 007 decides"),
        (Call(("case", "advance", open_case.id, "extend", "--set", "reason=01"), db,
              actor="nobody", expect=2), "officer 'nobody' is not registered"),
        (Call(("entry", "add", entry_number(97), "--importer", cast.ACME, "--port", "2704",
               "--date", "2025-03-03"), db, now="2025-03-03", expect=4), "no actor given"),
        (Call(("case", "advance", liquidated.id, "schedule", "--set", "date=2025-03-07"), db,
              actor="c007", now="2025-03-03", expect=5), "possible only from"),
        (Call(("case", "open", "protest", "--entry", late.entries[0]), db,
              actor=f"filer:{cast.ACME}", now="2025-08-07", expect=5),
         "could be protested until 2025-08-06 (180 days"),
        (Call(("case", "advance", protest.id, "allow", "--expect-version", "1"), db, actor="c007",
              now="2025-03-10", expect=6), "changed since you read it"),
    ]
    results = cee_many([call for call, _ in cases])
    missing = [f"`{' '.join(call.args)}` stderr {err!r} lacks {said!r}"
               for (call, said), (_, err) in zip(cases, results, strict=True) if said not in err]
    assert not missing, "\n".join(missing)

    assert snapshot(db) == before, "a refused command wrote to the database"
    assert engine.list_cases(kind="protest") == [engine.get(protest.id)]

    # The same protest is timely on day 180 (the refusal above was exactly one day late).
    timely = cee_json("case", "open", "protest", "--entry", late.entries[0], db=db,
                      actor=f"filer:{cast.ACME}", now="2025-08-06")
    assert (timely["state"], timely["entries"]) == ("filed", [late.entries[0]])


# --- databases: schema, upgrade, simulation ------------------------------------------------


def test_database_without_schema_then_upgrade_and_now_refused_without_simulation(tmp_path):
    path = tmp_path / "fresh.db"
    db = f"sqlite:///{path}"
    # No file at the path: no command but `db upgrade` creates one (a typo'd path is not a
    # new empty database).
    results = cee_many([
        Call(("case", "list"), db, json=True, expect=3),
        Call(("officer", "add", "p2704", "--name", "P", "--port", "2704"), db, expect=3),
    ])
    for _, err in results:
        assert f"database file {path} not found" in err and "`cee db upgrade`" in err, err
    assert not path.exists()
    sqlite3.connect(path).close()  # an empty SQLite file: a database without the schema
    results = cee_many([
        Call(("case", "list"), db, json=True, expect=2),
        Call(("officer", "add", "p2704", "--name", "P", "--port", "2704"), db, expect=2),
    ])
    for _, err in results:
        assert "has no cee schema" in err and "run `cee db upgrade`" in err, err
    with sqlite3.connect(path) as connection:
        tables = connection.execute("SELECT name FROM sqlite_master WHERE type='table'").fetchall()
    connection.close()
    assert tables == [], "a refused command created tables"

    first = cee_json("db", "upgrade", db=db)
    assert first["simulation"] is False and first["revision"]
    stdout, _ = cee("db", "upgrade", db=db)  # twice: idempotent
    assert f"is at schema {first['revision']}" in stdout and "(simulation)" not in stdout

    _, err = cee("office", "list", db=db, now="2025-01-06", expect=4)
    assert "simulation" in err and "cannot be backdated" in err

    # Nobody keeps a real database's registry until its first administrator is named, once.
    _, err = cee("office", "add", "2799", "--kind", "port", "--name", "Test port", db=db,
                 expect=4)
    assert "is not mapped to any registered officer, filer or administrator" in err
    cee("db", "upgrade", "--admin", "registrar", db=db)
    _, err = cee("db", "upgrade", "--admin", "mallory", db=db, expect=4)
    assert "already has an administrator (registrar)" in err
    added = cee_json("office", "add", "2799", "--kind", "port", "--name", "Test port", db=db)
    assert added == {"code": "2799", "kind": "port", "name": "Test port"}
    engine = Engine(db)
    try:
        assert added in engine.offices() and not engine.is_simulation()
    finally:
        engine.close()


def test_now_moves_the_clock_on_a_simulation_database(tmp_path):
    db = f"sqlite:///{tmp_path / 'sim.db'}"
    assert cee_json("db", "upgrade", "--simulation", db=db)["simulation"] is True
    engine = Engine(db)
    try:
        engine.add_officer("p2704", name="P", office="2704")
        engine.add_importer(ACME, name="Acme", center="007")
        case = cee_json("entry", "add", E1, "--importer", ACME, "--port", "2704", "--date",
                        "2016-03-01", db=db, actor="p2704", now="2016-03-01T09:30:00-05:00")
        (event,) = engine.history(case["id"])
    finally:
        engine.close()
    assert event.at.isoformat() == "2016-03-01T14:30:00+00:00"
    assert event.regime == "shared"  # Delegation Order 14-004 was in force on that day


# --- demo -----------------------------------------------------------------------------------


def test_demo_builds_its_own_database_and_ignores_cee_database_url(tmp_path):
    real = real_database(tmp_path / "real.db")
    before = snapshot(real)
    stdout, _ = cee("demo", db=None, env={"CEE_DATABASE_URL": real})
    assert "Final state of every case:" in stdout
    final = stdout.split("Final state of every case:")[1]
    rows = [line.split() for line in final.splitlines()]
    # The story ends after the scheduler has swept to 2027: entry A reliquidated on the allowed
    # protest and then final; entry B deemed liquidated at the end of its extension; Bolt's
    # undecided protest still accepted, escalated to the director.
    assert any(r[:3] == ["LQ-11272966778", "liquidation", "final"] for r in rows), final
    assert any(r[:3] == ["LQ-11272985034", "liquidation", "liquidated"] for r in rows), final
    assert any(r[1:3] == ["protest", "accepted"] for r in rows if len(r) > 2), final
    for text in ("reliquidated", "deem_denied", "deem_liquidated", "decision_limit overdue",
                 "decision_limit director"):
        assert text in stdout, text
    assert "refused" in stdout and "every hash chain verifies" in stdout
    assert real not in stdout
    assert f"The demo database: sqlite:///{_base_env['TMPDIR']}/cee-demo/demo.db" in stdout
    assert snapshot(real) == before, "`cee demo` wrote into CEE_DATABASE_URL"


def test_demo_json_is_one_list(tmp_path):
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    cases = cee_json("demo", "--db", url, db=None)
    assert isinstance(cases, list) and all(set(c) >= CASE_KEYS for c in cases)
    states = {(c["kind"], c["state"]) for c in cases}
    assert {("liquidation", "final"), ("protest", "closed"), ("protest", "accepted")} <= states
    escalated = [c for c in cases if c["kind"] == "protest" and c["state"] == "accepted"]
    assert [c["escalation"] for c in escalated] == [3]
    engine = Engine(url)
    try:
        assert engine.is_simulation() and len(engine.list_cases()) == len(cases)
    finally:
        engine.close()


def test_demo_refuses_a_real_database_with_data(tmp_path):
    real = real_database(tmp_path / "real.db")
    before = snapshot(real)
    _, err = cee("demo", db=real, expect=2)
    assert "only on a new or simulation database" in err
    assert snapshot(real) == before
    engine = Engine(real)
    try:
        assert not engine.is_simulation()
    finally:
        engine.close()


# --- help and audit ------------------------------------------------------------------------


def _commands(help_text: str) -> set[str]:
    """The command names listed under "Commands:" in a click help page."""
    listed = help_text.split("Commands:", 1)[1]
    return {line.split()[0] for line in listed.splitlines() if line.startswith("  ")}


def test_help():
    stdout, _ = cee("--help", db=None)
    assert "--db" in stdout and "--as" in stdout and "--json" in stdout and "--now" in stdout
    assert {"db", "office", "officer", "importer", "entry", "case", "audit",
            "demo"} <= _commands(stdout)
    stdout, _ = cee("case", "--help", db=None)
    assert {"open", "advance", "show", "history", "list"} <= _commands(stdout)


@sqlite_only
def test_audit_verify_names_a_tampered_event(db_url, cast):
    db = db_url
    tampered = cast.liquidated()
    untouched = cast.entry()
    cast.engine.close()
    with sqlite3.connect(db.removeprefix("sqlite:///")) as connection:
        changed = connection.execute(
            "UPDATE cee_event SET note = 'nothing to see' WHERE case_id = ? AND case_seq = 2",
            (tampered.id,)).rowcount
    connection.close()
    assert changed == 1

    (stdout, err), (one, _) = cee_many([
        Call(("audit", "verify"), db, expect=1),
        Call(("audit", "verify", untouched.id), db, json=True),
    ])
    assert "1 broken" in stdout
    assert f"case {tampered.id} event #2" in err and "altered" in err
    assert untouched.id not in err
    assert json.loads(one)["ok"] is True

    report = cee_json("audit", "verify", tampered.id, db=db, expect=1)
    assert report["ok"] is False and report["cases"] == 1
    assert len(report["broken"]) == 1 and f"case {tampered.id} event #2" in report["broken"][0]


def test_usage_errors_are_one_line_too(tmp_path):
    url = f"sqlite:///{tmp_path / 'usage.db'}"
    _, err = cee("officer", "add", "x", "--name", "y", "--center", "007", "--division", "bogus",
                 db=url, expect=2)
    assert "'bogus' is not one of" in err and "cee officer add --help" in err
    _, err = cee("case", "show", db=url, expect=2)
    assert "Missing argument 'CASE'" in err
    # --now on `db upgrade` of a new database is not an error: upgrading moves no clock.
    cee("db", "upgrade", "--simulation", db=url, now="2025-01-06")
    _, err = cee("case", "list", "--state", "bogus", db=url, expect=2)
    assert "no case state is called 'bogus'" in err


def test_deadlines_forecast_sweep_and_overdue_lists(db_url, cast):
    # The cast's entry (2025-01-06) and an accepted protest, through the CLI in 2027.
    entry = cast.liquidated()
    cast.at("2025-03-03")
    protest = cast.engine.open_case("protest", actor=cast.actor(f"filer:{cast.ACME}"),
                                    entries=[entry.entries[0]])
    cast.engine.advance(protest.id, "accept", actor=cast.actor("p2704"))
    listed = cee_json("deadlines", "list", "--kind", "legal", "--center", "007", db=db_url)
    assert {(d["case_id"], d["timer"]) for d in listed} == {
        (entry.id, "finalization"), (protest.id, "decision_limit")}
    forecast = cee_json("deadlines", "forecast", "--until", "2027-03-04", db=db_url)
    # The scheduler, running meanwhile, warns of the decision limit before it is overdue; the
    # one late sweep below acts on the furthest stage only (workflow/timers.py).
    assert {(f["case"], f["would"]) for f in forecast} == {
        (entry.id, "blocked finalize"), (protest.id, "warning"), (protest.id, "overdue")}
    [blocked] = [f for f in forecast if f["would"] == "blocked finalize"]
    assert protest.id in blocked["why"] and "19 U.S.C." in blocked["why"]
    assert cee_json("deadlines", "list", db=db_url) == listed  # the forecast wrote nothing
    swept = cee_json("deadlines", "sweep", "--now", "2027-03-04", db=db_url)
    assert swept["escalated"] == [f"{protest.id} decision_limit overdue"]
    assert [b.split(":")[0] for b in swept["blocked"]] == [f"{entry.id} finalize"]
    # The blocked finality does not vanish: --escalated lists its case with the reason, and
    # `deadlines list` keeps it, status blocked, with the guard still refusing it.
    escalated = cee_json("case", "list", "--escalated", db=db_url, now="2027-03-04")
    assert [c["id"] for c in escalated] == [entry.id, protest.id]
    assert escalated[0]["blocked"].startswith("finalization blocked: ")
    assert "protest" in escalated[0]["blocked"] and "blocked" not in escalated[1]
    overdue = cee_json("case", "list", "--overdue", "--kind", "protest", db=db_url,
                       now="2027-03-04")
    assert [c["id"] for c in overdue] == [protest.id]
    after = cee_json("deadlines", "list", "--kind", "legal", db=db_url, now="2027-03-04")
    assert {(d["case_id"], d["timer"], d["status"]) for d in after} == {
        (entry.id, "finalization", "blocked"), (protest.id, "decision_limit", "pending")}
    assert "protest" in next(d["reason"] for d in after if d["status"] == "blocked")
    out, _ = cee("deadlines", "sweep", db=db_url, now="2027-03-05")
    assert out.strip().endswith("0 fired, 0 escalated, 0 blocked, 0 stale")


def test_deadlines_sweep_cannot_backdate_a_real_database(tmp_path):
    real = real_database(tmp_path / "real.db")
    _, err = cee("deadlines", "sweep", "--now", "2030-01-01", db=real, expect=4)
    assert "simulation database" in err
