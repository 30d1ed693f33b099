"""The national population (benchmarks/national.py), written set-based by the database, is as
valid as the per-row one: `cee audit verify` passes on it, its entry numbers carry their check
digits, each case belongs to an importer of its center, and the engine reads, sweeps and
forecasts it; the benchmark's engine and floors end with identical rows on it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from conftest import PG_ENV

from benchmarks.generate import Layout
from benchmarks.history import at_eastern
from benchmarks.national import generate_national
from benchmarks.runner import run
from benchmarks.scratch import scratch_database
from cee_workflow import Engine, SettableClock
from cee_workflow.states.params import DEFAULT_PARAMS
from cee_workflow.workflow.identifiers import parse_entry_number

ROOT = Path(__file__).resolve().parent.parent
LAYOUT = Layout(date(2025, 6, 6), size=40, background=300, sweep_due=25)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def server_url(request) -> str:
    if request.param == "sqlite":
        return "sqlite://"
    if not os.environ.get(PG_ENV):
        if os.environ.get("CEE_REQUIRE_POSTGRES"):
            pytest.fail(f"CEE_REQUIRE_POSTGRES is set but {PG_ENV} is not")
        pytest.skip(f"PostgreSQL tests need {PG_ENV}")
    return os.environ[PG_ENV]


def test_the_national_population_passes_the_audit_and_the_engine_reads_and_sweeps_it(
        server_url):
    with scratch_database(server_url) as url:
        engine = Engine(url, clock=SettableClock(LAYOUT.as_of))
        engine.upgrade(simulation=True)
        counts = generate_national(engine.db, LAYOUT, DEFAULT_PARAMS)
        assert counts.cases == 365 and counts.pending > 0
        assert counts.states["scheduled"] == 40  # the bulletin's, auto-scheduled for D
        report = engine.verify_audit()
        assert report.ok, report.broken[:3]
        with engine.db.connect() as c:
            rows = c.execute(sa.text(
                "SELECT e.number, c.center, i.center FROM cee_case AS c JOIN cee_case_entry "
                "AS ce ON ce.case_id = c.id JOIN cee_entry AS e ON e.number = ce.entry JOIN "
                "cee_importer AS i ON i.number = c.importer")).all()
            groups = dict(c.execute(sa.text(
                "SELECT grp, count(*) FROM bench_group GROUP BY grp")).all())
            leftovers = c.execute(sa.text("SELECT count(*) FROM cee_case WHERE id LIKE "
                                          "'%#%' OR head_hash = ''")).scalar()
        assert len(rows) == 365 and leftovers == 0
        assert all(parse_entry_number(number) == number for number, _, _ in rows)
        assert all(case_center == importer_center for _, case_center, importer_center in rows)
        assert groups == {"bulletin": 40, "sweep": 25}
        forecast = engine.forecast(at_eastern(LAYOUT.bulletin_day, 12))
        assert forecast  # the sweep's 25 due timers at least
        swept = engine.sweep(LAYOUT.as_of)
        assert len(swept.fired) == 25 and not swept.blocked, swept
        assert engine.verify_audit().ok
        engine.close()
        listed = subprocess.run(
            [sys.executable, "-m", "cee_workflow.cli", "--db", url, "case", "list", "--jsonl",
             "--all"], capture_output=True, text=True, cwd=ROOT)
        assert listed.returncode == 0, listed.stderr
        assert len(listed.stdout.splitlines()) == 365
        assert json.loads(listed.stdout.splitlines()[0])["id"].startswith("LQ-")


def test_a_tiny_national_run_sweeps_with_engine_and_floors_on_identical_rows(server_url,
                                                                              tmp_path):
    results = run(server_url, 40, background=200, sweep_due=25, scenarios=("sweep",),
                  out=tmp_path, sample_every=1, log=lambda _: None, national=True)
    (record,) = results["scenarios"]
    assert record["verified"], record
    assert record["engine_done"] == record["floor_done"] == record["per_row_done"] == 25
    assert results["layout"]["generator"] == "national"
