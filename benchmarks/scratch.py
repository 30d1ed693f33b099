"""The scratch database a run owns, and putting a scenario's rows back where they started.

PostgreSQL: `CREATE DATABASE bench_<random>` on the server `--db` names, dropped at the end.
SQLite: a file in a temporary directory, removed at the end. Between the engine's run and the
floor's, `Snapshot.restore()` returns the scenario's cases, events and deadlines to the state the
snapshot saw, so both start from identical rows; `fingerprint()` tells whether both ended alike.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from cee_workflow.storage.database import create_db_engine, normalize_url

SAMPLE_EVERY = 97  # every n-th case of a scope is compared row by row


@contextmanager
def scratch_database(url: str) -> Iterator[str]:
    """A fresh, empty database of the kind `url` names; yields its URL, drops it after."""
    url = normalize_url(url)
    if url.startswith("sqlite"):
        folder = Path(tempfile.mkdtemp(prefix="cee-bench-"))
        try:
            yield f"sqlite:///{folder / 'bench.db'}"
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    name = f"bench_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield sa.make_url(url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def database_version(db: sa.Engine) -> str:
    with db.connect() as connection:
        if db.dialect.name == "postgresql":
            return connection.exec_driver_sql("SHOW server_version").scalar()
        return "SQLite " + connection.exec_driver_sql("SELECT sqlite_version()").scalar()


class Snapshot:
    """The rows a scenario may change: its cases, their pending deadlines, and the high marks
    of the event and deadline tables (everything above them is the scenario's)."""

    def __init__(self, db: sa.Engine, scope_sql: str, sample_every: int = SAMPLE_EVERY):
        self.db, self.sample_every = db, sample_every
        with db.begin() as c:
            c.exec_driver_sql("DROP TABLE IF EXISTS bench_scope")
            c.exec_driver_sql("DROP TABLE IF EXISTS bench_snap_case")
            c.exec_driver_sql("DROP TABLE IF EXISTS bench_snap_deadline")
            c.exec_driver_sql(f"CREATE TABLE bench_scope AS {scope_sql}")
            c.exec_driver_sql("CREATE UNIQUE INDEX ix_bench_scope ON bench_scope (case_id)")
            c.exec_driver_sql('CREATE TABLE bench_snap_case AS SELECT * FROM cee_case '
                              "WHERE id IN (SELECT case_id FROM bench_scope)")
            c.exec_driver_sql("CREATE TABLE bench_snap_deadline AS SELECT id, status, level, "
                              "next_at, claimed_by, settled_at FROM cee_deadline WHERE status = "
                              "'pending' AND case_id IN (SELECT case_id FROM bench_scope)")
            self.event_mark = c.exec_driver_sql("SELECT coalesce(max(seq), 0) FROM cee_event"
                                                ).scalar()
            self.deadline_mark = c.exec_driver_sql("SELECT coalesce(max(id), 0) FROM cee_deadline"
                                                   ).scalar()
            self.size = c.exec_driver_sql("SELECT count(*) FROM bench_scope").scalar()
        columns = [col["name"] for col in sa.inspect(db).get_columns("cee_case")
                   if col["name"] != "id"]
        self._case_set = ", ".join(f'"{n}" = s."{n}"' for n in columns)

    def restore(self) -> None:
        with self.db.begin() as c:
            c.exec_driver_sql(f"DELETE FROM cee_event WHERE seq > {self.event_mark}")
            c.exec_driver_sql(f"DELETE FROM cee_deadline WHERE id > {self.deadline_mark}")
            c.exec_driver_sql(
                "UPDATE cee_deadline SET status = s.status, level = s.level, next_at = s.next_at, "
                "claimed_by = s.claimed_by, settled_at = s.settled_at "
                "FROM bench_snap_deadline AS s WHERE cee_deadline.id = s.id")
            c.exec_driver_sql(f'UPDATE cee_case SET {self._case_set} FROM bench_snap_case AS s '
                              'WHERE cee_case.id = s.id')
        tidy(self.db)

    def fingerprint(self) -> dict[str, Any]:
        """Counts over the scope and a digest of every `sample_every`-th case's rows (1: every
        case's)."""
        with self.db.connect() as c:
            def scalar(sql: str) -> Any:
                return c.exec_driver_sql(sql).scalar()

            states = dict(c.exec_driver_sql(
                'SELECT state, count(*) FROM cee_case WHERE id IN (SELECT case_id FROM bench_scope)'
                " GROUP BY state ORDER BY state").all())
            counts = {
                "states": states,
                "events_added": scalar(
                    f"SELECT count(*) FROM cee_event WHERE seq > {self.event_mark}"),
                "deadlines_added": scalar(
                    f"SELECT count(*) FROM cee_deadline WHERE id > {self.deadline_mark}"),
                "deadlines_settled": scalar(
                    "SELECT count(*) FROM cee_deadline WHERE id IN (SELECT id FROM "
                    "bench_snap_deadline) AND status <> 'pending'"),
            }
            sample = [row[0] for row in c.exec_driver_sql(
                "SELECT case_id FROM bench_scope ORDER BY case_id").all()][::self.sample_every]
            digest = hashlib.sha256()
            for case_id in sample:
                for sql in (
                    'SELECT * FROM cee_case WHERE id = :id',
                    "SELECT case_seq, at, actor, authority, regime, trigger, from_state, "
                    "to_state, note, data, prev_hash, hash FROM cee_event WHERE case_id = :id "
                    "ORDER BY case_seq",
                    "SELECT timer, kind, state, armed_version, last_day, due_at, warn_at, action, "
                    "status, level, next_at, settled_at FROM cee_deadline WHERE case_id = :id "
                    "ORDER BY due_at, timer, armed_version, status",
                ):
                    for row in c.execute(sa.text(sql), {"id": case_id}):
                        digest.update(_canonical_row(row).encode())
        return {**counts, "sampled_cases": len(sample), "sample_digest": digest.hexdigest()}


def _canonical_row(row) -> str:
    values = []
    for value in row:
        if isinstance(value, str) and value[:1] in "{[":
            with suppress(ValueError):
                value = json.loads(value)
        values.append(value)
    return json.dumps(values, sort_keys=True, default=str)


def tidy(db: sa.Engine) -> None:
    """Reclaim what a restore left behind, so the next run meets tables as the first did."""
    if db.dialect.name != "postgresql":
        return
    with db.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        c.exec_driver_sql('VACUUM ANALYZE cee_case, cee_event, cee_deadline')


def scratch_engine(url: str) -> sa.Engine:
    return create_db_engine(url)
