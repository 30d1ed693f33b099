"""`cee`: the officers' command line. It parses, calls `workflow.Engine`, and renders.

No business rule lives here. This module holds the `cee` group (global options, one-line errors,
`emit` and the case renderers); the commands live in commands/, one module per group, each adding
itself to `cee` as it is imported at the end of this module. Only click is imported at start-up;
the engine and its database stack load inside the commands that need them, so `cee --help` stays
fast.
"""

from __future__ import annotations

import json
import sys
from datetime import date, datetime
from importlib import import_module

import click

EXIT_FAILED_CHECK = 1
MAX_COUNT = 2**31 - 1  # --limit, --batch-size, --version: a database integer


class Settings:
    jsonl = wide = False  # --jsonl, --wide (commands/globals.py)

    def __init__(self, db: str | None, actor: str | None, as_json: bool, now: str | None):
        self.db, self.actor_text, self.as_json, self.now_text = db, actor, as_json, now
        self._engine = None
        self._reader = None
        self._simulation = True  # the light Reader's database (set when it is made)
        self._read_as = None  # who reads, as the light Reader resolved it (a real database)

    def engine(self, *, check_schema: bool = True):
        """The engine for --db, with a settable clock at --now (simulation databases only)."""
        if self._engine is None:
            from cee_workflow import Engine, NotPermitted, SettableClock
            from cee_workflow.commands.diagnose import require_database

            require_database(self.db, creating=not check_schema)  # before a file is made
            engine = Engine(self.db)
            click.get_current_context().call_on_close(engine.close)
            if check_schema:
                engine.check_schema()
            if self.now_text and check_schema:
                if not engine.is_simulation():
                    raise NotPermitted(
                        "--now moves the clock only on a simulation database (created with "
                        "`cee db upgrade --simulation`); real actions cannot be backdated")
                engine.clock = SettableClock(parse_instant(self.now_text))
            if self._read_as is not None:  # resolved by the Reader before the engine was made
                engine.recognize(self._read_as)
            self._engine = engine
        return self._engine

    def reader(self, *, check_schema: bool = True):
        """What reads a case for --db: the engine if one is made (or --now asks for its clock
        and the simulation check), else a Reader — no ORM, no rulebooks, a fast start."""
        if self._engine is not None or (self.now_text and check_schema):
            return self.engine()
        if self._reader is None:
            from cee_workflow.commands.diagnose import require_database
            from cee_workflow.storage.database import is_simulation
            from cee_workflow.workflow.reader import Reader

            require_database(self.db)  # before a SQLite file is made
            reader = Reader(self.db)
            click.get_current_context().call_on_close(reader.close)
            if check_schema:
                reader.check_schema()
            self._simulation = is_simulation(reader.db)
            self._reader = reader
        return self._reader

    def actor(self):
        from cee_workflow.commands.listings import officer_spelling

        return self.engine().actor(officer_spelling(self, self.actor_text))

    def registrar(self):
        """Who changes the registry: the established administrator (or --as one)."""
        return self.engine().registrar(self.actor_text)

    def read_actor(self):
        """Who reads: the established identity on a real database (a filer sees only its
        importer's cases); on a simulation database the --as actor, if any. The light Reader
        resolves it on a real database (no engine, no rulebooks); an engine made later in the
        same command recognizes it (it resolves the login itself and finds the same actor)."""
        reader = self.reader()
        if reader is self._engine:  # the engine reads: --now, or a command that made it
            if self.actor_text:
                return self.actor()
            return None if reader.is_simulation() else self.actor()
        if self._simulation:
            return self.actor() if self.actor_text else None
        if self._read_as is None:
            self._read_as = reader.established_actor(self.actor_text)
        return self._read_as


def own_importer(settings: Settings) -> str | None:
    """The importer a filer reads as (its own cases only), or None for anyone else."""
    actor = settings.read_actor()
    if actor is None:  # nobody to confine (a simulation database): no jurisdiction to load
        return None
    from cee_workflow.workflow.parties import read_scope_of

    return read_scope_of(actor)


def parse_instant(text: str) -> datetime:
    from cee_workflow.states.calendar import out_of_range
    from cee_workflow.workflow.clock import UTC
    from cee_workflow.workflow.errors import InvalidInput

    try:
        instant = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"--now {text!r} is not an ISO date or time, e.g. 2026-03-06 or "
                           "2026-03-06T14:00:00-05:00") from None
    if (why := out_of_range(instant.date())) is not None:
        raise InvalidInput(f"--now {why}")
    if instant.tzinfo is None:  # a bare date or time is Eastern, as ACE announces it
        from cee_workflow.states.calendar import LEGAL_TZ

        if len(text) <= 10:
            instant = instant.replace(hour=12)
        instant = instant.replace(tzinfo=LEGAL_TZ)
    return instant.astimezone(UTC)


def parse_day(text: str, what: str = "date") -> date:
    from cee_workflow.states.calendar import out_of_range
    from cee_workflow.workflow.errors import InvalidInput

    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{what} {text!r} is not a date YYYY-MM-DD") from None
    if (why := out_of_range(day)) is not None:
        raise InvalidInput(f"{what} {why}")
    return day


class CeeGroup(click.Group):
    """Turns every WorkflowError into one line on stderr and its exit code; with --json, stdout
    also gets one JSON document `{"error": {kind, message, exit_code, case, trigger, rule}}`."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except click.exceptions.Exit:
            raise
        except click.ClickException:
            raise
        except BrokenPipeError:
            # The reader went away (`cee authority | head`): click's main ends quietly, exit 1.
            raise
        except (click.Abort, KeyboardInterrupt):
            click.echo("interrupted", err=True)
            sys.exit(130)
        except Exception as error:  # noqa: BLE001 — every failure becomes one line, no traceback
            document = _describe(error)
            if getattr(ctx.obj, "as_json", False):
                click.echo(json.dumps({"error": document}, default=str))
            click.echo(f"error: {document['message']}", err=True)
            sys.exit(document["exit_code"])


def _describe(error: Exception) -> dict:
    """The error's structured form: a WorkflowError's `to_dict()`, or the same keys."""
    from cee_workflow.workflow.errors import WorkflowError

    if isinstance(error, WorkflowError):
        return error.to_dict()
    kind, message = "unexpected", f"unexpected {type(error).__name__}: {error}"
    from sqlalchemy.exc import DBAPIError, OperationalError

    from cee_workflow.workflow.errors import database_fault

    if isinstance(error, DBAPIError) and (fault := database_fault(error)) is not None:
        return fault.to_dict()
    from cee_workflow.commands.diagnose import diagnose

    ctx = click.get_current_context(silent=True)
    settings = ctx.find_root().obj if ctx is not None else None
    if isinstance(error, DBAPIError) and (found := diagnose(
            error, getattr(getattr(settings, "_engine", None) or getattr(
                settings, "_reader", None), "url", None) or getattr(settings, "db", None))):
        return found.to_dict()
    if isinstance(error, OperationalError):
        first = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
        kind = "database_unavailable"
        message = f"cannot use the database: {first}; check --db or CEE_DATABASE_URL"
    elif isinstance(error, DBAPIError):
        first = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
        kind, message = "database_refused", f"the database refused the operation: {first}"
    return {"kind": kind, "message": message, "exit_code": 1, "case": None, "trigger": None,
            "rule": None}


@click.group(name="cee", cls=CeeGroup,
             context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--db", envvar="CEE_DATABASE_URL", metavar="URL",
              help="Database URL (default: CEE_DATABASE_URL, else a SQLite file in the user "
                   "data directory).")
@click.option("--as", "actor", envvar="CEE_ACTOR", metavar="ACTOR",
              help="Who is acting: an officer id, or filer:<importer number> (on a real "
                   "database only your established identity: your login).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@click.option("--now", metavar="ISO", help="Act at this time (simulation databases only).")
@click.pass_context
def cee(ctx, db, actor, as_json, now):
    """cee-workflow: post-release case lifecycles of CBP's Centers of Excellence and Expertise."""
    ctx.obj = Settings(db, actor, as_json, now)
    from cee_workflow.commands.globals import apply

    apply(ctx, ctx.obj)  # --jsonl, --wide given before the subcommand


def main(argv: list[str] | None = None) -> None:
    """The `cee` console script: click's usage errors, too, are one line with exit code 2."""
    try:
        cee.main(args=argv, prog_name="cee", standalone_mode=False)
    except click.UsageError as error:
        where = error.ctx.command_path if error.ctx else "cee"
        message = error.format_message().rstrip(".")
        click.echo(f"error: {message}; see `{where} --help`", err=True)
        sys.exit(2)
    except click.ClickException as error:
        click.echo(f"error: {error.format_message()}", err=True)
        sys.exit(error.exit_code)
    except click.Abort:
        click.echo("interrupted", err=True)
        sys.exit(130)


def emit(settings: Settings, document, render) -> None:
    """Print `document` as JSON with --json, else call `render()` for the human form."""
    if settings.jsonl:  # JSON Lines: one document per row of a list
        for row in document if isinstance(document, list) else [document]:
            click.echo(json.dumps(row, default=str))
    elif settings.as_json:
        click.echo(json.dumps(document, indent=2, default=str))
    else:
        render()

# An idempotency key (workflow/requests.py): a retry after an error returns the first result.
REQUEST_ID = click.option(
    "--request-id", metavar="KEY",
    help="An idempotency key: retried with the same key, the command returns the case it "
         "opened the first time instead of opening a second one.")


# --- output --------------------------------------------------------------------------------


def table(headers: list[str], rows: list[list], header: bool = True, **fit) -> None:
    """A table sized to the terminal, tab-separated when piped (commands/render.py); `header`
    False: the rows only (the next chunk of a streamed list)."""
    from cee_workflow.commands.render import table as fitted

    fitted(headers, rows, header=header, **fit)


def case_table(headers: list[str], rows: list[list], header: bool = True) -> None:
    table(headers, rows, header=header, wrap=["entries"],
          optional=["division", "version", "port"])


def render_case_line(shown, what: str) -> None:
    click.echo(f"{shown.id}  {what}: {shown.kind} is {shown.state} (version {shown.version}, "
               f"port {shown.port}, center {shown.center}/{shown.division})")


CASE_HEADERS = ["case", "kind", "state", "version", "port", "center", "division", "entries"]


def case_cells(c) -> list:
    return [c.id, c.kind, c.state, c.version, c.port, c.center, c.division, " ".join(c.entries)]


def render_cases(cases) -> None:
    case_table(CASE_HEADERS, [case_cells(c) for c in cases])


def render_history(history) -> None:
    # Both dates of an act: the instant it was recorded (`at`) and the legal date(s) it carries.
    from cee_workflow.commands.render import eastern

    table(["#", "at (ET)", "legal date", "actor", "authority", "trigger", "from", "to", "note"],
          [[e.case_seq, eastern(e.at),
            " ".join(f"{k}={v}" for k, v in e.data.get("legal_dates", {}).items()),
            e.actor, e.authority, e.trigger, e.from_state, e.to_state, e.note]
           for e in history], wrap=["note", "legal date"],
          optional=["note", "authority", "from", "actor"])


def render_case(shown, history, deadlines, available, actor_text, today) -> None:
    from cee_workflow.commands.render import LEVEL_NAMES, days_left, eastern, line

    click.echo(f"{shown.id}  {shown.kind}  {shown.state}  (version {shown.version})")

    line(f"importer {shown.importer}  port {shown.port}  center {shown.center}  "
         f"division {shown.division}  entries {' '.join(shown.entries)}")
    for key, value in sorted(shown.data.items()):
        if value not in (None, [], ""):
            line(f"  {key}: {value}")
    click.echo("\nHistory")
    render_history(history)
    click.echo("\nDeadlines")
    table(["timer", "kind", "last day", "days left", "due (ET)", "action", "status", "level",
           "rule"],
          [[d.timer, d.kind, d.last_day,
            days_left(d.last_day, today) if d.status in ("pending", "blocked") else "",
            eastern(d.due_at), d.action or "escalate", d.status, LEVEL_NAMES[d.level],
            d.citation] for d in deadlines], optional=["rule", "action", "due (ET)", "kind"])
    if actor_text:
        click.echo(f"\nAvailable to {actor_text}")
        table(["trigger", "may", "authority", "why not / needs"],
              [[a.trigger, "yes" if a.allowed else "no", a.authority,
                a.why_not or (f"--set {', '.join(a.inputs)}" if a.inputs else "")]
               for a in available], wrap=["why not / needs"])


def render_demo_step(title: str, detail: str = "") -> None:
    click.echo(f"\n== {title}" if not detail else f"   {title}: {detail}")


# --- the commands (commands/: each module adds its commands to `cee` as it is imported) ------


def _register_commands() -> None:
    from cee_workflow.cli_events import events
    from cee_workflow.commands import register

    for module in ("database", "registry", "cases", "deadlines", "bulletin", "audit",
                   "rulebooks"):
        import_module(f"cee_workflow.commands.{module}")
    cee.add_command(events)
    # The commands of issue #13 (commands/): queue, lists, db status, completion; global
    # options after the subcommand, forgiving names and examples on every command.
    register(cee)


if __name__ == "__main__":
    # `python -m cee_workflow.cli`: the commands register on the module under its own name
    # (they import it), so run that one rather than this `__main__` copy.
    import_module("cee_workflow.cli").main()
else:
    _register_commands()
