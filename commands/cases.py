"""`cee case open|advance|show|history|list`: the cases, through `workflow.Engine`."""

from __future__ import annotations

from datetime import datetime

import click

from cee_workflow.cli import (
    CASE_HEADERS,
    MAX_COUNT,
    REQUEST_ID,
    Settings,
    case_cells,
    case_table,
    cee,
    emit,
    own_importer,
    render_case,
    render_case_line,
    render_history,
)
from cee_workflow.cli_lists import list_options, print_list


@cee.group()
def case():
    """Open, advance and inspect cases."""


@case.command("open")
@click.argument("kind", type=click.Choice(["protest", "psc", "prior_disclosure"]))
@click.option("--entry", "entries", metavar="NUMBER", multiple=True,
              help="An entry the case concerns (repeat for several; a PSC names exactly one).")
@click.option("--importer", "importer_number", metavar="NUMBER",
              help="A prior disclosure naming no entry: the importer who discloses.")
@click.option("--reason", help="A protest: what is protested and why; a PSC: what it corrects.")
@click.option("--port", metavar="CODE",
              help="The case's port (a prior disclosure: the port whose FP&F officer decides); "
                   "default: the first entry's.")
@click.option("--exclusion", is_flag=True,
              help="Protest only: a protest of an exclusion (19 CFR 174.21(b)).")
@click.option("--further-review", is_flag=True,
              help="Protest only: apply for further review (19 CFR 174.24).")
@click.option("--set", "values", metavar="KEY=VALUE", multiple=True,
              help="A value the opening transition takes (see `cee lifecycle show KIND`).")
@click.option("--note", default="", help="Recorded on the event.")
@REQUEST_ID
@click.pass_obj
def case_open(settings: Settings, kind, entries, importer_number, reason, port, exclusion,
              further_review, values, note, request_id):
    """Open a case of KIND; the filer files it (--as filer:IMPORTER).

    \b
    protest           --entry NUMBER... [--reason TEXT] [--exclusion] [--further-review]
    psc               --entry NUMBER [--reason TEXT]
    prior_disclosure  (--entry NUMBER... | --importer NUMBER --port CODE)
                      --set form=oral|written [--set description=TEXT]
                      [--set entries_port=CODE --set entries_from=DATE --set entries_to=DATE]
    """
    inputs = {"reason": reason, "exclusion": exclusion, "further_review": further_review}
    inputs = {**{k: v for k, v in inputs.items() if v}, **parse_assignments(values)}
    opened = settings.engine().open_case(kind, actor=settings.actor(), entries=list(entries),
                                         importer=importer_number, port=port, note=note,
                                         request_id=request_id, **inputs)
    emit(settings, opened.to_dict(), lambda: render_case_line(opened, "filed"))


@case.command("advance")
@click.argument("case_id", metavar="CASE")
@click.argument("trigger", required=False)
@click.option("--note", default="", help="Recorded on the event.")
@click.option("--set", "values", metavar="KEY=VALUE", multiple=True,
              help="A value the transition takes (e.g. reason=02, date=2026-03-06); "
                   "--help-trigger TRIGGER lists them.")
@click.option("--expect-version", "expected_version", type=click.IntRange(min=0, max=MAX_COUNT),
              metavar="N",
              help="The version you decided on: refuse (Conflict) if the case has changed.")
@click.option("--version", "old_version", type=click.IntRange(min=0, max=MAX_COUNT),
              hidden=True, help="Deprecated spelling of --expect-version.")
@click.option("--help-trigger", metavar="TRIGGER",
              help="Show TRIGGER's inputs on this case and who may take it; changes nothing.")
@click.pass_obj
def case_advance(settings: Settings, case_id, trigger, note, values, expected_version,
                 old_version, help_trigger):
    """Take TRIGGER on CASE as the acting officer or filer.

    `cee case show CASE --as YOU` lists the triggers you may take now;
    `--help-trigger TRIGGER` the inputs one of them takes (`--set NAME=VALUE`).
    """
    if help_trigger:
        from cee_workflow.commands.trigger_help import show_trigger

        return show_trigger(settings, case_id, help_trigger)
    if trigger is None:
        raise click.UsageError("Missing argument 'TRIGGER' (`--help-trigger TRIGGER` shows "
                               "what one takes)")
    if old_version is not None:
        click.echo("warning: `case advance --version N` is deprecated and goes in the next "
                   "release; use --expect-version N", err=True)
        expected_version = old_version if expected_version is None else expected_version
    inputs = parse_assignments(values)
    advanced = settings.engine().advance(case_id, trigger, actor=settings.actor(), note=note,
                                         inputs=inputs, expected_version=expected_version)
    emit(settings, advanced.to_dict(), lambda: render_case_line(advanced, trigger))


def parse_assignments(values) -> dict[str, str]:
    from cee_workflow.workflow.errors import InvalidInput

    result = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InvalidInput(f"--set {item!r} must be KEY=VALUE")
        result[key.strip()] = value.strip()
    return result


@case.command("show")
@click.argument("case_id", metavar="CASE")
@click.pass_obj
def case_show(settings: Settings, case_id):
    """A case with its history, deadlines, and (with --as) what the actor may do now."""
    # Only `available` needs the engine (the rulebooks); without --as a Reader shows the case.
    reader = settings.engine() if settings.actor_text else settings.reader()
    shown, history, deadlines = reader.show(case_id, actor=settings.read_actor())
    available = (settings.engine().available(case_id, actor=settings.actor())
                 if settings.actor_text else [])
    document = {**shown.to_dict(), "history": [e.to_dict() for e in history],
                "deadlines": [d.to_dict() for d in deadlines],
                "available": [a.to_dict() for a in available]}
    from cee_workflow.commands.render import today_of

    emit(settings, document, lambda: render_case(shown, history, deadlines, available,
                                                 settings.actor_text, today_of(settings)))


@case.command("history")
@click.argument("case_id", metavar="CASE")
@click.pass_obj
def case_history(settings: Settings, case_id):
    """Every event of a case, oldest first."""
    history = settings.engine().history(case_id, actor=settings.read_actor())
    emit(settings, [e.to_dict() for e in history], lambda: render_history(history))


@case.command("list")
@click.option("--kind", type=click.Choice(["liquidation", "protest", "psc",
                                           "prior_disclosure"]))
@click.option("--state")
@click.option("--center", metavar="CODE")
@click.option("--port", metavar="CODE")
@click.option("--overdue", is_flag=True, help="Only cases with a deadline past due.")
@click.option("--escalated", is_flag=True, help="Only cases escalated to a supervisor or "
                                                "director.")
@click.option("--blocked", is_flag=True, help="Only cases with a deadline the law left blocked "
              "(also shown, with the reason, under --overdue and --escalated).")
@list_options
@click.pass_obj
def case_list(settings: Settings, kind, state, center, port, overdue, escalated, blocked, limit,
              all_rows, after, jsonl):
    """Cases in id order, filtered (a page on a terminal; see --limit, --all, --after)."""
    from datetime import UTC

    from cee_workflow.workflow.office_codes import require_office
    from cee_workflow.workflow.reader import Reader, case_filters

    if blocked or overdue or escalated:  # blocked deadlines are listed with their cases
        from cee_workflow.commands.worklists import list_cases

        list_cases(settings, kind=kind, state=state, center=center, port=port, overdue=overdue,
                   escalated=escalated, blocked=blocked, limit=limit,
                   actor=settings.read_actor())
        return
    reader = settings.reader()  # the light Reader unless --now asks for the engine's clock
    require_office(reader.db, center, "center", "--center")
    require_office(reader.db, port, "port", "--port")
    now = reader.clock.now() if hasattr(reader, "clock") else datetime.now(UTC)
    filters = {**case_filters(now, kind=kind, state=state, center=center, port=port,
                              overdue=overdue, escalated=escalated),
               "importer": own_importer(settings)}
    print_list(settings, page=lambda **at: Reader.case_page(reader, **at, **filters),
               stream=lambda **at: Reader.iter_cases(reader, **at, **filters), limit=limit,
               all_rows=all_rows, after=after, jsonl=jsonl, table=case_table,
               headers=CASE_HEADERS, cells=case_cells)
