"""`cee deadlines list|sweep|forecast` and `cee scheduler run`: the legal deadlines and the
scheduler that acts on them."""

from __future__ import annotations

import sys

import click

from cee_workflow.cli import (
    MAX_COUNT,
    Settings,
    cee,
    emit,
    own_importer,
    parse_day,
    table,
)
from cee_workflow.cli_lists import list_options, print_list


@cee.group()
def deadlines():
    """Legal and service deadlines, and the sweep that acts on them."""


@deadlines.command("list")
@click.option("--due-before", metavar="DATE", help="Only deadlines due before this date.")
@click.option("--kind", type=click.Choice(["legal", "process", "service"]))
@click.option("--center", metavar="CODE")
@list_options
@click.pass_obj
def deadlines_list(settings: Settings, due_before, kind, center, limit, all_rows, after, jsonl):
    """Deadlines, soonest first: the blocked ones (with the reason the law still refuses the
    act) head the first page, then the pending (a page on a terminal; see --limit, --all,
    --after)."""
    from cee_workflow.commands.render import LEVEL_NAMES as LEVELS
    from cee_workflow.commands.render import days_left, eastern, today_of
    from cee_workflow.commands.worklists import with_blocked
    from cee_workflow.workflow.office_codes import require_office

    before = None
    if due_before:  # the calendar loads the rulebooks: only when a date is to be read
        from cee_workflow.states.calendar import start_of_legal_day

        before = start_of_legal_day(parse_day(due_before, "--due-before"))
    own = own_importer(settings)  # a filer reads its own importer's deadlines only
    filters = {"before": before, "kind": kind, "center": center, "importer": own}
    reader = settings.reader()  # the light Reader; the engine only if a deadline is blocked
    require_office(reader.db, center, "center", "--center")
    page, stream = with_blocked(settings.engine, before=before, kind=kind, center=center,
                                importer=own, db=reader.db,
                                page=lambda **at: reader.deadline_page(**at, **filters),
                                stream=lambda **at: reader.iter_deadlines(**at, **filters))
    today = today_of(settings)
    print_list(settings, page=page, stream=stream, limit=limit, all_rows=all_rows, after=after,
               jsonl=jsonl, table=lambda headers, rows, header=True: table(
                   headers, rows, header=header, wrap=["reason"],
                   optional=["reason", "rule", "state", "due (ET)", "action"]),
               headers=["case", "timer", "kind", "state", "last day", "days left", "due (ET)",
                        "action", "status", "level", "rule", "reason"],
               cells=lambda r: [r.case_id, r.timer, r.kind, r.state, r.last_day,
                                days_left(r.last_day, today), eastern(r.due_at),
                                r.action or "escalate", r.status, LEVELS[r.level], r.citation,
                                getattr(r, "reason", None) or ""])




@deadlines.command("sweep")
@click.option("--now", "sweep_now", metavar="ISO",
              help="Sweep at this time (simulation databases only; same as the global --now).")
@click.option("--limit", type=click.IntRange(min=1, max=MAX_COUNT), default=10_000,
              show_default=True)
@click.pass_obj
def deadlines_sweep(settings: Settings, sweep_now, limit):
    """One pass: warn, escalate, and fire what happens by operation of law."""
    if sweep_now:
        settings.now_text = sweep_now
    result = settings.engine().sweep(limit=limit)
    document = result.to_dict()

    def render():
        for line in result.fired:
            click.echo(f"fired      {line}")
        for line in result.escalated:
            click.echo(f"escalated  {line}")
        for line in result.blocked:
            click.echo(f"blocked    {line}")
        click.echo(f"{len(result.fired)} fired, {len(result.escalated)} escalated, "
                   f"{len(result.blocked)} blocked, {result.stale} stale"
                   + (f", {result.deferred} deferred to the next pass" if result.deferred
                      else ""))
    emit(settings, document, render)


@deadlines.command("forecast")
@click.option("--until", metavar="DATE", required=True)
@click.option("--center", metavar="CODE")
@click.option("--summary", is_flag=True, help="Counts per day, center and action (planning).")
@click.option("--jsonl", is_flag=True, help="One JSON object per line, streamed.")
@click.pass_obj
def deadlines_forecast(settings: Settings, until, center, summary, jsonl):
    """What the scheduler will warn, escalate or fire by DATE (end of day, Eastern), each
    stage on the day it falls due, with the reason of each blocked fire — writes nothing."""
    from datetime import timedelta

    from cee_workflow.cli_lists import print_stream
    from cee_workflow.states.calendar import start_of_legal_day

    instant = start_of_legal_day(parse_day(until, "--until") + timedelta(days=1)) - timedelta(
        microseconds=1)
    from cee_workflow.commands.render import eastern
    from cee_workflow.workflow.office_codes import require_office

    engine = settings.engine()
    require_office(engine.db, center, "center", "--center")
    rows = engine.iter_forecast(instant, center=center, actor=settings.read_actor())
    if summary:
        from cee_workflow.workflow.forecast import summary as summarize

        counts = summarize(rows)
        print_stream(settings, counts, jsonl=jsonl, table=table,
                     headers=["day", "center", "would", "count"],
                     cells=lambda r: [r["day"], r["center"], r["would"], r["count"]])
        return
    print_stream(settings, rows, jsonl=jsonl,
                 table=lambda headers, chunk, header=True: table(
                     headers, chunk, header=header, wrap=["why"],
                     optional=["why", "rule", "state"]),
                 headers=["case", "state", "timer", "would", "at (ET)", "last day", "rule",
                          "why"],
                 cells=lambda r: [r["case"], r["state"], r["timer"], r["would"],
                                  eastern(r["at"]), r["last_day"], r["citation"],
                                  r.get("why", "")])


@cee.group()
def scheduler():
    """The ticker that sweeps deadlines."""


@scheduler.command("run")
@click.option("--interval", type=click.FloatRange(min=0.1), default=60.0, show_default=True,
              help="Seconds between sweeps.")
@click.option("--checkpoint-dir", metavar="DIR",
              help="Write a signed audit checkpoint here after a sweep, every "
                   "--checkpoint-every seconds.")
@click.option("--checkpoint-key", metavar="FILE", help="The signing key (`cee audit keygen`).")
@click.option("--checkpoint-every", type=click.FloatRange(min=1), default=3600.0,
              show_default=True, help="Seconds between checkpoints.")
@click.pass_obj
def scheduler_run(settings: Settings, interval, checkpoint_dir, checkpoint_key,
                  checkpoint_every):
    """Sweep every INTERVAL seconds until SIGTERM or SIGINT. Run several: each timer fires once."""
    import logging

    from cee_workflow.workflow.scheduler import Checkpoints, run_blocking

    if (checkpoint_dir is None) != (checkpoint_key is None):
        raise click.UsageError("--checkpoint-dir and --checkpoint-key go together")
    checkpoints = (Checkpoints(checkpoint_dir, checkpoint_key, checkpoint_every)
                   if checkpoint_dir else None)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s",
                        stream=sys.stderr)
    run_blocking(settings.engine(), interval, checkpoints)
