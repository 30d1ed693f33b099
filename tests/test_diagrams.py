"""Lifecycle diagrams (workflow/diagrams): every state, transition, authority and timer of each
registered lifecycle in each format; mermaid that mermaid's state-diagram grammar accepts; and
`cee lifecycle list|show` in a real subprocess, without a database.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cee_workflow.states import LIFECYCLES
from cee_workflow.states.base import STAY
from cee_workflow.states.matrix import function_for
from cee_workflow.workflow.diagrams import FORMATS, extract, render, summaries

pytest.register_assert_rewrite("cli_harness")
from cli_harness import cee, cee_json, isolated_environment  # noqa: E402

KINDS = list(LIFECYCLES)


def edges_of(kind: str) -> list[tuple[str, str, str, str]]:
    """(source, dest, trigger, who) of every transition, straight from the rulebook."""
    return [(source, source if spec.dest == STAY else spec.dest, spec.trigger, spec.who)
            for spec in LIFECYCLES[kind].transitions for source in spec.sources]


# --- mermaid: what stateDiagram.jison accepts -------------------------------------------------

STATE_ID = r"[^:\s\-{]+"  # the lexer's ID: no colon, space, hyphen or brace
# The lexer is case-insensitive (transitions writes `Class x s_default`).
MERMAID_LINE = [re.compile(p, re.IGNORECASE) for p in (
    r"direction (LR|TB)",
    r"classDef \w+ [\w:,#-]+",
    rf"class {STATE_ID} \w+",
    rf'state "[^"]*" as {STATE_ID}',
    rf"({STATE_ID}|\[\*\]) --> ({STATE_ID}|\[\*\])(: [^:;#\n]+)?",  # DESCR is ":"[^:\n;]+
    rf"note (right|left) of {STATE_ID}",
)]


def mermaid_statements(source: str) -> tuple[list[str], dict[str, list[str]]]:
    """The statements after the header, and each note's lines by state; fails on what the
    grammar would not take."""
    lines = source.splitlines()
    assert lines[:4] == ["---", f"title: {lines[1].removeprefix('title: ')}", "---",
                         "stateDiagram-v2"], lines[:4]
    statements, notes, note_of = [], {}, None
    for line in lines[4:]:
        text = line.strip()
        if note_of is not None:
            if text == "end note":
                note_of = None
            else:
                notes[note_of].append(text)
            continue
        if not text:
            continue
        assert any(p.fullmatch(text) for p in MERMAID_LINE), f"not mermaid: {line!r}"
        if text.startswith("note "):
            note_of = text.split()[-1]
            notes[note_of] = []
        statements.append(text)
    assert note_of is None, f"note on {note_of} never ends"
    return statements, notes


@pytest.mark.parametrize("kind", KINDS)
def test_mermaid_is_a_state_diagram_with_every_state_transition_and_authority(kind):
    lifecycle = LIFECYCLES[kind]
    statements, _ = mermaid_statements(render(kind, "mermaid"))
    declared = {m.group(1) for s in statements if (m := re.fullmatch(r'state "[^"]*" as (\S+)', s))}
    assert declared == set(lifecycle.state_names)
    labels: dict[tuple[str, str], list[str]] = {}
    for s in statements:
        if m := re.fullmatch(r"(\S+) --> (\S+): (.+)", s):
            labels[(m.group(1), m.group(2))] = m.group(3).split(" | ")
    for source, dest, trigger, who in edges_of(kind):
        assert f"{trigger} [{who}]" in labels.get((source, dest), []), (source, dest, trigger)
    drawn = sum(len(v) for v in labels.values())
    assert drawn == len({(s, d, t) for s, d, t, _ in edges_of(kind)})  # nothing else drawn
    assert f"[*] --> {lifecycle.initial}" in statements
    terminals = {s.name for s in lifecycle.states if s.terminal}
    assert {s.split()[0] for s in statements if s.endswith("--> [*]")} == terminals


@pytest.mark.parametrize("kind", KINDS)
def test_mermaid_notes_give_each_states_timers_with_period_action_and_citation(kind):
    _, notes = mermaid_statements(render(kind, "mermaid"))
    graph = extract(kind)
    for state in graph.states:
        expected = [line for t in state.timers for line in (
            f"{t.name} ({t.kind}): {t.when}, then {t.outcome}", t.citation)]
        assert notes.get(state.name, []) == expected, state.name


def test_timer_periods_read_as_the_rule_parameters_set_them():
    liquidation = {s.name: s for s in extract("liquidation").states}
    _, auto, _exclusion = liquidation["unliquidated"].timers
    assert (auto.when, auto.outcome) == ("entry_date + 314 days, due that day", "auto_schedule")
    protest = {s.name: s for s in extract("protest").states}
    decision = protest["filed"].timers[0]
    # 174.21(a): from the last filing of a consolidated protest (its own filing when alone).
    assert (decision.when, decision.outcome) == ("review_from + 2 years, due the day after",
                                                 "escalate")
    assert protest["denied"].timers[0].when == (
        "summons_from + 180 days, rolled to the next business day, due the day after")


# --- text and dot -----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_text_lists_every_state_with_its_timers_and_every_transition_with_who_and_rule(kind):
    lines = render(kind, "text").splitlines()
    lifecycle = LIFECYCLES[kind]
    for state in lifecycle.states:
        (at,) = [i for i, line in enumerate(lines) if re.match(rf"  {state.name}( \(|:)", line)]
        timer_lines = [line.strip() for line in lines[at + 1:at + 1 + 2 * len(state.timers)]]
        for timer, line in zip(state.timers, timer_lines[::2], strict=True):
            assert line.startswith(f"timer {timer.name} ({timer.kind.value}): "), line
        for timer, line in zip(state.timers, timer_lines[1::2], strict=True):
            assert line.endswith(f"— {timer.citation}"), line
    rows = lines[lines.index("Transitions") + 3:]
    expected = [(spec.trigger, f"{s} → {s if spec.dest == STAY else spec.dest}", spec.who,
                 function_for(kind, spec.trigger).key, spec.citation)
                for spec in lifecycle.transitions for s in spec.sources]
    assert len(rows) == len(expected)
    for row, (trigger, move, who, function, citation) in zip(rows, expected, strict=True):
        cells = re.split(r"\s{2,}", row.strip())
        assert cells == [trigger, move, who, function, citation], row


@pytest.mark.parametrize("kind", KINDS)
def test_dot_draws_every_state_and_transition_with_its_authority(kind):
    source = render(kind, "dot")
    lifecycle = LIFECYCLES[kind]
    assert source.startswith(f'digraph "{kind}" {{\n') and source.endswith("}\n")
    for state in lifecycle.states:
        (line,) = [x for x in source.splitlines() if x.startswith(f'  "{state.name}" [label=')]
        assert ("peripheries=2" in line) == state.terminal
        for timer in state.timers:
            assert f"\\l{timer.name} ({timer.kind.value}): " in line
            assert f"\\l  {timer.citation}\\l" in line
    edge_lines = [x.strip() for x in source.splitlines() if " -> " in x and "__start__" not in x]
    assert edge_lines == [f'"{s}" -> "{d}" [label="{t} [{who}]"];'
                          for s, d, t, who in edges_of(kind)]
    assert f'  "__start__" -> "{lifecycle.initial}";' in source.splitlines()


def test_every_format_is_deterministic():
    for kind in KINDS:
        for fmt in FORMATS:
            assert render(kind, fmt) == render(kind, fmt), (kind, fmt)


# --- the command line -------------------------------------------------------------------------


@pytest.fixture(scope="session")
def _isolated_env(tmp_path_factory):
    """As in test_cli: no CEE_* from the caller; user data and temp under pytest's tmp_path."""
    yield from isolated_environment(tmp_path_factory)


@pytest.fixture
def no_database(_isolated_env, tmp_path) -> str:
    """A --db whose directory does not exist: any attempt to open it would fail."""
    return f"sqlite:///{tmp_path / 'absent' / 'cee.db'}"


def test_cee_lifecycle_show_prints_each_format_exactly_and_opens_no_database(no_database):
    for fmt in FORMATS:
        stdout, _ = cee("lifecycle", "show", "protest", "--format", fmt, db=no_database)
        # The text listing is followed by every trigger's inputs (a diagram is only itself).
        drawing, inputs = (stdout.split("\nInputs (", 1) + [""])[:2] if fmt == "text" else (
            stdout, "")
        assert drawing == render("protest", fmt), fmt
        assert inputs.startswith("cee case advance CASE TRIGGER") == (fmt == "text"), fmt
    stdout, _ = cee("lifecycle", "show", "liquidation", db=no_database)  # text by default
    assert stdout.split("\nInputs (", 1)[0] == render("liquidation", "text")
    document = cee_json("lifecycle", "show", "liquidation", "--format", "mermaid",
                        db=no_database)
    assert document["diagram"] == render("liquidation", "mermaid")
    assert [s["name"] for s in document["states"]] == list(LIFECYCLES["liquidation"].state_names)
    assert not Path(no_database.removeprefix("sqlite:///")).parent.exists()


def test_cee_lifecycle_show_refuses_an_unknown_kind_or_format_in_one_line(no_database):
    _, stderr = cee("lifecycle", "show", "drawback", db=no_database, expect=2)
    assert stderr == ("error: no lifecycle is called 'drawback'; lifecycles: "
                      f"{', '.join(KINDS)} (see `cee lifecycle list`)\n")
    _, stderr = cee("lifecycle", "show", "protest", "--format", "svg", db=no_database, expect=2)
    assert "'svg' is not one of 'text', 'mermaid', 'dot'" in stderr


def test_cee_lifecycle_list_gives_kinds_summaries_and_counts(no_database):
    stdout, _ = cee("lifecycle", "list", db=no_database)
    lines = stdout.splitlines()
    assert lines[0].split() == ["kind", "states", "triggers", "transitions", "summary"]
    assert [line.split()[0] for line in lines[1:]] == KINDS  # piped: tab-separated rows
    protest = next(line for line in lines if line.startswith("protest\t"))
    assert protest.split()[1:4] == ["11", "19", "49"]
    assert protest.endswith(LIFECYCLES["protest"].summary)
    assert cee_json("lifecycle", "list", db=no_database) == summaries()
