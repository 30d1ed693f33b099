"""Property-based walks (hypothesis.stateful): random actors, triggers, inputs and time.

The walks themselves, `CaseWalk` and `TimerWalk`, and the invariants they check after every step
are in tests/walks.py; the independent authority oracle they check events against is in
tests/walk_oracle.py. This module runs them. The last test replays, step by step, a walk the
timer invariants caught.

Each example gets a fresh database: a copy of the migrated SQLite template, or the PostgreSQL
test database truncated and re-seeded (like conftest's `db_url`). Examples are derandomized so
the suite's outcome does not depend on the run; set CEE_PROPERTY_EXAMPLES=N to explore N random
examples per walk instead.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
from conftest import Cast, reset_postgres
from hypothesis import HealthCheck, Phase, settings
from hypothesis.stateful import run_state_machine_as_test

# The walks' asserts are the properties: have pytest explain them as it does a test module's.
pytest.register_assert_rewrite("walks", "walk_oracle", "walks_filings")
from walks import OUTCOMES, CaseWalk, TimerWalk  # noqa: E402
from walks_filings import FilingWalk  # noqa: E402

# --- running the walks ---------------------------------------------------------------------

EXAMPLES = int(os.environ.get("CEE_PROPERTY_EXAMPLES", "0"))
# Shrinking a failing walk replays it hundreds of times on a fresh database each (minutes): off
# unless CEE_PROPERTY_SHRINK=1; the unshrunk failing walk is printed step by step either way.
PHASES = tuple(p for p in Phase if os.environ.get("CEE_PROPERTY_SHRINK") or p is not Phase.shrink)


def walk_settings(examples: int, steps: int) -> settings:
    return settings(max_examples=EXAMPLES or examples, stateful_step_count=steps, deadline=None,
                    derandomize=not EXAMPLES, database=None, print_blob=True, phases=PHASES,
                    suppress_health_check=[HealthCheck.too_slow,
                                           HealthCheck.filter_too_much])


def sqlite_databases(template: str, folder: Path):
    def new_database():
        path = folder / f"walk-{uuid.uuid4().hex[:12]}.db"
        path.write_bytes(Path(template).read_bytes())

        def drop():
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{path}", drop
    return new_database


def postgres_databases(url: str):
    def new_database():
        reset_postgres(url)
        return url, lambda: None
    return new_database


def bind(machine: type[CaseWalk], new_database) -> type[CaseWalk]:
    # In the walk's own module, so that hypothesis derives the derandomized seed from the walk's
    # source (it looks the class up by name there), as when the walks were defined here.
    return type(machine.__name__, (machine,), {"new_database": staticmethod(new_database),
                                               "__module__": machine.__module__})


def walk(machine: type[CaseWalk], new_database, examples: int, steps: int) -> None:
    machine_class = bind(machine, new_database)
    OUTCOMES.clear()
    try:
        run_state_machine_as_test(machine_class, settings=walk_settings(examples, steps))
    finally:
        if os.environ.get("CEE_PROPERTY_STATS"):
            print(f"\n{machine.__name__} outcomes:")
            for outcome, count in sorted(OUTCOMES.items()):
                print(f"  {count:5d}  {outcome}")


def test_random_walk_keeps_authority_states_versions_and_audit_sqlite(sqlite_template,
                                                                     tmp_path):
    walk(CaseWalk, sqlite_databases(sqlite_template, tmp_path), examples=25, steps=30)


def test_random_walk_keeps_timers_in_step_with_states_sqlite(sqlite_template, tmp_path):
    walk(TimerWalk, sqlite_databases(sqlite_template, tmp_path), examples=15, steps=30)


def test_random_walk_over_pscs_and_prior_disclosures_keeps_every_invariant_sqlite(
        sqlite_template, tmp_path):
    walk(FilingWalk, sqlite_databases(sqlite_template, tmp_path), examples=15, steps=30)


@pytest.mark.postgres
def test_random_walk_keeps_every_invariant_postgresql(postgres_url):
    walk(TimerWalk, postgres_databases(postgres_url), examples=6, steps=20)


def test_amending_an_exclusion_protest_keeps_its_deemed_denial_timer(sqlite_template, tmp_path):
    # A walk the timer invariants caught, replayed step by step: an exclusion protest is deemed
    # denied on the 30th day after filing (19 CFR 174.21(b)); amending it (a transition that
    # keeps the state) must not make the scheduler drop that timer as stale.
    walk_ = bind(TimerWalk, sqlite_databases(sqlite_template, tmp_path))()
    try:
        walk_.open_entries(start="2025-01-06", entries=[(Cast.ACME, "2704", 0, "protested")],
                           protest_inputs={"exclusion": True})
        protest = walk_.engine.list_cases(kind="protest")[0]
        walk_.engine.advance(protest.id, "amend", actor=walk_.actors[f"filer:{Cast.ACME}"],
                             inputs={"reason": "valuation"})
        walk_.timers_follow_their_state()
        walk_.move_clock(days=40)
        walk_.sweep()
        walk_.cases_histories_and_authority_hold()
        walk_.timers_follow_their_state()
        assert walk_.engine.get(protest.id).state == "denied"
    finally:
        walk_.teardown()
