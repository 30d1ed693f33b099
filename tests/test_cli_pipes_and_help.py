"""The command line as a shell user meets it: output piped into a reader that stops early
(`cee authority | head`), and the help of `cee case open`, which serves three kinds of case.

Real subprocesses, as in tests/test_cli.py; nothing here opens a database.
"""

from __future__ import annotations

import subprocess

import pytest

pytest.register_assert_rewrite("cli_harness")
from cli_harness import COMMAND, TIMEOUT, _base_env, cee, isolated_environment  # noqa: E402

EXIT_CLOSED_PIPE = 1  # click's convention for a reader that went away: quiet, exit 1


@pytest.fixture(scope="session", autouse=True)
def _isolated_env(tmp_path_factory):
    yield from isolated_environment(tmp_path_factory)


@pytest.fixture
def no_database(tmp_path) -> str:
    """A --db whose directory does not exist: any attempt to open it would fail."""
    return f"sqlite:///{tmp_path / 'absent' / 'cee.db'}"


@pytest.mark.parametrize("args", [
    ("authority",),
    ("lifecycle", "show", "protest", "--format", "mermaid"),
    ("--json", "authority"),
])
def test_a_reader_that_stops_early_ends_the_command_quietly(no_database, args):
    # The reader closes its end before `cee` writes a byte (starting takes a tenth of a
    # second), so every write meets a closed pipe, as with `cee authority | head -1`.
    process = subprocess.Popen([*COMMAND, "--db", no_database, *args], env=_base_env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process.stdout.close()
    stderr = process.stderr.read().decode()
    process.stderr.close()
    assert process.wait(timeout=TIMEOUT) == EXIT_CLOSED_PIPE
    assert stderr == ""


def test_a_shell_pipeline_into_head_prints_no_error(no_database):
    command = " ".join([*COMMAND, "--db", no_database, "authority", "|", "head", "-1"])
    done = subprocess.run(["bash", "-c", command], env=_base_env, capture_output=True,
                          text=True, timeout=TIMEOUT)
    assert done.stdout.split()[:2] == ["entry_summary_processing", "CENTER"]
    assert done.stderr == ""


def test_case_open_help_says_which_options_belong_to_which_kind(no_database):
    stdout, _ = cee("case", "open", "--help", db=no_database)
    text = " ".join(stdout.split())
    for kind in ("protest", "psc", "prior_disclosure"):
        assert kind in text
    assert "--exclusion Protest only:" in text
    assert "--further-review Protest only:" in text
    assert "--reason TEXT A protest: what is protested and why; a PSC: what it corrects." in text
    assert "--importer NUMBER A prior disclosure naming no entry: the importer" in text
    assert "--note TEXT Recorded on the event." in text
    assert "form=oral" in text  # a prior disclosure's required --set


def test_entry_review_takes_start_or_finish_not_both(no_database):
    _, stderr = cee("entry", "review", "112-7296677-8", "--start", "--finish",
                    db=no_database, expect=2)
    assert "one of --start or --finish" in stderr
