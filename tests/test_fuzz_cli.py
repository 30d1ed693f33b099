"""Bad input never surprises (issue #14 item 5): a property-based fuzz of the WHOLE command line.

Every command and every option of `cee` (read from click itself, so a new option is fuzzed the
day it is added), with plausible values and odd ones — huge integers, 1e400, NaN, unicode,
control characters, impossible dates, unknown dialects, empty strings, long strings, options
given twice, unknown options, stray arguments — run in-process (click's CliRunner) against a
seeded simulation database, on SQLite and on PostgreSQL. Hypothesis runs a fixed, derandomized
profile (the same invocations on every run, as CI needs).

Each invocation must:
- exit 0–6, with no "unexpected …" error, no "the database refused …" and no traceback;
- on an error exit, write nothing (the database's fingerprint is unchanged);
and at the end every case's chain verifies and every case row is the fold of its events
(`audit verify`): no case changed without an event.

Four commands are cut short where they would run on: `events tail --follow` prints what is
committed, `events relay` publishes it once (`--once`), `scheduler run` sweeps once instead of
until a signal, and `demo` checks and prepares its database but skips the story (its own
tests walk it). Files the commands write (keys, checkpoints) go to a scratch directory.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date

import click
import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from conftest import Cast, entry_number, reset_postgres
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cee_workflow import Engine, SettableClock
from cee_workflow.cli import cee
from cee_workflow.states import LIFECYCLES
from cee_workflow.workflow import demo, relay, scheduler
from cee_workflow.workflow import events as stream

EXAMPLES = int(os.environ.get("CEE_FUZZ_EXAMPLES", "1500"))  # per database


def _commands(group: click.Group, path: tuple[str, ...] = ()) -> Iterator[tuple]:
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            yield from _commands(command, (*path, name))
        else:
            yield (*path, name), command


COMMANDS = list(_commands(cee))

HUGE = ["99999999999999999999", "-99999999999999999999", "2147483648", "9" * 400, "1e400",
        "-1e400", "NaN", "nan", "inf", "-inf", "-0", "0", "-1", "0x10", "1_000"]
WEIRD = ["", " ", "é", "日本語", "\u200b", "\x00", "\n", "a\nb", "\t", "\x1b[31m", "\u202e",
         "%s", "{}", "'", '"', "\\", "--", "-", "x" * 300, "../x", "NULL", "🦀"]
BAD_DATES = ["2026-02-30", "2026-13-01", "0001-01-01", "9999-12-31", "yesterday", "2025-1-6",
             "2025-01-06T25:00", "2025-01-06T10:00+99:00", "2025-W02", "20250106"]
DATES = ["2025-01-06", "2025-02-07", "2025-03-03", "2025-06-30", "2026-01-09",
         "2025-01-06T10:00", "2025-03-03T10:00:00-05:00"]
ODD = st.sampled_from(HUGE + WEIRD + BAD_DATES)
URLS = ["nosuchdialect://x/y", "mysql+nosuchdriver://h/d", "::::", "sqlite+nosuch:///x.db",
        "sqlite:///no/such/dir/x.db", "postgresql+psycopg://nobody@127.0.0.1:1/none", "",
        "sqlite://", "sqlite:///\x00"]
KINDS = list(LIFECYCLES)
STATES = sorted({s for lc in LIFECYCLES.values() for s in lc.state_names})
TRIGGERS = sorted({t for lc in LIFECYCLES.values() for t in lc.triggers})
INPUTS = sorted({i.name for lc in LIFECYCLES.values() for s in lc.transitions for i in s.inputs})
ACTORS = ["p2704", "p2704-dir", "p2704-fpf", "c007", "c007-sup", "c005", "p3901",
          f"filer:{Cast.ACME}", f"filer:{Cast.ZETA}", "filer:", "filer:nobody", "system",
          "SYSTEM", "c007\n", "ghost", "", "party:bonding", "party:smith", "party:", "party:ghost"]
ENTRIES = [entry_number(n) for n in (1, 2, 3, 4, 5, 50)] + ["112-0000001-0", "11200000013",
                                                             "112-000000"]
IMPORTERS = [Cast.ACME, Cast.ZETA, Cast.BETA, "12-3456789", "00-0000000ZZ"]
OFFICES = ["2704", "3901", "007", "005", "003", "9999", "27", "0000"]
PATHS = ["key.pem", "keys/cee.pem", "out", "no/such/dir/x", ".", "key.pem.pub", "é.pem",
         "checkpoints", "checkpoints/none.json"]


def _case_ids(url: str) -> list[str]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return list(connection.exec_driver_sql("SELECT id FROM cee_case").scalars())
    finally:
        engine.dispose()


def _values_for(param: click.Parameter, case_ids: list[str]) -> st.SearchStrategy[str]:
    """Plausible values of one parameter, by its type and name, or an odd one."""
    name = (param.name or "").lower()
    if isinstance(param.type, click.Choice):
        plausible = st.sampled_from(list(param.type.choices) + ["nosuch"])
    elif isinstance(param.type, click.types.IntParamType | click.types.FloatParamType):
        plausible = st.sampled_from(["1", "2", "5", "60", "0.5", "100", "3600"])
    elif name in ("number", "entries") and "importer" not in name:
        plausible = st.sampled_from(ENTRIES + IMPORTERS[:1])
    elif "importer" in name:
        plausible = st.sampled_from(IMPORTERS)
    elif name in ("port", "center", "code", "entries_port"):
        plausible = st.sampled_from(OFFICES)
    elif name == "case_id":
        plausible = st.sampled_from(case_ids + ["LQ-00000000000", "PR-270425999999"])
    elif name == "trigger":
        plausible = st.sampled_from(TRIGGERS + ["nosuch"])
    elif name == "kind":
        plausible = st.sampled_from(KINDS + ["nosuch"])
    elif name == "state":
        plausible = st.sampled_from(STATES + ["nosuch"])
    elif name in ("party_id", "agent_id", "surety", "consignee"):
        plausible = st.sampled_from(["bonding", "smith", "nosuch", "Bonding"])
    elif name == "principal":
        plausible = st.sampled_from([f"filer:{IMPORTERS[0]}", "party:bonding", "party:smith",
                                     "party:nosuch", "bonding"])
    elif name == "officer_id":
        plausible = st.sampled_from(["n1", "new.officer", "c007", "C007", "x" * 60])
    elif name == "values":
        plausible = st.builds(lambda k, v: f"{k}={v}", st.sampled_from(INPUTS + ["colour"]),
                              st.one_of(st.sampled_from(["01", "02", "04", "1", "5", "oral",
                                                        "written", "100.00", "true"] + DATES),
                                        ODD)) | st.sampled_from(["reason", "=1", "a=b=c"])
    elif name in ("out", "key", "checkpoint", "public_key", "checkpoint_dir",
                  "checkpoint_key", "out_dir"):
        plausible = st.sampled_from(PATHS)
    elif name in ("demo_db", "db"):
        plausible = st.sampled_from(URLS)
    elif any(word in name for word in ("date", "from", "before", "until", "bulletin", "on",
                                       "now")):
        plausible = st.sampled_from(DATES)
    elif name == "request_id":
        plausible = st.sampled_from(["r1", "r2", "uuid-0001"])
    else:  # names, notes, reasons, rule names, formats
        plausible = st.sampled_from(["x", "Officer", "classification", "deemed_liquidation",
                                     "protest_period", "mermaid"])
    return st.one_of(plausible, plausible, ODD)


@st.composite
def invocations(draw, url: str, case_ids: list[str]) -> list[str]:
    path, command = draw(st.sampled_from(COMMANDS))
    args: list[str] = []
    for param in command.params:
        if isinstance(param, click.Argument) and draw(st.integers(0, 9)):  # mostly given
            args.append(draw(_values_for(param, case_ids)))
    options = [p for p in command.params if isinstance(p, click.Option)]
    if options:
        for option in draw(st.lists(st.sampled_from(options), max_size=5)):  # repeats too
            args.append(draw(st.sampled_from(option.opts)))
            if not option.is_flag:
                args.append(draw(_values_for(option, case_ids)))
    if not draw(st.integers(0, 7)):  # a stray token: an unknown option, a spare argument
        args.insert(draw(st.integers(0, len(args))),
                    draw(st.sampled_from(["--nosuch", "-x", "extra", "--", "--help"])))
    head: list[str] = ["--db", draw(st.sampled_from([url] * 30 + URLS))]
    if draw(st.integers(0, 4)):
        head += ["--as", draw(st.sampled_from(ACTORS))]
    if not draw(st.integers(0, 3)):
        head.append("--json")
    if not draw(st.integers(0, 4)):
        head += ["--now", draw(st.one_of(st.sampled_from(DATES), ODD))]
    return [*head, *path, *args]


def _fingerprint(url: str) -> tuple:
    """What a failed command must not have changed: the rows of every table, in summary."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            counts = tuple(connection.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar()
                           for table in ("cee_case", "cee_event", "cee_deadline", "cee_entry",
                                         "cee_officer", "cee_importer", "cee_office",
                                         "cee_request", "cee_serial", "cee_party"))
            return counts + tuple(connection.exec_driver_sql(sql).first() for sql in (
                "SELECT max(seq) FROM cee_event",
                "SELECT sum(version), sum(escalation), sum(event_count) FROM cee_case",
                "SELECT count(*), sum(level) FROM cee_deadline WHERE status = 'pending'"))
    finally:
        engine.dispose()


@pytest.fixture(scope="module", params=["sqlite",
                                        pytest.param("postgresql", marks=pytest.mark.postgres)])
def fuzz_db(request, tmp_path_factory):
    """A seeded simulation database: the cast's people, entries in several states, a protest,
    a PSC and a prior disclosure — so that plausible invocations reach the rules."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'fuzz.db'}"
        Engine(url).upgrade(simulation=True)
    else:
        url = request.getfixturevalue("postgres_url")
        reset_postgres(url)
    from conftest import eastern

    clock = SettableClock(eastern("2025-01-06"))
    engine = Engine(url, clock=clock)
    cast = Cast(engine, clock)
    cast.party("bonding", "surety")
    cast.party("smith", "agent")
    liquidated = cast.liquidated(surety="bonding")
    open_entry = cast.entry()
    cast.entry(importer=Cast.ZETA)
    cast.at("2025-03-03")
    engine.open_case("protest", actor=cast.actor(f"filer:{Cast.ACME}"),
                     entries=list(liquidated.entries), reason="classification")
    engine.open_case("psc", actor=cast.actor(f"filer:{Cast.ACME}"),
                     entries=list(open_entry.entries), reason="value")
    engine.open_case("prior_disclosure", actor=cast.actor(f"filer:{Cast.ACME}"),
                     importer=Cast.ACME, port="2704", form="written")
    engine.add_entry(entry_number(5), importer=Cast.BETA, port="3901",
                     entry_date=date(2025, 3, 3), actor=cast.actor("p3901"))
    engine.close()
    yield url
    engine = Engine(url)
    try:
        report = engine.verify_audit()
        assert report.ok, report.broken  # no case changed without an event
    finally:
        engine.close()


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz-files")


def test_fuzz_the_whole_cli_no_surprise(fuzz_db, scratch):
    case_ids = _case_ids(fuzz_db)
    env = {"CEE_DATABASE_URL": None, "CEE_ACTOR": None,
           "XDG_DATA_HOME": str(scratch / "data"), "CEE_SQLITE_BUSY_TIMEOUT_MS": "2000"}
    real_story, real_blocking = demo._story, scheduler.run_blocking
    real_follow, real_run = stream.follow, relay.Relay.run
    demo._story = lambda *args: None
    scheduler.run_blocking = _sweep_once
    stream.follow = _read_once
    relay.Relay.run = lambda self, once=False: real_run(self, once=True)
    cwd = os.getcwd()
    os.chdir(scratch)
    try:
        _fuzz(fuzz_db, case_ids, env)
    finally:
        os.chdir(cwd)
        demo._story, scheduler.run_blocking = real_story, real_blocking
        stream.follow, relay.Relay.run = real_follow, real_run


def _read_once(db, url, after=None, *, kinds=None, **_):
    """`events tail --follow` cut short: what is committed, then the end (it follows forever)."""
    page = stream.read_page(db, after, limit=100, kinds=kinds)
    yield from page.events


def _sweep_once(engine, interval, checkpoints=None, **_):
    if checkpoints is not None:
        checkpoints.check()
    engine.sweep()


def _fuzz(url: str, case_ids: list[str], env: dict) -> None:
    runner = CliRunner()

    @settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
              suppress_health_check=list(HealthCheck), print_blob=False)
    @given(argv=invocations(url, case_ids))
    def one(argv):
        before = _fingerprint(url)
        result = runner.invoke(cee, argv, env=env, catch_exceptions=True)
        output = result.output
        assert result.exception is None or isinstance(result.exception, SystemExit), (
            argv, output, repr(result.exception))
        assert 0 <= result.exit_code <= 6, (argv, result.exit_code, output)
        for sign in ("error: unexpected", "Traceback", "the database refused"):
            assert sign not in output, (argv, output)
        if result.exit_code != 0:
            assert _fingerprint(url) == before, ("a failed command wrote", argv, output)

    one()
