"""No backdating by any path (issue #14, item 3): the simulation flag is set only when a database
is created; a real database refuses a settable clock and a chosen sweep instant."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

pytest.register_assert_rewrite("cli_harness")

from cli_harness import ACME, E1, cee, isolated_environment, real_database  # noqa: E402

from cee_workflow import Engine, SettableClock  # noqa: E402
from cee_workflow.workflow.errors import BackdatingRefused, NotPermitted  # noqa: E402
from cee_workflow.workflow.identity import established_login  # noqa: E402


@pytest.fixture(scope="module")
def cli_env(tmp_path_factory):
    yield from isolated_environment(tmp_path_factory)


@pytest.fixture
def real_url(empty_db_url) -> str:
    engine = Engine(empty_db_url)
    # A real database: a registrar, and the port officer is whoever runs the tests (their
    # PostgreSQL login or OS user), so that the established identity may act as p2704.
    engine.upgrade(admin="registrar")
    engine.add_officer("p2704", name="Port officer", office="2704",
                       login=established_login(engine.db))
    engine.add_importer(ACME, name="Acme Electronics", center="007", trusted=["ctpat"])
    engine.add_entry(E1, importer=ACME, port="2704", entry_date=date(2025, 1, 6),
                     actor=engine.actor("p2704"))
    engine.close()
    return empty_db_url


def test_a_real_database_is_never_flipped_to_simulation(real_url):
    engine = Engine(real_url)
    try:
        with pytest.raises(BackdatingRefused, match="simulation flag is set only when a database"):
            engine.upgrade(simulation=True)
        assert not engine.is_simulation()
        engine.upgrade()  # a plain upgrade stays idempotent
        assert not Engine(real_url).is_simulation()
    finally:
        engine.close()


def test_a_settable_clock_is_refused_on_a_real_database(real_url):
    engine = Engine(real_url, clock=SettableClock(datetime(2015, 1, 5, tzinfo=UTC)))
    try:
        actor = engine.actor("p2704")
        with pytest.raises(BackdatingRefused) as refused:
            engine.add_entry("112-0000002-1", importer=ACME, port="2704",
                             entry_date=date(2015, 1, 5), actor=actor)
        assert isinstance(refused.value, NotPermitted) and refused.value.exit_code == 4
        with pytest.raises(BackdatingRefused):
            engine.sweep()
        assert [c.id for c in engine.list()] == [f"LQ-{E1.replace('-', '')}"]
    finally:
        engine.close()


def test_events_on_a_real_database_carry_the_system_clock(real_url):
    engine = Engine(real_url)
    try:
        with pytest.raises(BackdatingRefused):
            engine.sweep(datetime(2015, 1, 5, tzinfo=UTC))
        before = datetime.now(UTC)
        engine.sweep()
        events = engine.history(f"LQ-{E1.replace('-', '')}")
        assert events and all((before - e.at).days < 1 for e in events)
        assert all(e.at >= before for e in events[1:])  # what the sweep recorded: now
    finally:
        engine.close()


def test_a_new_simulation_database_is_marked_at_creation(empty_db_url):
    engine = Engine(empty_db_url, clock=SettableClock(datetime(2025, 1, 6, tzinfo=UTC)))
    try:
        engine.upgrade(simulation=True)
        engine.upgrade(simulation=True)  # idempotent on a simulation database
        assert engine.is_simulation()
        engine.add_officer("p2704", name="Port officer", office="2704")
    finally:
        engine.close()


def test_cli_refuses_simulation_on_a_real_database(tmp_path, cli_env):
    url = real_database(tmp_path / "real.db")
    _, err = cee("db", "upgrade", "--simulation", db=url, expect=4)
    assert "already holds real data" in err
    _, err = cee("deadlines", "sweep", "--now", "2015-01-05", db=url, expect=4)
    assert "cannot be backdated" in err
