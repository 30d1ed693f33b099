"""Established identity on real databases (issue #14 item 1): the PostgreSQL login role or the
SQLite file's operating-system user acts, never what `--as` asserts.

PostgreSQL: each run creates its own login roles (unique names), grants them the engine's tables,
connects the CLI and the API as each, and drops them at the end.
"""

from __future__ import annotations

import json
import os
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from cli_harness import cee, cee_json, entry_number, isolated_environment  # noqa: E402

from cee_workflow import Engine
from cee_workflow.states.authority import Role
from cee_workflow.states.calendar import legal_date
from cee_workflow.workflow.errors import IdentityRefused, NotPermitted
from cee_workflow.workflow.identity import established_login, os_user
from cee_workflow.workflow.jurisdiction import Officer

ACME = "12-3456789AB"  # center 007
BETA = "11-1111111AA"  # center 005
E1, E2, E3 = entry_number(1), entry_number(2), entry_number(3)
# A real database records at the system clock: entries of today, a bulletin two weeks on.
LEGAL_TODAY = legal_date(datetime.now(UTC))  # Eastern
TODAY = LEGAL_TODAY.isoformat()
FRIDAY = (LEGAL_TODAY + timedelta(days=14 + (4 - LEGAL_TODAY.weekday()) % 7)).isoformat()


ON_POSTGRES = pytest.mark.parametrize(
    "empty_db_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True)


@pytest.fixture(scope="module")
def cli_env(tmp_path_factory):
    yield from isolated_environment(tmp_path_factory)


class Roles:
    """Login roles of one PostgreSQL test database, and a URL to connect as each."""

    def __init__(self, url: str):
        self.url = sa.make_url(url)
        self.tag = uuid.uuid4().hex[:8]
        self.names: dict[str, str] = {}

    def name(self, who: str) -> str:
        return f"cee_{self.tag}_{who}"

    def create(self, who: str) -> str:
        name = self.name(who)
        with _superuser(self.url) as connection:
            connection.exec_driver_sql(f'CREATE ROLE "{name}" LOGIN')
            connection.exec_driver_sql(f'GRANT USAGE ON SCHEMA public TO "{name}"')
            connection.exec_driver_sql(
                f'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO "{name}"')
            connection.exec_driver_sql(
                f'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO "{name}"')
        self.names[who] = name
        return name

    def as_(self, who: str) -> str:
        return self.url.set(username=self.names[who]).render_as_string(hide_password=False)

    def drop(self) -> None:
        if not self.names:
            return
        quoted = ", ".join(f'"{n}"' for n in self.names.values())
        with _superuser(self.url) as connection:
            for name in self.names.values():
                connection.exec_driver_sql(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    f"WHERE usename = '{name}'")
            connection.exec_driver_sql(f"DROP OWNED BY {quoted}")
            connection.exec_driver_sql(f"DROP ROLE {quoted}")


def _superuser(url: sa.URL):
    return sa.create_engine(url, isolation_level="AUTOCOMMIT").connect()


@pytest.fixture
def pg(cli_env, empty_db_url):
    roles = Roles(empty_db_url)
    try:
        # The database's owner (the migrating superuser) names the first administrator.
        cee("db", "upgrade", "--admin", "registrar", "--admin-login", roles.name("admin"),
            db=empty_db_url)
        for who in ("admin", "ana", "pete", "stranger", "acme", "beta", "nobody"):
            roles.create(who)
        yield roles
    finally:
        roles.drop()


def _register(roles: Roles) -> None:
    """The administrator registers the cast, each with its own login role."""
    db = roles.as_("admin")
    n = roles.names
    cee("officer", "add", "ana", "--name", "Ana Lee", "--center", "007", "--division",
        "partnership", "--login", n["ana"], db=db)
    cee("officer", "add", "pete", "--name", "Pete Ortiz", "--port", "2704", "--login",
        n["pete"], db=db)
    cee("officer", "add", "sam", "--name", "Sam Stranger", "--port", "3901", "--login",
        n["stranger"], db=db)
    cee("importer", "add", ACME, "--name", "Acme", "--center", "007", "--trusted", "ctpat",
        "--login", n["acme"], db=db)
    cee("importer", "add", BETA, "--name", "Beta", "--center", "005", "--login", n["beta"],
        db=db)


@ON_POSTGRES
def test_postgres_the_login_role_acts_and_as_cannot_change_it(pg):
    _register(pg)
    pete = pg.as_("pete")
    opened = cee_json("entry", "add", E1, "--importer", ACME, "--port", "2704", "--date",
                      TODAY, db=pete)
    history = cee_json("case", "history", opened["id"], db=pete)
    assert [e["actor"] for e in history] == ["pete"]
    # --as naming the established identity is accepted; anyone else is refused, exit 4.
    cee("entry", "add", E2, "--importer", ACME, "--port", "2704", "--date", TODAY,
        db=pete, actor="pete")
    _, err = cee("entry", "add", E3, "--importer", ACME, "--port", "2704", "--date",
                 TODAY, db=pete, actor="ana", expect=4)
    assert "--as ana is refused" in err and pg.names["pete"] in err
    _, err = cee("case", "list", db=pete, env={"CEE_ACTOR": "registrar"}, expect=4)
    assert "--as registrar is refused" in err
    # A login mapped to nobody reads nothing and does nothing.
    _, err = cee("case", "list", db=pg.as_("nobody"), expect=4)
    assert f"login '{pg.names['nobody']}' is not mapped" in err
    # The filer acts through its own login: it files a protest on its own entry.
    center = pg.as_("ana")
    cee("case", "advance", opened["id"], "schedule", "--set", f"date={FRIDAY}", db=center)
    cee("audit", "verify", db=pg.as_("admin"))


@ON_POSTGRES
def test_postgres_registry_needs_its_administrator(pg):
    _register(pg)
    # An officer cannot register a director (the mallory), nor an office or importer.
    for args in (("officer", "add", "mallory", "--name", "M", "--center", "007",
                  "--division", "validation", "--role", "director"),
                 ("office", "add", "2799", "--kind", "port", "--name", "X"),
                 ("importer", "add", "22-2222222BB", "--name", "X", "--center", "007")):
        _, err = cee(*args, db=pg.as_("ana"), expect=4)
        assert "needs a registry administrator" in err
    officers = cee_json("officer", "list", db=pg.as_("admin"))
    assert "mallory" not in [o["id"] for o in officers]
    cee("officer", "deactivate", "ana", db=pg.as_("ana"), expect=4)
    # The administrator deactivates ana: refused everywhere from then on.
    cee("officer", "deactivate", "ana", db=pg.as_("admin"))
    for args in (("case", "list"), ("deadlines", "list"),
                 ("entry", "add", E1, "--importer", ACME, "--port", "2704", "--date",
                  TODAY)):
        _, err = cee(*args, db=pg.as_("ana"), expect=4)
        assert "officer ana is deactivated" in err
    report = cee_json("audit", "verify", db=pg.as_("admin"))
    assert report["ok"]


@ON_POSTGRES
def test_postgres_filers_read_only_their_own_importers_cases(pg):
    _register(pg)
    pete = pg.as_("pete")
    acme_case = cee_json("entry", "add", E1, "--importer", ACME, "--port", "2704", "--date",
                         TODAY, db=pete)
    beta_case = cee_json("entry", "add", E2, "--importer", BETA, "--port", "2704", "--date",
                         TODAY, db=pete)
    acme = pg.as_("acme")
    assert [c["id"] for c in cee_json("case", "list", db=acme)] == [acme_case["id"]]
    assert {d["case_id"] for d in cee_json("deadlines", "list", db=acme)} == {acme_case["id"]}
    cee("case", "show", acme_case["id"], db=acme)
    for args in (("case", "show", beta_case["id"]), ("case", "history", beta_case["id"])):
        _, err = cee(*args, db=acme, expect=4)
        assert f"may read only its own importer's cases; {beta_case['id']}" in err
    # An officer of another port is refused before anything about the case's state is said:
    # `accept` is impossible from `open`, but the stranger learns only that it is not theirs.
    _, err = cee("case", "advance", acme_case["id"], "accept", db=pg.as_("stranger"), expect=4)
    assert "has no standing on" in err and "open" not in err.split("standing on")[1]


@ON_POSTGRES
def test_postgres_api_resolves_the_login_and_refuses_a_hand_made_actor(pg):
    _register(pg)
    engine = Engine(pg.as_("pete"))
    try:
        assert established_login(engine.db) == pg.names["pete"]
        pete = engine.actor()
        assert isinstance(pete, Officer) and pete.id == "pete"
        engine.add_entry(E1, importer=ACME, port="2704", entry_date=LEGAL_TODAY,
                         actor=pete)
        forged = Officer(id="pete", name="Pete Ortiz", office="2704", office_kind="port",
                         unit=None, role=Role.DIRECTOR)
        with pytest.raises(IdentityRefused, match="not resolved by this engine"):
            engine.add_entry(E2, importer=ACME, port="2704", entry_date=LEGAL_TODAY,
                             actor=forged)
        with pytest.raises(IdentityRefused, match="--as ana is refused"):
            engine.actor("ana")
        with pytest.raises(NotPermitted, match="needs a registry administrator"):
            engine.add_officer("eve", name="Eve", office="007", unit="validation")
    finally:
        engine.close()


def test_sqlite_the_operating_system_user_acts(cli_env, tmp_path):
    db = f"sqlite:///{tmp_path / 'real.db'}"
    me = os_user()
    cee("db", "upgrade", "--admin", "registrar", db=db)  # the administrator's login: me
    cee("officer", "add", "pete", "--name", "Pete", "--port", "2704", "--login", me, db=db)
    cee("officer", "add", "ana", "--name", "Ana", "--center", "007", "--division",
        "partnership", "--login", f"{me}-not", db=db)
    cee("importer", "add", ACME, "--name", "Acme", "--center", "007", db=db)
    # Environment variables do not change who the process is (pwd of the real uid).
    fake = {"USER": "ana", "LOGNAME": "ana", "USERNAME": "ana"}
    opened = cee_json("entry", "add", E1, "--importer", ACME, "--port", "2704", "--date",
                      TODAY, db=db, env=fake)
    assert [e["actor"] for e in cee_json("case", "history", opened["id"], db=db)] == ["pete"]
    _, err = cee("case", "advance", opened["id"], "schedule", "--set", f"date={FRIDAY}",
                 db=db, actor="ana", expect=4)
    assert "--as ana is refused" in err and f"login {me!r}" in err
    # The same login keeps the registry (as its administrator) and acts as pete.
    _, err = cee("officer", "add", "eve", "--name", "Eve", "--center", "007", "--division",
                 "validation", db=db, actor="pete", expect=4)
    assert "needs a registry administrator; officer pete" in err
    assert os.stat(tmp_path / "real.db").st_mode & 0o077 == 0
    cee("audit", "verify", db=db)


# What a list or a show on a real database must not load: the engine, the ORM, the rulebooks.
# Plain `import sqlalchemy` loads none of them (test_cli_show.py checks that probe).
HEAVY = ("sqlmodel", "pydantic", "sqlalchemy.orm", "transitions", "cee_workflow.workflow.engine",
         "cee_workflow.storage.models", "cee_workflow.states.liquidation",
         "cee_workflow.states.protest")


def _read_loading(url: str, *args: str) -> tuple[list[str], str]:
    """Run `cee ARGS` in a fresh interpreter on `url`: what of HEAVY it loaded, and stdout."""
    import subprocess
    import sys

    code = ("import contextlib, io, json, sys\nfrom cee_workflow import cli\nout = io.StringIO()\n"
            "with contextlib.redirect_stdout(out):\n    try:\n"
            f"        cli.main(['--db', {url!r}, '--json', *{list(args)!r}])\n"
            "    except SystemExit as exit:\n        assert not exit.code, exit.code\n"
            f"print(json.dumps([[m for m in {HEAVY!r} if m in sys.modules], out.getvalue()]))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, timeout=120, env=os.environ.copy())
    import json

    loaded, stdout = json.loads(done.stdout.splitlines()[-1])
    return loaded, stdout


@ON_POSTGRES
def test_postgres_reads_resolve_the_login_without_the_engine(pg):
    """`case list`, `deadlines list` and `case show` on a real database establish who reads
    (the login's filer here, confined to its importer) with the light Reader: no engine, no
    ORM, no rulebook is loaded, and what they print is what the engine's reads give."""
    _register(pg)
    pete = pg.as_("pete")
    acme_case = cee_json("entry", "add", E1, "--importer", ACME, "--port", "2704", "--date",
                         TODAY, db=pete)
    cee_json("entry", "add", E2, "--importer", BETA, "--port", "2704", "--date", TODAY, db=pete)
    acme = pg.as_("acme")
    loaded, listed = _read_loading(acme, "case", "list")
    assert loaded == [] and [c["id"] for c in json.loads(listed)] == [acme_case["id"]]
    loaded, deadlines = _read_loading(acme, "deadlines", "list")
    assert loaded == [] and {d["case_id"] for d in json.loads(deadlines)} == {acme_case["id"]}
    loaded, shown = _read_loading(acme, "case", "show", acme_case["id"])
    assert loaded == [] and json.loads(shown)["id"] == acme_case["id"]
    engine = Engine(acme)
    try:
        expected = [c.to_dict() for c in engine.list_cases(actor=engine.actor())]
    finally:
        engine.close()
    assert json.loads(listed) == json.loads(json.dumps(expected, default=str))
    # The light Reader's identity is the engine's: an unmapped login reads nothing, and `--as`
    # may name only the login's own identity.
    _, err = cee("case", "list", db=pg.as_("nobody"), expect=4)
    assert f"login '{pg.names['nobody']}' is not mapped" in err
    _, err = cee("case", "list", db=acme, actor="pete", expect=4)
    assert "--as pete is refused" in err
    # A command that reads first and then needs the engine (blocked deadlines are the
    # engine's) goes on as the same reader: the engine recognizes the Reader's actor.
    assert [c["id"] for c in cee_json("case", "list", "--overdue", db=acme)] == []


@ON_POSTGRES
def test_postgres_an_engine_recognizes_only_the_logins_own_actor(pg):
    _register(pg)
    engine = Engine(pg.as_("pete"))
    try:
        pete = engine.actor()
        same = Officer(id=pete.id, name=pete.name, office=pete.office,
                       office_kind=pete.office_kind, unit=pete.unit, role=pete.role)
        assert engine.recognize(same) is same
        engine.add_entry(E1, importer=ACME, port="2704", entry_date=LEGAL_TODAY, actor=same)
        raised = Officer(id=pete.id, name=pete.name, office=pete.office,
                         office_kind=pete.office_kind, unit=pete.unit, role=Role.DIRECTOR)
        with pytest.raises(IdentityRefused, match="not the established identity"):
            engine.recognize(raised)
        with pytest.raises(IdentityRefused, match="not resolved by this engine"):
            engine.add_entry(E2, importer=ACME, port="2704", entry_date=LEGAL_TODAY,
                             actor=raised)
    finally:
        engine.close()
