"""Output that fits (issue #13 item 7): tables sized to the terminal, tab-separated when piped,
legal dates as dates with the days left, instants in Eastern time with the zone named.

On a terminal a table is drawn with rich to the terminal's width (COLUMNS overrides it): cells
too long are cut with an ellipsis, the long-text columns wrap, and the columns marked optional
are left out when even so the table would not fit; `--wide` shows every column and cuts
nothing (it wraps). Piped or redirected, a table is plain tab-separated values — a header line
and one line per row, every column, nothing cut — for `cut`, `awk` and spreadsheets. NO_COLOR
is honoured (rich reads it). Imports nothing of the engine: `cee case show` stays fast.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo

import click

# The legal day is Eastern (19 CFR 101.6 hours; states/calendar.LEGAL_TZ, not imported here so
# that rendering never loads the rulebooks).
EASTERN = ZoneInfo("America/New_York")
LEVEL_NAMES = {0: "-", 1: "warning", 2: "overdue", 3: "director"}
GAP = 3  # a column's padding and rule between columns
# Columns a cut would make wrong rather than short: ids, dates, instants, counts.
NEVER_CUT = {"#", "case", "entry", "at (ET)", "due (ET)", "last day", "days left", "date",
             "level", "may", "rows", "code"}


def _settings():
    ctx = click.get_current_context(silent=True)
    return ctx.find_root().obj if ctx is not None else None


def wide() -> bool:
    return bool(getattr(_settings(), "wide", False))


def to_terminal() -> bool:
    """Whether stdout is a terminal (rich's test: FORCE_COLOR/TTY_COMPATIBLE count too)."""
    if not sys.stdout.isatty() and not any(
            name in os.environ for name in ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE")):
        return False  # piped, nothing forcing a terminal: rich need not load to say so
    from rich.console import Console

    return Console(file=sys.stdout).is_terminal


def table(headers: Sequence[str], rows: Sequence[Sequence], *, wrap: Sequence[str] = (),
          optional: Sequence[str] = (), title: str | None = None, header: bool = True) -> None:
    """Print rows under headers: a rich table on a terminal, tab-separated values otherwise.
    `wrap`: columns whose long text wraps (notes, reasons); `optional`: columns left out, last
    first, when the table does not fit the terminal (never with --wide); `header` False: the
    rows only (the next chunk of a streamed list)."""
    cells = [["" if v is None else str(v) for v in row] for row in rows]
    if not to_terminal():
        if title:
            click.echo(f"# {title}")
        if header:
            click.echo("\t".join(headers))
        for row in cells:
            click.echo("\t".join(c.replace("\t", " ").replace("\n", " ") for c in row))
        return
    _rich_table(list(headers), cells, set(wrap), list(optional), title, header)


def _rich_table(headers: list[str], cells: list[list[str]], wrap: set[str],
                optional: list[str], title: str | None, header: bool = True) -> None:
    from rich import box
    from rich.console import Console
    from rich.table import Table

    console = Console(file=sys.stdout, highlight=False, soft_wrap=False)
    everything = wide()
    shown = list(range(len(headers)))
    natural = [max([len(headers[i])] + [len(r[i]) for r in cells]) for i in shown]

    def least(i: int) -> int:  # the narrowest a column may get: the first (the key) never cut
        if i == 0 or headers[i] in NEVER_CUT:
            return natural[i]
        floor = 16 if everything or headers[i] in wrap else max(len(headers[i]), 10)
        return min(natural[i], floor)

    if not everything:
        for name in reversed(optional):  # leave out optional columns while it cannot fit
            if sum(least(i) + GAP for i in shown) <= console.width:
                break
            if name in headers and headers.index(name) in shown:
                shown.remove(headers.index(name))
    widths = _fit([natural[i] for i in shown], [least(i) for i in shown],
                  console.width - GAP * (len(shown) - 1))
    plain = bool(os.environ.get("NO_COLOR"))
    grid = Table(box=box.SIMPLE_HEAD, header_style="" if plain else "bold", title=title,
                 show_header=header,
                 title_justify="left", pad_edge=False, show_edge=False, expand=False)
    for i, width in zip(shown, widths, strict=True):
        long_text = everything or headers[i] in wrap
        grid.add_column(headers[i], overflow="fold" if long_text else "ellipsis",
                        no_wrap=not long_text, width=width)
    for row in cells:
        grid.add_row(*(row[i] for i in shown))
    console.print(grid)
    if not cells:
        console.print("(none)")


def _fit(natural: list[int], least: list[int], room: int) -> list[int]:
    """Column widths within `room`: each its natural width if all fit, else at least its
    least, the rest of the room shared in proportion to what each would still take."""
    if sum(natural) <= room:
        return natural
    spare = max(room - sum(least), 0)
    wants = [n - m for n, m in zip(natural, least, strict=True)]
    total = sum(wants) or 1
    return [m + (spare * w) // total for m, w in zip(least, wants, strict=True)]


def line(text: str) -> None:
    """A line of text: wrapped to the terminal on one, as it is when piped."""
    if not to_terminal():
        click.echo(text)
        return
    from rich.console import Console
    from rich.text import Text

    Console(file=sys.stdout, highlight=False).print(Text(text, overflow="fold"))


def eastern(instant: datetime | str | None) -> str:
    """An instant as Eastern time with the zone named: 2026-03-06 17:00 EST."""
    if instant is None:
        return ""
    if isinstance(instant, str):
        instant = datetime.fromisoformat(instant)
    return instant.astimezone(EASTERN).strftime("%Y-%m-%d %H:%M %Z")


def days_left(last_day: date | str | None, today: date) -> str:
    """Days from `today` (Eastern) to a legal last day: "12", "0 (today)", "-3 (late)"."""
    if last_day is None:
        return ""
    if isinstance(last_day, str):
        last_day = date.fromisoformat(last_day)
    left = (last_day - today).days
    return f"{left} (today)" if left == 0 else f"{left} (past)" if left < 0 else str(left)


def today_of(settings) -> date:
    """The legal date now: at --now on a simulation database, else the system clock's."""
    from datetime import UTC

    if getattr(settings, "_engine", None) is not None:
        return settings._engine.clock.now().astimezone(EASTERN).date()
    if getattr(settings, "now_text", None):
        from cee_workflow.cli import parse_instant

        return parse_instant(settings.now_text).astimezone(EASTERN).date()
    return datetime.now(UTC).astimezone(EASTERN).date()
