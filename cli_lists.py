"""How `cee` prints a list of any length: a page on a terminal, a stream everywhere else.

- On a terminal, without `--all` or `--limit`: the first page (PAGE rows) and a line saying how
  to see more (`--limit N`, `--all`, `--after CURSOR`).
- Piped, or with `--all`: every row, streamed a page at a time (bounded memory; the first row
  is out as soon as the first page is read).
- `--limit N`: at most N rows, then the same line if there are more.
- `--after CURSOR`: start after the row the cursor names (the line printed it).
- `--jsonl`: one JSON object a line, streamed; `--json`: one JSON array, streamed too.

The engine reads (workflow.reader: `*_page`, `iter_*`) do the paging; this module only decides
how many rows to ask for and prints them.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Iterator
from itertools import islice

import click

PAGE = 50  # what a terminal gets by default
CHUNK = 1000  # rows aligned together when a human-readable list is streamed


def list_options(function):
    """--limit, --all, --after and --jsonl, for every list command."""
    for option in reversed((
            click.option("--limit", type=click.IntRange(min=1, max=2**31 - 1),
                         help=f"At most this many rows (a terminal gets {PAGE} by default)."),
            click.option("--all", "all_rows", is_flag=True,
                         help="Every row, streamed (the default when the output is piped)."),
            click.option("--after", metavar="CURSOR",
                         help="Start after this cursor (printed below a page that has more)."),
            click.option("--jsonl", is_flag=True,
                         help="One JSON object per line, streamed."))):
        function = option(function)
    return function


def print_list(settings, *, page: Callable, stream: Callable, limit: int | None,
               all_rows: bool, after: str | None, jsonl: bool, table: Callable,
               headers: list[str], cells: Callable) -> None:
    """Print the list `page(after=, limit=)` / `stream(after=)` reads, as the options say.

    `table(headers, rows)` prints an aligned table; `cells(item)` gives an item's columns."""
    if all_rows and limit is not None:
        raise click.UsageError("--all and --limit are exclusive: --all prints every row")
    if limit is None and not all_rows and _terminal() and not (jsonl or settings.as_json):
        limit = PAGE
    if limit is None:  # the whole list, streamed
        items: Iterable = stream(after=after)
        more = None
    else:
        shown = page(after=after, limit=limit)
        items, more = shown.items, shown.next
    print_stream(settings, items, jsonl=jsonl, table=table, headers=headers, cells=cells,
                 as_dict=lambda item: item.to_dict())
    if more is not None:
        click.echo(f"… more: --after {more} for the next page, --limit N for N rows, --all for "
                   f"every row", err=settings.as_json or jsonl)


def print_stream(settings, items: Iterable, *, jsonl: bool, table: Callable,
                 headers: list[str], cells: Callable, as_dict: Callable = dict) -> None:
    """Print items as they come: JSON lines, a JSON array, or aligned tables."""
    if jsonl:
        for item in items:
            click.echo(json.dumps(as_dict(item), default=str))
    elif settings.as_json:
        _json_array(as_dict(item) for item in items)
    else:
        _tables(table, headers, (cells(item) for item in items))


def _terminal() -> bool:
    return sys.stdout.isatty()


def _json_array(documents: Iterator[dict]) -> None:
    """A JSON array written as it is read (`--json` on a list of a million rows)."""
    first = True
    click.echo("[", nl=False)
    for document in documents:
        click.echo(("\n  " if first else ",\n  ") + json.dumps(document, default=str), nl=False)
        first = False
    click.echo("\n]" if not first else "]")


def _tables(table: Callable, headers: list[str], rows: Iterator[list]) -> None:
    """One aligned table for a page; a streamed list aligned CHUNK rows at a time."""
    chunk = list(islice(rows, CHUNK))
    table(headers, chunk)
    while len(chunk) == CHUNK:
        chunk = list(islice(rows, CHUNK))
        if chunk:
            table(headers, chunk, header=False)
