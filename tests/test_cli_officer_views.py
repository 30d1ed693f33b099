"""The officer's command line (issue #13), end to end in a real `cee` subprocess, continued from
tests/test_cli_officer.py: the work queue of a port officer, a center officer and a filer, and
blocked deadlines; tables at 80 and 200 columns on a real terminal (a pty) and tab-separated when
piped; the lists of officers, importers and entries; the demo's closing hint run as printed.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess

import pytest

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
)
from test_cli_officer import ANSI, BETA, on_terminal, story, visible_width  # noqa: E402, F401


@pytest.fixture(scope="session", autouse=True)
def _isolated_env(tmp_path_factory):
    yield from isolated_environment(tmp_path_factory)


# --- 6. the work queue and blocked deadlines --------------------------------------------------


def test_the_queue_of_a_center_officer_a_port_officer_and_a_filer(story):  # noqa: F811
    db, lq, pr, other = story["db"], story["lq"], story["pr"], story["other"]
    calls = [Call(("queue",), db, actor=who, now="2025-03-04", json=True)
             for who in ("c007", "p2704", f"filer:{ACME}", "c005", "p3901")]
    center, port, filer, other_center, other_port = (json.loads(o) for o, _ in cee_many(calls))
    # Nearest legal deadline first: the liquidation's finality (2025-08-06) before the
    # protest's two-year decision limit (2027-03-03).
    assert [i["case"] for i in center] == [lq, pr]
    assert center[0]["triggers"] == ["reliquidate"] and center[0]["deadline"] == "finalization"
    assert center[0]["last_day"] == "2025-08-06" and center[0]["level"] == 0
    # The port: the protest to accept, and its open entries whose merchandise it may record
    # as presented for examination (19 U.S.C. 1499(c)(5)(A)).
    assert [(i["case"], i["triggers"]) for i in port if i["kind"] == "protest"] == [
        (pr, ["accept"])]
    assert all(i["triggers"] == ["present_for_examination"] for i in port
               if i["kind"] == "liquidation")
    assert [i["case"] for i in filer] == [pr]
    assert set(filer[0]["triggers"]) >= {"withdraw", "amend"}
    assert [i["case"] for i in other_center] == [other]
    assert other_port == []
    out, _ = cee("queue", db=db, actor="c007", now="2025-03-04")
    header, first, second = (line.split("\t") for line in out.splitlines())
    assert header[:7] == ["case", "kind", "state", "may now", "deadline", "last day",
                          "days left"]
    assert (first[0], first[6], second[0], second[6]) == (lq, "155", pr, "729")
    cee("queue", db=db, expect=4)  # nobody acting: say who with --as


def test_blocked_deadlines_stay_in_view_with_their_reason(story):  # noqa: F811
    db, lq, pr = story["db"], story["lq"], story["pr"]
    swept = cee_json("deadlines", "sweep", db=db, now="2025-08-07")
    assert [b.split(":")[0] for b in swept["blocked"]] == [f"{lq} finalize"]
    (blocked, _), (overdue, _), (deadlines, _), (plain, _) = cee_many([
        Call(("case", "list", "--blocked"), db, json=True, now="2025-08-07"),
        Call(("case", "list", "--overdue"), db, json=True, now="2025-08-07"),
        Call(("deadlines", "list"), db, json=True, now="2025-08-07"),
        Call(("deadlines", "list", "--kind", "legal"), db, now="2025-08-07"),
    ])
    assert [c["id"] for c in json.loads(blocked)] == [lq]
    assert "protest" in json.loads(blocked)[0]["blocked"]
    assert lq in [c["id"] for c in json.loads(overdue)]
    row = next(d for d in json.loads(deadlines) if d["case_id"] == lq)
    assert row["status"] == "blocked" and "protest" in row["reason"] and "(19 " in row["reason"]
    header, *rows = (line.split("\t") for line in plain.splitlines())
    line = next(r for r in rows if r[0] == lq)
    assert line[header.index("status")] == "blocked" and line[header.index("days left")] == \
        "-1 (past)"
    # The protest allowed: the entry is reliquidated, its blocked finality is no longer listed.
    cee("case", "advance", pr, "accept", db=db, actor="p2704", now="2025-08-08")
    cee("case", "advance", pr, "allow", db=db, actor="c007", now="2025-08-08")
    assert cee_json("case", "list", "--blocked", db=db, now="2025-08-08") == []


# --- 7. output that fits ----------------------------------------------------------------------


def test_tables_fit_80_and_200_columns_and_pipe_as_tab_separated(story):  # noqa: F811
    db, lq = story["db"], story["lq"]
    args = ("--db", db, "--as", "c007", "--now", "2025-03-04", "case", "show", lq)
    code, narrow, _ = on_terminal(*args, columns=80)
    assert code == 0 and visible_width(narrow) <= 80, narrow
    code, broad, _ = on_terminal(*args, columns=200)
    assert code == 0 and 80 < visible_width(broad) <= 200

    def deadlines_header(text: str) -> list[str]:
        return ANSI.sub("", text).split("Deadlines\n")[1].splitlines()[0].split()

    # 200 columns: every column of the deadlines, with the instant in Eastern time; 80: the
    # optional ones (rule, action, due) left out, the legal date and days left kept.
    assert deadlines_header(broad)[-1] == "rule" and "EST" in ANSI.sub("", broad)
    assert "rule" not in deadlines_header(narrow)
    assert {"last", "days", "left"} <= set(deadlines_header(narrow))
    code, wide, _ = on_terminal(*args, "--wide", columns=80)
    assert code == 0 and visible_width(wide) <= 80
    deadlines = ANSI.sub("", wide).split("Deadlines\n")[1].split("Available to")[0]
    assert "rule" in deadlines.split(), "--wide: every column, wrapped"
    code, queue, _ = on_terminal("--db", db, "--as", "c007", "--now", "2025-03-04", "queue",
                                 columns=80)
    assert code == 0 and visible_width(queue) <= 80 and lq in queue
    piped, _ = cee("case", "show", lq, db=db, actor="c007", now="2025-03-04")
    history = piped.split("History\n")[1].split("\n\n")[0].splitlines()
    assert history[0].split("\t") == ["#", "at (ET)", "legal date", "actor", "authority",
                                      "trigger", "from", "to", "note"]
    assert history[1].split("\t")[1] == "2025-01-06 10:00 EST"  # the cast's 10:00 Eastern


def test_officer_importer_and_entry_lists(story):  # noqa: F811
    db, entry, lq, pr = story["db"], story["entry"], story["lq"], story["pr"]
    (officers, _), (center, _), (importers, _), (entries, _), (shown, _) = cee_many([
        Call(("officer", "list"), db, json=True),
        Call(("officer", "list", "--center", "007"), db, json=True),
        Call(("importer", "list", "--center", "005"), db, json=True),
        Call(("entry", "list", "--importer", ACME), db, json=True),
        Call(("entry", "show", entry.replace("-", "")), db, json=True),
    ])
    assert {o["id"] for o in json.loads(officers)} >= {"c007", "p2704", "p2704-fpf"}
    assert {o["id"] for o in json.loads(center)} == {"c007", "c007-sup"}
    assert [i["number"] for i in json.loads(importers)] == [BETA]
    assert [e["number"] for e in json.loads(entries)] == [entry]
    document = json.loads(shown)
    assert document["number"] == entry and document["port"] == "2704"
    assert {c["id"] for c in document["cases"]} == {lq, pr}
    cee("entry", "show", "112-9999999-9", db=db, expect=2)


# --- 8. the quick start's story ---------------------------------------------------------------


def test_the_demos_closing_hint_runs_as_printed_and_the_demo_directory_is_reused():
    first, _ = cee("demo", db=None)
    hint = first.rstrip().splitlines()[-1]
    assert hint.startswith("Look around:  ")
    argv = shlex.split(hint.removeprefix("Look around:  "))
    assert os.path.isabs(argv[0]) or argv[0] == COMMAND[0]
    done = subprocess.run(argv, capture_output=True, text=True, env=_base_env,
                          timeout=TIMEOUT, cwd="/")
    assert done.returncode == 0 and "LQ-" in done.stdout, done.stderr
    second, _ = cee("demo", db=None)
    assert second.rstrip().splitlines()[-1] == hint, "the demo reuses its one directory"
    folder = os.path.join(_base_env["TMPDIR"], "cee-demo")
    assert sorted(os.listdir(folder))[0] == "demo.db"
    assert not [d for d in os.listdir(_base_env["TMPDIR"]) if d.startswith("cee-demo-")]
