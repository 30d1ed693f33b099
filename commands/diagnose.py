"""Honest diagnoses of the database (issue #13 item 4), and `cee db status`.

Each way a database can be wrong gets its own one-line error, kind and exit code:

- an unreachable server (refused, unknown host, timed out): `database_unreachable`, exit 1;
- a login the server refuses: `database_login_refused`, exit 4;
- a PostgreSQL database that does not exist on a reachable server: `not_found`, exit 3;
- a SQLite path whose directory does not exist, or (any command but `db upgrade` and `demo`)
  whose file does not exist: `not_found`, exit 3 — and no file is created;
- no cee schema, an old schema (`cee db upgrade` migrates it), a schema newer than this cee:
  `invalid_input`, exit 2 (workflow/reader.py says which).
"""

from __future__ import annotations

import re
from pathlib import Path

import click

from cee_workflow.workflow.errors import NotFound, NotPermitted, WorkflowError


class DatabaseUnreachable(WorkflowError):
    kind = "database_unreachable"
    exit_code = 1


class DatabaseLoginRefused(NotPermitted):
    kind = "database_login_refused"


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL (None: not SQLite, or in memory)."""
    if not url.startswith("sqlite"):
        return None
    import sqlalchemy as sa

    try:
        parsed = sa.make_url(url)
        parsed.get_dialect()
    except Exception:  # noqa: BLE001 — a URL cee cannot use: Engine() says so, exit 2
        return None
    database = parsed.database
    return Path(database) if database and database != ":memory:" else None


def require_database(url: str | None, *, creating: bool = False) -> None:
    """Refuse, before anything connects, a SQLite path that names no existing directory or (not
    `creating`) no existing file: a typo in --db must not create an empty database. `url` None
    is CEE_DATABASE_URL, else the user's SQLite file."""
    from cee_workflow.storage.database import default_url, normalize_url

    path = sqlite_path(normalize_url(url or default_url()))
    if path is None:
        return
    if not path.parent.is_dir():
        raise NotFound("database directory", str(path.parent),
                       f"check the --db path (sqlite:///{path} names a file in it)")
    if not creating and not path.exists():
        raise NotFound("database file", str(path),
                       "check the --db path, or create the database with `cee db upgrade`")


_UNREACHABLE = ("connection refused", "could not translate host name", "name or service not",
                "timeout expired", "timed out", "no route to host", "network is unreachable",
                "could not connect", "connection to server", "nodename nor servname")


def diagnose(error: Exception, url: str | None) -> WorkflowError | None:
    """The typed error for a database that cannot be used (from its DBAPI message), or None."""
    first = str(getattr(error, "orig", None) or error).strip().splitlines()
    text = " ".join(first).lower()
    where = _server(url)
    missing = re.search(r'database "([^"]+)" does not exist', text)
    if missing:
        return NotFound("database", missing[1],
                        f"the server {where} has no such database; create it (e.g. `createdb "
                        f"{missing[1]}`), then run `cee db upgrade`")
    if "authentication failed" in text or "not permitted to log in" in text or (
            "role" in text and "does not exist" in text):
        return DatabaseLoginRefused(f"the server {where} refused the login ({first[0][:120]}); "
                                    "check the user and password in --db")
    if any(sign in text for sign in _UNREACHABLE):
        reason = next((s for s in _UNREACHABLE if s in text), "no answer")
        return DatabaseUnreachable(f"cannot reach the database server {where} ({reason}); "
                                   "check that it is running and the host and port in --db")
    if "unable to open database file" in text:
        path = sqlite_path(url or "")
        return NotFound("database file", str(path) if path else str(url),
                        "check the --db path and that you may read and write it")
    return None


def _server(url: str | None) -> str:
    if not url:
        return "(unknown)"
    import sqlalchemy as sa

    try:
        parsed = sa.make_url(url)
    except sa.exc.ArgumentError:
        return "(unknown)"
    return f"{parsed.host or 'localhost'}:{parsed.port or 5432}"


def register(cee: click.Group) -> None:
    db = cee.commands["db"]

    @db.command("status")
    @click.pass_obj
    def db_status(settings):
        """The database: its URL (password hidden), schema revision, real or simulation, and
        how many rows each cee table holds. Reads only: creates nothing."""
        from cee_workflow.cli import emit
        from cee_workflow.commands.render import table

        document = status(settings)
        emit(settings, document, lambda: (
            click.echo(f"database   {document['database']}"),
            click.echo(f"schema     {document['revision'] or 'none'} (this cee: "
                       f"{document['expected']})" + (" — run `cee db upgrade`"
                                                     if document["revision"] !=
                                                     document["expected"] else "")),
            click.echo(f"kind       {'simulation' if document['simulation'] else 'real'}"),
            table(["table", "rows"], [[t, n] for t, n in document["rows"].items()])))


TABLES = ("cee_office", "cee_officer", "cee_importer", "cee_entry", "cee_case",
          "cee_case_entry", "cee_event", "cee_deadline")


def status(settings) -> dict:
    import sqlalchemy as sa

    from cee_workflow.storage.database import SCHEMA_REVISION, is_simulation, schema_revision

    reader = settings.reader(check_schema=False)
    engine = reader.db
    revision = schema_revision(engine)
    rows: dict[str, int] = {}
    if revision is not None:
        names = set(sa.inspect(engine).get_table_names())
        with engine.connect() as connection:
            for name in (t for t in TABLES if t in names):
                rows[name] = connection.exec_driver_sql(f"SELECT count(*) FROM {name}").scalar()
    return {"database": engine.url.render_as_string(hide_password=True), "revision": revision,
            "expected": SCHEMA_REVISION, "simulation": is_simulation(engine), "rows": rows}


def known_revisions() -> list[str]:
    """The revision ids of this cee's migrations, read from their files (no alembic import)."""
    folder = Path(__file__).resolve().parent.parent / "storage" / "migrations" / "versions"
    found = []
    for path in sorted(folder.glob("*.py")):
        match = re.search(r'^revision\s*=\s*"([^"]+)"', path.read_text(), re.M)
        if match:
            found.append(match[1])
    return found


def legacy_revision(engine) -> str | None:
    """A cee revision in alembic's default version table (databases made before 0004), else
    None; the table may be the host application's, so only a revision of ours counts."""
    import sqlalchemy as sa

    try:
        with engine.connect() as connection:
            found = connection.exec_driver_sql("SELECT version_num FROM alembic_version"
                                               ).scalars().all()
    except (sa.exc.OperationalError, sa.exc.ProgrammingError):
        return None
    ours = [r for r in found if r in known_revisions()]
    return ours[0] if ours else None
