"""Database URL resolution, engines and transactions."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy import event

if TYPE_CHECKING:
    from sqlmodel import Session

URL_ENV = "CEE_DATABASE_URL"
# The alembic head this code expects (tests/test_storage.py checks it against the migrations),
# read with plain SQL so that every command need not import alembic.
# Revisions in order: 0004 → 0010 (keyset indexes) → 0005 (event stream) → 0007 (request ids)
# → 0006 (identity, registry) → 0008 (trade parties) → 0009 (blocked deadlines index).
SCHEMA_REVISION = "0009"
# Our alembic version table: the default `alembic_version` belongs to the host application when
# the engine shares its database (storage/migrate.py adopts a legacy one).
VERSION_TABLE = "cee_alembic_version"
# How long a SQLite writer waits for another's lock; CEE_SQLITE_BUSY_TIMEOUT_MS overrides it.
SQLITE_BUSY_TIMEOUT_MS = int(os.environ.get("CEE_SQLITE_BUSY_TIMEOUT_MS") or 30_000)


def default_url() -> str:
    """`CEE_DATABASE_URL`, else a SQLite file in the user data directory."""
    if os.environ.get(URL_ENV):
        return os.environ[URL_ENV]
    from platformdirs import user_data_dir

    folder = Path(user_data_dir("cee-workflow", appauthor=False))
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'cee.db'}"


def normalize_url(url: str) -> str:
    """Accept postgres:// and postgresql:// and use psycopg 3 for both."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


class UnknownDatabase(ValueError):
    """A URL naming no database dialect or driver SQLAlchemy can load."""


def create_db_engine(url: str) -> sa.Engine:
    url = normalize_url(url)
    if any(ord(c) < 32 or ord(c) == 127 for c in url):  # a NUL would reach the file system
        raise UnknownDatabase("the database URL holds a control character: give "
                              "sqlite:///PATH or postgresql://USER@HOST/DB")
    try:
        parsed = sa.make_url(url)
        parsed.get_dialect()
    except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError, ValueError, ImportError) as error:
        raise UnknownDatabase(f"the database URL {url!r} is not one cee can use "
                              f"({type(error).__name__}): give sqlite:///PATH or "
                              "postgresql://USER@HOST/DB") from None
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise UnknownDatabase(f"the database {parsed.get_backend_name()!r} is not supported: "
                              "give sqlite:///PATH or postgresql://USER@HOST/DB")
    if url.startswith("sqlite"):
        _private_sqlite_file(parsed.database)
        engine = sa.create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
        _configure_sqlite(engine)
        return engine
    return sa.create_engine(url, pool_pre_ping=True)


def _private_sqlite_file(path: str | None) -> None:
    """Create a new SQLite file readable and writable by its owner only (0600): the record is
    nobody else's to read. An existing file keeps the permissions its owner gave it."""
    if not path or path == ":memory:" or path.startswith("file:"):
        return
    target = Path(path)
    if target.exists() or not target.parent.is_dir():
        return
    with suppress(FileExistsError):  # another process made it first: theirs stands
        os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def _configure_sqlite(engine: sa.Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves, below
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        # Writers take the write lock up front: two deferred transactions that both read and
        # then write would fail with SQLITE_BUSY_SNAPSHOT instead of waiting their turn.
        mode = connection.get_execution_options().get("sqlite_begin", "IMMEDIATE")
        # On the driver's connection: this runs before every write, and needs no statement
        # context of SQLAlchemy's; its errors (a locked database) as SQLAlchemy's classes.
        statement = f"BEGIN {mode}"
        try:
            connection.connection.driver_connection.execute(statement)
        except engine.dialect.loaded_dbapi.Error as error:
            raise sa.exc.DBAPIError.instance(statement, (), error,
                                             engine.dialect.loaded_dbapi.Error,
                                             dialect=engine.dialect) from error


def is_postgres(engine: sa.Engine) -> bool:
    return engine.dialect.name == "postgresql"


@contextmanager
def transaction(engine: sa.Engine, *, write: bool = True) -> Iterator[Session]:
    """One session, one transaction: commit on success, roll back on any exception."""
    from sqlmodel import Session  # the ORM loads with the first session, not with this module

    bind = engine if write else engine.execution_options(sqlite_begin="DEFERRED")
    with Session(bind, expire_on_commit=False) as session, session.begin():
        yield session


@contextmanager
def snapshot(engine: sa.Engine) -> Iterator[sa.Connection]:
    """One Core connection in one read transaction that sees a single state of the database.

    SQLite: a deferred BEGIN (no write lock; in WAL mode the snapshot is fixed at the first
    read). PostgreSQL: REPEATABLE READ, since under the default READ COMMITTED each statement
    would see the commits made since the one before it."""
    with engine.connect() as connection:
        if is_postgres(engine):
            connection.execution_options(isolation_level="REPEATABLE READ")
        else:
            connection.execution_options(sqlite_begin="DEFERRED")
        with connection.begin():
            yield connection


def schema_revision(engine: sa.Engine) -> str | None:
    """The database's alembic revision, or None when it has no schema."""
    try:
        with engine.connect() as connection:
            return connection.exec_driver_sql(f"SELECT version_num FROM {VERSION_TABLE}").scalar()
    except (sa.exc.OperationalError, sa.exc.ProgrammingError) as error:
        # Only a missing table means "no schema"; a locked or unreachable database is raised.
        text = str(error.orig).lower()
        # Not 'database "x" does not exist': a missing database is not a missing schema.
        if "no such table" in text or ("relation" in text and "does not exist" in text):
            return None
        raise


def is_simulation(engine: sa.Engine) -> bool:
    """Whether `cee db upgrade --simulation` created this database (False without a schema)."""
    try:
        with engine.connect() as connection:
            value = connection.exec_driver_sql(
                "SELECT value FROM cee_setting WHERE key = 'simulation'").scalar()
    except (sa.exc.OperationalError, sa.exc.ProgrammingError):
        return False
    return value == "true"
