"""`cee authority`, `cee rules`, `cee lifecycle list|show`: the rulebooks, no database."""

from __future__ import annotations

import json

import click

from cee_workflow.cli import (
    Settings,
    cee,
    emit,
    parse_day,
    table,
)


@cee.command("authority")
@click.pass_obj
def authority(settings: Settings):
    """The authority matrix: every function, its holder, regimes, and the transitions using it."""
    from cee_workflow.workflow.authority_matrix import authority_matrix, listing

    emit(settings, authority_matrix(), lambda: click.echo(listing(), nl=False))


@cee.command("rules")
@click.argument("name", required=False)
@click.option("--on", "on", help="Show the value in force on this date (YYYY-MM-DD): the date "
              "the rule names (entry, filing, the act's date).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@click.pass_obj
def rules(settings: Settings, name: str | None, on: str | None, as_json: bool):
    """Every rule with its dated values and sources (UNCONFIRMED where none was found)."""
    from cee_workflow.workflow.rules import listing, rules_document

    document = rules_document(name, parse_day(on, "--on") if on else None)
    if as_json:
        click.echo(json.dumps(document, indent=2, default=str))
    else:
        emit(settings, document, lambda: click.echo(listing(document), nl=False))


@cee.group()
def lifecycle():
    """The rulebooks: list them, draw them (reads no database)."""


@lifecycle.command("list")
@click.pass_obj
def lifecycle_list(settings: Settings):
    """Every lifecycle: kind, summary, and its states, triggers and transitions counted."""
    from cee_workflow.workflow.diagrams import summaries

    rows = summaries()
    emit(settings, rows, lambda: table(
        ["kind", "states", "triggers", "transitions", "summary"],
        [[r["kind"], r["states"], r["triggers"], r["transitions"], r["summary"]] for r in rows]))


@lifecycle.command("show")
@click.argument("kind")
@click.option("--format", "fmt", type=click.Choice(["text", "mermaid", "dot"]), default="text",
              show_default=True, help="A listing for officers, or a mermaid or graphviz diagram.")
@click.pass_obj
def lifecycle_show(settings: Settings, kind, fmt):
    """Draw lifecycle KIND from its rulebook: states, timers, triggers and who takes each."""
    from cee_workflow.commands.trigger_help import render_inputs
    from cee_workflow.workflow.diagrams import extract, render
    from cee_workflow.workflow.trigger_help import trigger_inputs

    drawing = render(kind, fmt)
    emit(settings, {**extract(kind).to_dict(), "format": fmt, "diagram": drawing,
                    "inputs": trigger_inputs(kind)},
         lambda: (click.echo(drawing, nl=False), fmt == "text" and render_inputs(kind)))
