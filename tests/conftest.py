"""Fixtures: an engine on SQLite and on PostgreSQL, a settable clock, and a standard cast.

PostgreSQL tests read CEE_TEST_DATABASE_URL (a server URL whose database we may create from);
each run creates its own database and drops it at the end. Without the variable they are skipped
(.ci/run sets it and fails on any such skip); with it set but the server unreachable they fail.
"""

from __future__ import annotations

import os
import shutil
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

import pytest
import sqlalchemy as sa

from cee_workflow import Engine, SettableClock
from cee_workflow.states.calendar import LEGAL_TZ
from cee_workflow.storage import migrate
from cee_workflow.storage.database import create_db_engine, normalize_url
from cee_workflow.workflow.identifiers import entry_check_digit

PG_ENV = "CEE_TEST_DATABASE_URL"
TABLES = tuple("cee_" + name for name in (
    "request", "case_entry", "event", "deadline", "case", "entry", "importer", "officer",
    "serial", "office", "administrator", "registry_event", "party"))


def pytest_report_header(config):
    return f"PostgreSQL: {os.environ.get(PG_ENV) or 'not configured (' + PG_ENV + ' unset)'}"


def pytest_collection_modifyitems(config, items):
    """Every test that uses the PostgreSQL server carries the `postgres` marker, so that
    `-m "not postgres"` runs the SQLite half alone (the parametrized fixtures mark their
    PostgreSQL case; this marks the tests asking for `postgres_url` directly)."""
    for item in items:
        if "postgres_url" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.postgres)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("template") / "cee.db"
    engine = create_db_engine(f"sqlite:///{path}")
    migrate.upgrade(engine, simulation=True)
    engine.dispose()
    return str(path)


@pytest.fixture(scope="session")
def postgres_url() -> str:
    admin_url = os.environ.get(PG_ENV)
    if not admin_url:
        if os.environ.get("CEE_REQUIRE_POSTGRES"):
            pytest.fail(f"CEE_REQUIRE_POSTGRES is set but {PG_ENV} is not")
        pytest.skip(f"PostgreSQL tests need {PG_ENV}")
    admin = sa.create_engine(normalize_url(admin_url), isolation_level="AUTOCOMMIT")
    name = f"cee_test_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except sa.exc.OperationalError as error:
        pytest.fail(f"{PG_ENV} is set but PostgreSQL is unreachable: {error.orig}")
    url = sa.make_url(normalize_url(admin_url)).set(database=name)
    url_text = url.render_as_string(hide_password=False)
    engine = create_db_engine(url_text)
    migrate.upgrade(engine, simulation=True)
    engine.dispose()
    yield url_text
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request, tmp_path, sqlite_template) -> str:
    """A migrated, seeded, empty simulation database of each kind."""
    if request.param == "sqlite":
        path = tmp_path / "cee.db"
        shutil.copy(sqlite_template, path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("postgres_url")
    reset_postgres(url)
    return url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_db_url(request, tmp_path) -> Iterator[str]:
    """An empty database of each kind, no schema at all (a host application's, or a new one).
    PostgreSQL: a database of its own, created for the test and dropped after it."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    session_url = sa.make_url(request.getfixturevalue("postgres_url"))
    admin = sa.create_engine(normalize_url(os.environ[PG_ENV]), isolation_level="AUTOCOMMIT")
    name = f"{session_url.database}_{uuid.uuid4().hex[:6]}"
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield session_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def reset_postgres(url: str) -> None:
    """Empty the per-run PostgreSQL database and seed it again (cheaper than re-creating it)."""
    engine = create_db_engine(url)
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "TRUNCATE " + ", ".join(f'"{t}"' for t in TABLES) + " RESTART IDENTITY CASCADE")
    migrate.seed(engine, simulation=True)
    engine.dispose()


JOIN_SECONDS = 120  # a hung racer (deadlock) fails the test instead of hanging the suite


def race(calls: list[Callable[[], Any]]) -> list[tuple[str, Any]]:
    """Run `calls` in threads released together by a barrier; ("ok", result) or ("raised", exc)."""
    barrier = threading.Barrier(len(calls))
    outcomes: list[tuple[str, Any] | None] = [None] * len(calls)

    def run(index: int, call: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=JOIN_SECONDS)
            outcomes[index] = ("ok", call())
        except BaseException as error:  # reported to the test thread, never swallowed
            outcomes[index] = ("raised", error)

    threads = [threading.Thread(target=run, args=(i, call), daemon=True)
               for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(JOIN_SECONDS)
    hung = [i for i, thread in enumerate(threads) if thread.is_alive()]
    assert not hung, f"racers {hung} did not finish in {JOIN_SECONDS}s: deadlock?"
    return outcomes  # type: ignore[return-value]


def eastern(day: str, hour: int = 10) -> datetime:
    """10:00 America/New_York on `day`, as an aware instant."""
    return datetime.combine(date.fromisoformat(day), time(hour), tzinfo=LEGAL_TZ).astimezone(UTC)


@pytest.fixture
def clock() -> SettableClock:
    return SettableClock(eastern("2025-01-06"))


@pytest.fixture
def engine(db_url, clock):
    engine = Engine(db_url, clock=clock)
    yield engine
    engine.close()


def entry_number(serial: int, filer: str = "112") -> str:
    """A valid entry number with its check digit, e.g. entry_number(1) → '112-0000001-x'."""
    body = f"{filer}{serial:07d}"
    return f"{filer}-{serial:07d}-{entry_check_digit(body)}"


@dataclass
class Cast:
    """The standard people: officers of centers 007 and 005 and ports 2704 and 3901, importers."""

    engine: Engine
    clock: SettableClock
    _serial: int = 0

    ACME = "12-3456789AB"  # center 007, C-TPAT
    ZETA = "98-7654321CD"  # center 007, not trusted
    BETA = "11-1111111AA"  # center 005

    def __post_init__(self):
        e = self.engine
        e.add_officer("c007", name="Center 007 officer", office="007", unit="validation")
        e.add_officer("c007-sup", name="Center 007 supervisor", office="007", unit="validation",
                      role="supervisor")
        e.add_officer("c005", name="Center 005 officer", office="005", unit="validation")
        e.add_officer("p2704", name="Port 2704 officer", office="2704")
        e.add_officer("p2704-dir", name="Port 2704 director", office="2704", role="director")
        e.add_officer("p2704-fpf", name="Port 2704 FP&F", office="2704", unit="fpf")
        e.add_officer("p3901", name="Port 3901 officer", office="3901")
        e.add_importer(self.ACME, name="Acme Electronics", center="007", trusted=["ctpat"])
        e.add_importer(self.ZETA, name="Zeta Trading", center="007")
        e.add_importer(self.BETA, name="Beta Metals", center="005")

    def actor(self, text: str):
        return self.engine.actor(text)

    def at(self, day: str, hour: int = 10) -> None:
        """Move the clock to `hour`:00 Eastern on `day`."""
        self.clock.move_to(eastern(day, hour))

    def entry(self, *, importer: str | None = None, port: str = "2704",
              entry_date: str = "2025-01-06", by: str = "p2704", surety: str | None = None,
              consignee: str | None = None):
        """Record a new entry (valid number) and return its liquidation case; `surety` and
        `consignee`: the party ids its papers name."""
        self._serial += 1
        return self.engine.add_entry(entry_number(self._serial), importer=importer or self.ACME,
                                     port=port, entry_date=date.fromisoformat(entry_date),
                                     actor=self.actor(by), surety=surety, consignee=consignee)

    def party(self, party_id: str, role: str, *, importer: str | None = None,
              name: str | None = None):
        """Register a trade party (19 U.S.C. 1514(c)(2)); returns its actor, party:ID."""
        self.engine.add_party(party_id, name=name or party_id.title(), role=role,
                              importer=importer)
        return self.actor(f"party:{party_id}")

    def liquidated(self, *, on: str = "2025-02-07", **entry_kwargs):
        """An entry scheduled and liquidated on the Friday bulletin `on` (clock left there)."""
        case = self.entry(**entry_kwargs)
        center = "c005" if case.center == "005" else "c007"
        self.at(entry_kwargs.get("entry_date", "2025-01-06"))
        self.engine.advance(case.id, "schedule", actor=self.actor(center), inputs={"date": on})
        self.at(on)
        return self.engine.advance(case.id, "liquidate", actor=self.actor(center))


@pytest.fixture
def cast(engine, clock) -> Cast:
    return Cast(engine, clock)
