"""`cee case advance CASE --help-trigger TRIGGER` and the inputs part of `lifecycle show`."""

from __future__ import annotations

import click


def show_trigger(settings, case_id: str, trigger: str) -> None:
    """One trigger of CASE's lifecycle: from which states, who takes it, what it takes; with
    --as, whether that actor may take it on this case now (the engine's decision)."""
    from cee_workflow.cli import emit
    from cee_workflow.commands.render import table
    from cee_workflow.workflow.trigger_help import INPUT_HEADERS, input_rows, trigger_inputs

    engine = settings.engine()
    shown = engine.get(case_id)
    documents = trigger_inputs(shown.kind, trigger)
    may = None
    if settings.actor_text:
        may = next((a for a in engine.available(case_id, actor=settings.actor())
                    if a.trigger == trigger), None)
    document = {"case": shown.id, "kind": shown.kind, "state": shown.state,
                "trigger": trigger, "transitions": documents,
                "available": may.to_dict() if may else None}

    def render():
        for doc in documents:
            here = " (from here)" if shown.state in doc["from"] else ""
            click.echo(f"{trigger}: {' | '.join(doc['from'])} -> {doc['to']}{here}; "
                       f"{doc['who']}; {doc['summary']} ({doc['citation']})")
        if shown.state not in {s for d in documents for s in d["from"]}:
            click.echo(f"{shown.id} is {shown.state}: {trigger} is not possible from there")
        if settings.actor_text:
            verdict = ("may take it now" if may and may.allowed else
                       f"may not: {may.why_not}" if may else "may not: not from this state")
            click.echo(f"{settings.actor_text} {verdict}")
        click.echo("")
        table(INPUT_HEADERS, input_rows(documents), wrap=["meaning"],
              optional=["rule", "default", "who"])
        click.echo(f"\nGive inputs with --set NAME=VALUE: cee case advance {shown.id} "
                   f"{trigger} --set NAME=VALUE")
    emit(settings, document, render)


def render_inputs(kind: str) -> None:
    """Every trigger's inputs of `kind`, as a table (after `lifecycle show`'s drawing)."""
    from cee_workflow.commands.render import table
    from cee_workflow.workflow.trigger_help import INPUT_HEADERS, input_rows, trigger_inputs

    click.echo("\nInputs (cee case advance CASE TRIGGER --set NAME=VALUE)")
    table(INPUT_HEADERS, input_rows(trigger_inputs(kind)), wrap=["meaning"],
          optional=["rule", "default", "who"])
