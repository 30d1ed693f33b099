"""The officer's command line (issue #13), end to end in a real `cee` subprocess.

Flags before or after the subcommand, `--version`, `--expect-version`, `--jsonl`, completion,
NO_COLOR; forgiving ids and names with "did you mean"; every trigger's inputs; a distinct error
for each way a database is wrong and `db status`; filters checked against the registry. The work
queue, blocked deadlines, tables that fit, the lists and the demo's hint:
tests/test_cli_officer_views.py.
"""

from __future__ import annotations

import json
import os
import pty
import re
import sqlite3
import subprocess

import pytest
import sqlalchemy as sa

pytest.register_assert_rewrite("cli_harness")
from cli_harness import (  # noqa: E402
    ACME,
    COMMAND,
    TIMEOUT,
    Call,
    _base_env,
    cee,
    cee_json,
    cee_many,
    isolated_environment,
    real_database,
)

BETA = "11-1111111AA"
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


@pytest.fixture(scope="session", autouse=True)
def _isolated_env(tmp_path_factory):
    yield from isolated_environment(tmp_path_factory)


@pytest.fixture
def story(db_url, cast):
    """An entry liquidated on 2025-02-07 (center 007), a protest of it filed on 2025-03-03
    (port 2704), and an unliquidated entry of center 005's importer."""
    liquidated = cast.liquidated()
    cast.at("2025-03-03")
    protest = cast.engine.open_case("protest", actor=cast.actor(f"filer:{ACME}"),
                                    entries=[liquidated.entries[0]])
    other = cast.entry(importer=BETA)
    return {"db": db_url, "lq": liquidated.id, "pr": protest.id, "other": other.id,
            "entry": liquidated.entries[0]}


def on_terminal(*args: str, columns: int, env: dict[str, str] | None = None
                ) -> tuple[int, str, str]:
    """Run cee with stdout on a pseudo-terminal COLUMNS wide: (exit code, stdout, stderr)."""
    master, slave = pty.openpty()
    process = subprocess.Popen([*COMMAND, *args], stdout=slave, stderr=subprocess.PIPE,
                               stdin=subprocess.DEVNULL,
                               env={**_base_env, "COLUMNS": str(columns), **(env or {})})
    os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    process.wait(timeout=TIMEOUT)
    os.close(master)
    stderr = process.stderr.read().decode()
    process.stderr.close()
    return process.returncode, b"".join(chunks).decode().replace("\r\n", "\n"), stderr


def visible_width(text: str) -> int:
    return max((len(ANSI.sub("", line)) for line in text.splitlines()), default=0)


# --- 1. global options anywhere, --version, --expect-version, --jsonl, completion ----------


def test_global_options_before_or_after_the_subcommand(story):
    db, lq = story["db"], story["lq"]
    before, after, mixed, shown = cee_many([
        Call(("case", "list"), db, json=True),
        Call(("case", "list", "--json", "--db", db), None),
        Call(("case", "list", "--db", db, "--json"), "sqlite:////nonexistent/dir/x.db"),
        Call(("case", "show", lq, "--as", "c007", "--now", "2025-03-04", "--json"), db),
    ])
    assert json.loads(before[0]) == json.loads(after[0]) == json.loads(mixed[0])
    assert {c["id"] for c in json.loads(before[0])} == {lq, story["pr"], story["other"]}
    assert "reliquidate" in {a["trigger"] for a in json.loads(shown[0])["available"]}


def test_version_expect_version_and_the_deprecated_spelling(story):
    out, _ = cee("--version", db=None)
    assert re.fullmatch(r"cee \d+\.\d+\.\d+\S*\n", out)
    db, other = story["db"], story["other"]
    _, err = cee("case", "advance", other, "start_summary_review", "--expect-version", "7",
                 db=db, actor="c005", now="2025-03-04", expect=6)
    assert "changed since you read it" in err
    done = subprocess.run([*COMMAND, "--db", db, "--as", "c005", "--now", "2025-03-04", "case",
                           "advance", other, "start_summary_review", "--version", "1"],
                          capture_output=True, text=True, env=_base_env, timeout=TIMEOUT)
    assert done.returncode == 0, done.stderr
    assert done.stderr.startswith("warning: `case advance --version N` is deprecated")
    assert "--expect-version" in done.stderr and "summary under CBP review" not in done.stderr


def test_jsonl_prints_one_document_per_row(story):
    out, _ = cee("case", "list", "--jsonl", db=story["db"])
    rows = [json.loads(line) for line in out.splitlines()]
    assert sorted(r["id"] for r in rows) == sorted([story["lq"], story["pr"], story["other"]])


def test_completion_scripts_and_completion_itself():
    bash, zsh, fish = (cee("completion", shell, db=None)[0] for shell in ("bash", "zsh", "fish"))
    assert "_CEE_COMPLETE=bash_complete" in bash and "complete " in bash
    assert "_CEE_COMPLETE=zsh_complete" in zsh and "compdef" in zsh
    assert "_CEE_COMPLETE=fish_complete" in fish
    done = subprocess.run(COMMAND, capture_output=True, text=True, timeout=TIMEOUT, env={
        **_base_env, "_CEE_COMPLETE": "bash_complete", "COMP_WORDS": "cee ca",
        "COMP_CWORD": "1"})
    assert "plain,case" in done.stdout.split("\n")
    cee("completion", "tcsh", db=None, expect=2)


def test_no_color_is_respected_on_a_terminal(story):
    code, styled, _ = on_terminal("--db", story["db"], "case", "list", columns=120)
    assert code == 0 and ANSI.search(styled), "a terminal gets a styled table"
    code, plain, _ = on_terminal("--db", story["db"], "case", "list", columns=120,
                                 env={"NO_COLOR": "1"})
    assert code == 0 and not ANSI.search(plain), plain
    assert story["lq"] in plain


# --- 2. forgiving, exact matching ------------------------------------------------------------


def test_ids_kinds_triggers_and_choices_are_matched_forgivingly(story):
    db, lq, pr, other = story["db"], story["lq"], story["pr"], story["other"]
    digits = lq.split("-")[1]
    (a, _), (b, _), (c, _), (d, _), (e, _) = cee_many([
        Call(("case", "show", lq.lower()), db, json=True),
        Call(("case", "show", f"lq{digits}"), db, json=True),
        Call(("case", "show", f"Lq-{digits[:4]}-{digits[4:]}"), db, json=True),
        Call(("case", "list", "--kind", "Protest", "--state", "FILED"), db, json=True),
        Call(("lifecycle", "show", "Prior-Disclosure"), None, json=True),
    ])
    assert json.loads(a)["id"] == json.loads(b)["id"] == json.loads(c)["id"] == lq
    assert [x["id"] for x in json.loads(d)] == [pr]
    assert json.loads(e)["kind"] == "prior_disclosure"
    advanced = cee_json("case", "advance", other.lower(), "Start-Summary-Review", db=db,
                        actor="C005", now="2025-03-04")
    assert advanced["id"] == other and advanced["version"] == 2
    opened = cee_json("importer", "add", "22-2222222BB", "--name", "Gamma", "--center", "007",
                      "--trusted", "CTPAT", db=db)
    assert opened["trusted"] == ["ctpat"]


def test_unknown_names_get_did_you_mean_and_the_valid_values(story):
    db, lq = story["db"], story["lq"]
    results = cee_many([
        Call(("caes", "list"), db, expect=2),
        Call(("case", "lsit"), db, expect=2),
        Call(("case", "advance", lq, "reliqudate"), db, actor="c007", now="2025-03-04",
             expect=2),
        Call(("case", "list", "--state", "fild"), db, expect=2),
        Call(("case", "list", "--kind", "protset"), db, expect=2),
        Call(("case", "open", "protst", "--entry", story["entry"]), db, actor=f"filer:{ACME}",
             expect=2),
        Call(("lifecycle", "show", "protset"), None, expect=2),
        Call(("case", "show", lq), db, actor="c07", now="2025-03-04", expect=2),
    ])
    (cmd, sub, trigger, state, kind, open_kind, lifecycle, officer) = (e for _, e in results)
    assert "did you mean case" in cmd and "commands: " in cmd and "lifecycle" in cmd
    assert "did you mean list" in sub and "show" in sub
    assert "did you mean reliquidate" in trigger and "triggers: " in trigger
    assert "did you mean filed" in state and "states: " in state
    assert "did you mean protest" in kind and "liquidation" in kind
    assert "did you mean protest" in open_kind
    assert "did you mean protest" in lifecycle and "lifecycles: " in lifecycle
    assert "did you mean c007" in officer and "officers: " in officer


# --- 3. discoverable inputs -------------------------------------------------------------------


def test_lifecycle_show_lists_every_triggers_inputs():
    out, _ = cee("lifecycle", "show", "liquidation", db=None)
    inputs = out.split("Inputs (cee case advance CASE TRIGGER --set NAME=VALUE)")[1]
    header, *rows = (line.split("\t") for line in inputs.strip().splitlines())
    assert header == ["trigger", "who", "input", "type", "required", "default", "meaning",
                      "rule"]
    extend_reason = next(r for r in rows if r[:3] == ["extend", "CENTER", "reason"])
    assert extend_reason[3] == "choice 01|02|03" and extend_reason[4] == "yes"
    assert "19 U.S.C. 1504(b)" in extend_reason[7]
    document = cee_json("lifecycle", "show", "protest", db=None)
    allow = next(t for t in document["inputs"] if t["trigger"] == "allow")
    assert allow["inputs"][0]["name"] == "decided_on" and allow["inputs"][0]["type"] == "date"


def test_help_trigger_shows_one_triggers_inputs_and_who_may_take_it(story):
    db, lq = story["db"], story["lq"]
    (may, _), (may_not, _), (document, _) = cee_many([
        Call(("case", "advance", lq, "--help-trigger", "reliquidate"), db, actor="c007",
             now="2025-03-04"),
        Call(("case", "advance", lq, "--help-trigger", "reliquidate"), db, actor="p2704",
             now="2025-03-04"),
        Call(("case", "advance", lq, "--help-trigger", "extend"), db, json=True),
    ])
    assert "reliquidate: liquidated" in may and "(from here)" in may
    assert "c007 may take it now" in may
    assert "p2704 may not:" in may_not
    extend = json.loads(document)
    assert extend["state"] == "liquidated" and extend["transitions"][0]["who"] == "CENTER"
    assert {i["name"] for i in extend["transitions"][0]["inputs"]} >= {"reason"}


def test_every_help_page_ends_with_examples():
    from cee_workflow.cli import cee as root
    from cee_workflow.commands import walk

    missing = [path for path, command in walk(root) if "Examples:" not in (command.epilog or "")]
    assert missing == []
    outs = cee_many([Call((*path.split()[1:], "--help"), None) for path in (
        "cee case advance", "cee queue", "cee db status", "cee entry list")])
    advance = outs[0][0]
    assert "Triggers by kind" in advance and "request_accelerated_disposition" in advance
    for out, _ in outs:
        tail = out.rstrip().splitlines()
        assert any(line.strip() == "Examples:" for line in tail), out
        assert tail[-1].strip().endswith("after the command."), out


# --- 4. honest diagnoses ----------------------------------------------------------------------


def test_each_way_a_sqlite_database_is_wrong_has_its_own_error(tmp_path):
    no_dir = tmp_path / "no-such-dir" / "cee.db"
    no_file = tmp_path / "typo.db"
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).close()
    old = tmp_path / "old.db"
    newer = tmp_path / "newer.db"
    for path, revision in ((old, "0003"), (newer, "9999")):
        real_database(path)
        with sqlite3.connect(path) as connection:
            connection.execute("UPDATE cee_alembic_version SET version_num = ?", (revision,))
        connection.close()
    results = cee_many([
        Call(("case", "list"), f"sqlite:///{no_dir}", expect=3),
        Call(("case", "show", "LQ-11200000013"), f"sqlite:///{no_file}", expect=3),
        Call(("office", "add", "2799", "--kind", "port", "--name", "X"), f"sqlite:///{no_file}",
             expect=3),
        Call(("case", "list"), f"sqlite:///{empty}", expect=2),
        Call(("case", "list"), f"sqlite:///{old}", expect=2),
        Call(("case", "list"), f"sqlite:///{newer}", expect=2),
    ])
    (d, f, w, e, o, n) = (err for _, err in results)
    assert d.startswith(f"error: database directory {no_dir.parent} not found")
    assert f.startswith(f"error: database file {no_file} not found") and w == f
    assert not no_file.exists(), "a read (or a write) created the mistyped database file"
    assert "has no cee schema" in e
    assert "is at an old schema (0003" in o and "`cee db upgrade`" in o
    assert "is at schema 9999" in n and "newer cee" in n
    assert len({d, f, e, o, n}) == 5


@pytest.mark.postgres
def test_an_unreachable_server_a_missing_database_and_a_refused_login(postgres_url):
    url = sa.make_url(postgres_url)
    unreachable = url.set(port=1).render_as_string(hide_password=False)
    missing = url.set(database="cee_no_such_database").render_as_string(hide_password=False)
    (_, refused), (_, absent) = cee_many([
        Call(("case", "list"), unreachable, expect=1),
        Call(("case", "list"), missing, expect=3),
    ])
    assert refused.startswith("error: cannot reach the database server 127.0.0.1:1 ")
    assert len(refused.splitlines()) == 1 and "has no cee schema" not in refused
    assert absent.startswith("error: database cee_no_such_database not found; the server ")
    assert "createdb cee_no_such_database" in absent


@pytest.mark.postgres
def test_db_status_on_postgresql_hides_the_password(postgres_url):
    with_password = sa.make_url(postgres_url).set(password="hunter2").render_as_string(
        hide_password=False)
    status = cee_json("db", "status", db=with_password)
    assert "hunter2" not in json.dumps(status) and "***" in status["database"]
    assert status["revision"] == status["expected"] and status["simulation"] is True


def test_db_status_counts_rows_and_creates_nothing(tmp_path):
    real = real_database(tmp_path / "real.db")
    status = cee_json("db", "status", db=real)
    assert status["database"] == real and status["simulation"] is False
    assert status["revision"] == status["expected"]
    assert (status["rows"]["cee_officer"], status["rows"]["cee_case"],
            status["rows"]["cee_event"]) == (1, 1, 1)
    out, _ = cee("db", "status", db=real)
    assert out.splitlines()[2] == "kind       real"
    cee("db", "status", db=f"sqlite:///{tmp_path / 'nothing.db'}", expect=3)
    assert not (tmp_path / "nothing.db").exists()


# --- 5. filters checked against the registry --------------------------------------------------


def test_a_mistyped_filter_is_an_error_not_an_empty_list(story):
    db = story["db"]
    results = cee_many([
        Call(("case", "list", "--center", "7"), db, expect=2),
        Call(("case", "list", "--port", "27O4"), db, expect=2),
        Call(("deadlines", "list", "--center", "07"), db, expect=2),
        Call(("officer", "list", "--port", "9999"), db, expect=2),
        Call(("deadlines", "forecast", "--until", "2026-01-01", "--center", "11"), db,
             expect=2),
    ])
    center, port, deadline, officer, forecast = (e for _, e in results)
    assert "--center 7: no center has that code" in center and "known centers: 001" in center
    assert "did you mean 2704" in port and "known ports: " in port
    assert "did you mean 007" in deadline
    assert "--port 9999" in officer and "--center 11" in forecast
