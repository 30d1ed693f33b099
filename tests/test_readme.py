"""The README's quick start is what CI runs."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def quick_start_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    section = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.+?)\n```", section)


def test_quick_start_is_two_commands_demo_then_tests():
    commands = quick_start_commands()
    assert len(commands) == 2
    assert commands[0].endswith("cee demo")
    assert "pytest" in commands[1] and ".[test]" in commands[1]


def test_ci_runs_the_readme_test_command_verbatim():
    ci = (ROOT / ".ci" / "run").read_text()
    assert quick_start_commands()[1] in ci
    assert "CEE_TEST_DATABASE_URL" in ci and "SKIPPED.*PostgreSQL" in ci


# --- the generated blocks: lifecycle diagrams and the authority matrix -----------------------


def test_readme_diagrams_and_matrix_are_what_the_code_generates():
    from cee_workflow.workflow.readme import stale_blocks

    assert stale_blocks((ROOT / "README.md").read_text()) == [], (
        "regenerate them: python -m cee_workflow.workflow.readme")


def test_every_registered_lifecycle_has_its_diagram_in_the_readme():
    from cee_workflow.states import LIFECYCLES
    from cee_workflow.workflow.diagrams import render

    text = (ROOT / "README.md").read_text()
    for kind in LIFECYCLES:
        block = f"<!-- lifecycle:{kind} -->\n```mermaid\n{render(kind, 'mermaid')}```\n"
        assert block in text, kind
    section = text.split("## Lifecycle diagrams", 1)[1].split("\n## ", 1)[0]
    assert section.count("```mermaid") == len(LIFECYCLES)


def test_a_stale_or_missing_block_is_named_and_regeneration_restores_it():
    from cee_workflow.workflow.readme import lifecycle_block, regenerate, stale_blocks

    text = (ROOT / "README.md").read_text()
    edited = text.replace("  final --> [*]\n", "  final --> final\n", 1)
    edited = edited.replace("\n" + lifecycle_block("protest"), "")
    edited = edited.replace("| **drawback**", "| **draw-back**")
    assert stale_blocks(edited) == ["lifecycle:protest is missing", "lifecycle:liquidation is "
                                    "stale", "authority-matrix is stale"]
    assert regenerate(edited) == text
    retired = text.replace("<!-- lifecycle:protest -->", "<!-- lifecycle:retired -->")
    assert stale_blocks(retired) == ["lifecycle:protest is missing",
                                     "lifecycle:retired names no registered lifecycle"]
