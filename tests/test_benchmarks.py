"""The benchmark suite cannot rot: its population is what the engine writes, and a tiny run on
SQLite ends with the engine's and the floor's rows identical (seconds, not minutes)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from conftest import PG_ENV, entry_number

from benchmarks import report, true_floor
from benchmarks.history import at_eastern, live
from benchmarks.runner import run, steps
from benchmarks.startup import heavy_imports
from cee_workflow import Engine, SettableClock
from cee_workflow.states.params import DEFAULT_PARAMS
from cee_workflow.storage.database import create_db_engine
from cee_workflow.workflow.audit import chain_hash

ROOT = Path(__file__).resolve().parent.parent


def test_a_generated_history_is_what_the_engine_writes(db_url):
    """Record an entry and sweep at each stage's instant through the real engine: same state,
    data, deadlines and hash chain as the history the generator stamps onto its cases."""
    bulletin_day = date(2025, 6, 6)
    entry_date = bulletin_day - timedelta(days=450)  # scheduled, liquidated, then pending final
    until = at_eastern(bulletin_day, 12)
    lived = live("007", entry_date, until, DEFAULT_PARAMS, officer="c007")
    assert [e["trigger"] for e in lived.events] == [
        "record_entry", "escalate", "auto_schedule", "auto_liquidate"]

    clock = SettableClock(at_eastern(entry_date))
    engine = Engine(db_url, clock=clock)
    engine.add_officer("c007", name="Center 007 officer", office="007", unit="validation")
    engine.add_importer("12-3456789AB", name="Acme", center="007")
    number = entry_number(1)
    case = engine.add_entry(number, importer="12-3456789AB", port="2704",
                            entry_date=entry_date, actor=engine.actor("c007"))
    for event in lived.events[1:]:
        engine.sweep(event["at"])
    shown = engine.get(case.id)
    _, head = lived.events_for(case.id)
    assert (shown.state, shown.version, shown.escalation, shown.data) == (
        lived.state, lived.version, lived.escalation, lived.data)
    assert [e.hash for e in engine.history(case.id)][-1] == head
    assert sorted((d.timer, d.status, d.level) for d in engine.deadlines(case.id)) == sorted(
        (d["timer"], d["status"], d["level"]) for d in lived.deadlines)
    engine.close()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def server_url(request) -> str:
    """What `python -m benchmarks run --db` takes: sqlite://, or a PostgreSQL server's URL."""
    if request.param == "sqlite":
        return "sqlite://"
    if not os.environ.get(PG_ENV):
        if os.environ.get("CEE_REQUIRE_POSTGRES"):
            pytest.fail(f"CEE_REQUIRE_POSTGRES is set but {PG_ENV} is not")
        pytest.skip(f"PostgreSQL tests need {PG_ENV}")
    return os.environ[PG_ENV]


def test_a_tiny_run_compares_engine_true_floor_and_per_row_floor_on_identical_rows(
        server_url, tmp_path):
    """Every case's rows (sample_every=1: case row, events with their chained hashes,
    deadlines) are the same after the engine, the true floor and the per-row floor."""
    results = run(server_url, 60, background=120, sweep_due=40, advances=30,
                  scenarios=("bulletin", "advance", "sweep"), out=tmp_path, sample_every=1,
                  log=lambda _: None)
    written = json.loads(next(tmp_path.glob("*.json")).read_text())
    assert written["machine"]["cores"] and written["population"]["cases"] == 220
    by_name = {r["name"]: r for r in written["scenarios"]}
    for name, done in (("bulletin", 60), ("advance x1", 30), ("sweep", 40)):
        record = by_name[name]
        assert record["verified"], record
        assert record["fingerprint"]["sampled_cases"] == done
        assert record["engine_done"] == record["floor_done"] == done
        assert record["ratio"] > 0 and isinstance(record["met"], bool)
    for name, done in (("bulletin", 60), ("sweep", 40)):  # both have a set-based true floor
        assert by_name[name]["per_row_done"] == done and by_name[name]["per_row_ratio"] > 0
        assert by_name[name]["floor"].startswith("true floor")
    # the bulletin's floor runs center by center, as each center's officer posts it; the
    # all-centers pass (one id order, which no officer may run) is measured beside it
    assert by_name["bulletin"]["floor_all_done"] == 60
    assert by_name["bulletin"]["all_centers_ratio"] > 0
    assert set(by_name["advance x1"]["engine_latency_ms"]) == {"mean", "p50", "p90", "p99", "n"}
    assert by_name["advance x1"]["engine_latency_ms"]["n"] == 30
    assert 0 < by_name["bulletin_peak_rss_mb"]["engine"] < 1000  # VmHWM of the worker, in MB
    assert results["scenarios"] == written["scenarios"]
    table = report.table(report.latest(tmp_path))
    assert "advance x1" in table and "sweep" in table and "true floor" in table
    assert "every center in one pass (no officer may)" in table


def test_the_sweep_can_claim_among_padded_pending_deadlines(server_url, tmp_path):
    """`--pending N` pads the pending deadlines (PostgreSQL, set-based) to N, due in 2031 on
    finalized cases: the sweep still fires exactly the due rows, engine and floors alike."""
    if server_url.startswith("sqlite"):
        with pytest.raises(ValueError, match="PostgreSQL only"):
            run(server_url, 20, background=2000, sweep_due=10, scenarios=("sweep",),
                out=None, log=lambda _: None, national=True, pending=50_000)
        return
    results = run(server_url, 20, background=2000, sweep_due=10, scenarios=("sweep",),
                  out=None, sample_every=1, log=lambda _: None, national=True, pending=50_000)
    assert results["population"]["pending_deadlines"] == 50_000
    assert 0 < results["population"]["padding_pending"] < 50_000
    [sweep] = results["scenarios"]
    assert sweep["verified"] and sweep["engine_done"] == sweep["floor_done"] == 10, sweep
    assert "among 50000 pending" in sweep["rows"] and "padding" in sweep["rows"]


def test_the_true_floor_hashes_the_canonical_event_byte_for_byte(db_url):
    """The chain hash the database computes over the canonical form it builds is the hash
    `workflow.audit.chain_hash` computes: quoting of awkward strings included."""
    db = create_db_engine(db_url)
    prev, at = "ab" * 32, datetime(2025, 6, 6, 14, 0, tzinfo=UTC)
    for actor, case_id in (("c001", "LQ-1"), ('o"\\b\n\u00e9\u2028', "LQ-\t2")):
        event = {"case_id": case_id, "case_seq": 4, "at": at, "actor": actor,
                 "authority": "CENTER", "regime": "center", "trigger": "liquidate",
                 "from_state": "scheduled", "to_state": "liquidated", "note": "",
                 "data": {"inputs": {"type": "1"}, "citation": "19 CFR 159.9(c)(1) \u00a7"}}
        assert true_floor.hash_in_database(db, prev, event) == chain_hash(prev, event)
    db.dispose()


def test_a_merged_run_replaces_only_the_scenarios_it_ran(tmp_path):
    first = run("sqlite://", 40, background=80, sweep_due=20, advances=20,
                scenarios=("advance", "sweep"), out=tmp_path, log=lambda _: None)
    again = run("sqlite://", 40, background=80, sweep_due=20, advances=20,
                scenarios=("advance",), out=tmp_path, merge=True, log=lambda _: None)
    written = json.loads(next(tmp_path.glob("*-sqlite.json")).read_text())
    assert [r["name"] for r in written["scenarios"]] == ["advance x1", "sweep"]
    assert written["scenarios"][0] == again["scenarios"][0]  # re-measured
    assert written["scenarios"][1] == first["scenarios"][1]  # kept as measured
    assert all(r["measured_at"] for r in written["scenarios"])
    with pytest.raises(ValueError, match="another size"):
        run("sqlite://", 41, background=80, sweep_due=20, advances=20, scenarios=("advance",),
            out=tmp_path, merge=True, log=lambda _: None)
    with pytest.raises(ValueError, match="no .*-sqlite.json to merge into"):
        run("sqlite://", 40, background=80, sweep_due=20, advances=20, scenarios=("advance",),
            out=tmp_path / "empty", merge=True, log=lambda _: None)


def test_help_and_usage_errors_load_no_database_stack():
    assert heavy_imports(["--help"]) == []
    assert heavy_imports(["case", "show"]) == []  # a usage error: CASE is missing


def test_the_readme_performance_table_is_generated_from_the_committed_results(tmp_path):
    results = ROOT / "benchmarks" / "results"
    readme = tmp_path / "README.md"
    readme.write_text((ROOT / "README.md").read_text())
    report.update_readme(readme, results)
    assert readme.read_text() == (ROOT / "README.md").read_text(), (
        "README's Performance section is stale: run `python -m benchmarks readme`")


def test_every_missed_target_in_the_table_says_why():
    """A row that misses its target is explained under the table (`why_missed`, or the notes of
    a ratio row), and the million-entry runs are in the table."""
    documents = report.documents(ROOT / "benchmarks" / "results")
    table = report.table(documents)
    assert "1,000,000 on the bulletin" in table
    for doc in documents:
        for record in doc["scenarios"]:
            if record.get("met") is False:
                why = record.get("why_missed") or record.get("notes")
                assert why and f"{doc['database']} {record['name']}: {why}" in table, record


def test_the_suite_runs_as_a_module():
    done = subprocess.run([sys.executable, "-m", "benchmarks", "--help"], cwd=ROOT,
                          capture_output=True, text=True, check=True)
    assert "run" in done.stdout and "readme" in done.stdout
    assert "postgresql" in done.stdout and "sqlite" in done.stdout  # one command per database


def test_the_progress_bar_counts_every_step_of_a_run(tmp_path):
    """`python -m benchmarks sqlite`'s bar ends full: each step ticks once."""
    ticks: list[str] = []
    run("sqlite://", 30, background=40, sweep_due=10, advances=10,
        scenarios=("bulletin", "advance", "sweep"), out=None, rounds=2, log=lambda _: None,
        tick=ticks.append)
    assert len(ticks) == steps("sqlite", ("bulletin", "advance", "sweep"), None, 2) == 19
