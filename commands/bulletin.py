"""`cee liquidate --bulletin DATE`: the Friday bulletin in bulk, with progress."""

from __future__ import annotations

import sys

import click

from cee_workflow.cli import (
    MAX_COUNT,
    Settings,
    cee,
    emit,
    parse_day,
)


@cee.command("liquidate")
@click.option("--bulletin", metavar="DATE", required=True,
              help="The Friday bulletin (YYYY-MM-DD) whose scheduled entries to liquidate.")
@click.option("--center", metavar="CODE", help="The center (default: the acting officer's).")
@click.option("--batch-size", type=click.IntRange(min=1, max=MAX_COUNT),
              help="Entries per transaction (default 1000).")
@click.pass_obj
def liquidate(settings: Settings, bulletin, center, batch_size):
    """Liquidate every entry scheduled for a Friday bulletin, in batches (--as a center officer).

    An interrupted run leaves whole batches done; run it again to finish: nothing is done twice.
    """
    from cee_workflow.workflow.office_codes import require_office

    day = parse_day(bulletin, "--bulletin")
    engine, actor = settings.engine(), settings.actor()
    require_office(engine.db, center, "center", "--center")
    with bulk_progress(enabled=not settings.as_json and sys.stderr.isatty()) as progress:
        result = engine.liquidate_bulletin(day, actor=actor, center=center,
                                           batch_size=batch_size, progress=progress)
    document = {"bulletin": day.isoformat(), "center": center or actor.office,
                **result.to_dict()}

    def render():
        for case_id, why in result.skipped[:SKIPPED_SHOWN]:
            click.echo(f"skipped  {case_id}: {why}")
        if len(result.skipped) > SKIPPED_SHOWN:
            click.echo(f"skipped  … and {len(result.skipped) - SKIPPED_SHOWN} more (--json lists "
                       "every one)")
        click.echo(f"bulletin {day} of center {document['center']}: {result.done} liquidated, "
                   f"{len(result.skipped)} skipped, in {result.seconds:.2f} s "
                   f"({result.rate:,.0f} entries/s, {result.batches} batches)")
    emit(settings, document, render)


SKIPPED_SHOWN = 20


class bulk_progress:  # noqa: N801 — used as a context manager, like open()
    """A rich progress bar on stderr (a terminal only); yields the engine's progress callback."""

    def __init__(self, enabled: bool):
        self.enabled, self.bar, self.task = enabled, None, None

    def __enter__(self):
        if not self.enabled:
            return None
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

        self.bar = Progress("liquidating", BarColumn(), MofNCompleteColumn(),
                            TimeRemainingColumn(), console=Console(stderr=True), transient=True)
        self.bar.start()
        return self.update

    def update(self, done: int, total: int) -> None:
        if self.task is None:
            self.task = self.bar.add_task("bulletin", total=total)
        self.bar.update(self.task, completed=done)

    def __exit__(self, *_):
        if self.bar is not None:
            self.bar.stop()
        return False
