"""Global options before or after the subcommand, as `gh` and the Temporal CLI take them.

`cee --db URL case list` and `cee case list --db URL` are the same command: every command also
accepts `--db`, `--as`, `--json`, `--jsonl`, `--now` and `--wide` (hidden from its option list;
its help's last line names them). Given after the subcommand, an option overrides the same
option given before it. Each command's own option of the same name (`demo --db`,
`deadlines sweep --now`, `rules --json`) is left as it is.
"""

from __future__ import annotations

import click

# option → (the Settings attribute it sets, takes a value, help)
GLOBALS = {
    "--db": ("db", True, "Database URL (default: CEE_DATABASE_URL, else the user's SQLite file)."),
    "--as": ("actor_text", True, "Who is acting: an officer id, or filer:<importer number>."),
    "--json": ("as_json", False, "Print one JSON document."),
    "--jsonl": ("jsonl", False, "Lists: print one JSON document per line (JSON Lines)."),
    "--now": ("now_text", True, "Act at this time (simulation databases only)."),
    "--wide": ("wide", False, "Tables: every column, nothing cut (wrapped to the terminal)."),
}
_META = "cee.globals"
GLOBALS_HELP = ("Global options --db, --as, --json, --jsonl, --now and --wide go before or "
                "after the command.")


def remember(ctx: click.Context, param: click.Parameter, value) -> None:
    """Keep a global option given anywhere; the Settings made at the root pick it up, and one
    given after the subcommand (once Settings exist) sets it there at once."""
    if value is None or value is False:
        return
    attribute = GLOBALS[param.opts[0]][0]
    ctx.meta.setdefault(_META, {})[attribute] = value
    settings = ctx.find_root().obj
    if settings is not None:
        setattr(settings, attribute, value)


def apply(ctx: click.Context, settings) -> None:
    """Give `settings` (made by the root command) the global options parsed so far."""
    for attribute, value in ctx.meta.get(_META, {}).items():
        setattr(settings, attribute, value)


def root_options() -> list[click.Option]:
    """The options the root group adds to its own (--db, --as, --json, --now are cli.py's)."""
    return [click.Option(["--jsonl"], is_flag=True, expose_value=False, callback=remember,
                         is_eager=False, help=GLOBALS["--jsonl"][2]),
            click.Option(["--wide"], is_flag=True, expose_value=False, callback=remember,
                         help=GLOBALS["--wide"][2])]


def add_global_options(command: click.Command) -> None:
    """Accept every global option after `command` too (unless it has its own)."""
    taken = {opt for p in command.params for opt in getattr(p, "opts", [])}
    for flag, (_, takes_value, text) in GLOBALS.items():
        if flag in taken:
            continue
        metavar = {"--db": "URL", "--as": "ACTOR", "--now": "ISO"}.get(flag)
        command.params.append(click.Option(
            [flag], is_flag=not takes_value, default=None if takes_value else False,
            metavar=metavar, expose_value=False, callback=remember, hidden=True, help=text))
