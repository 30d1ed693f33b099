"""`cee`: the officers' command line. It parses, calls `workflow.Engine`, and renders.

No business rule lives here. Only click is imported at start-up; the engine and its database
stack load inside the commands that need them, so `cee --help` stays fast.
"""

from __future__ import annotations

import json
import sys
from datetime import date, datetime

import click

from cee_workflow.cli_lists import list_options, print_list

EXIT_FAILED_CHECK = 1
MAX_COUNT = 2**31 - 1  # --limit, --batch-size, --version: a database integer


class Settings:
    jsonl = wide = False  # --jsonl, --wide (commands/globals.py)

    def __init__(self, db: str | None, actor: str | None, as_json: bool, now: str | None):
        self.db, self.actor_text, self.as_json, self.now_text = db, actor, as_json, now
        self._engine = None
        self._reader = None

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
            if not is_simulation(reader.db):  # who reads is established: the engine knows
                return self.engine()
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
        importer's cases); on a simulation database the --as actor, if any."""
        if self.actor_text:
            return self.actor()
        if self._engine is None and self.reader() is not self._engine:
            return None  # the light Reader: a simulation database
        return None if self.engine().is_simulation() else self.actor()


def own_importer(settings: Settings) -> str | None:
    """The importer a filer reads as (its own cases only), or None for anyone else."""
    actor = settings.read_actor()
    if actor is None:  # nobody to confine (a simulation database): no jurisdiction to load
        return None
    from cee_workflow.workflow.jurisdiction import Filer

    return actor.importer if isinstance(actor, Filer) else None


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


# --- db ------------------------------------------------------------------------------------


@cee.group()
def db():
    """Create and migrate the database."""


@db.command("upgrade")
@click.option("--simulation", is_flag=True,
              help="Mark the database as a simulation: --now may move its clock.")
@click.option("--admin", "admin_id", metavar="ID",
              help="Name the first registry administrator (once, on a database with none).")
@click.option("--admin-login", metavar="LOGIN", help="The administrator's database role or OS "
              "user (default: yours).")
@click.option("--admin-name", metavar="NAME", help="The administrator's name.")
@click.pass_obj
def db_upgrade(settings: Settings, simulation, admin_id, admin_login, admin_name):
    """Apply migrations and seed the ten centers and the ports (idempotent)."""
    if (admin_login or admin_name) and not admin_id:
        raise click.UsageError("--admin-login and --admin-name go with --admin ID")
    engine = settings.engine(check_schema=False)
    rearmed = engine.upgrade(simulation=simulation, admin=admin_id, admin_login=admin_login,
                             admin_name=admin_name)
    from cee_workflow.storage.migrate import head_revision

    document = {"database": engine.db.url.render_as_string(hide_password=True),
                "revision": head_revision(), "simulation": engine.is_simulation(),
                "rearmed": rearmed}
    emit(settings, document, lambda: click.echo(
        f"database {document['database']} is at schema {document['revision']}"
        + (" (simulation)" if document["simulation"] else "")
        + (f"; {rearmed} open cases re-armed under this release's rulebook" if rearmed
           else "")))


# --- registry ------------------------------------------------------------------------------


@cee.group()
def office():
    """Ports and centers."""


@office.command("list")
@click.pass_obj
def office_list(settings: Settings):
    """List the registered ports and centers."""
    rows = settings.engine().offices()
    emit(settings, rows, lambda: table(["code", "kind", "name"],
                                       [[r["code"], r["kind"], r["name"]] for r in rows]))


@office.command("add")
@click.argument("code")
@click.option("--kind", type=click.Choice(["port", "center", "hq"]), required=True)
@click.option("--name", required=True)
@click.pass_obj
def office_add(settings: Settings, code, kind, name):
    """Register a port (Schedule D code), a center, or Headquarters (code HQ)."""
    settings.engine().add_office(code, kind, name, actor=settings.registrar())
    emit(settings, {"code": code, "kind": kind, "name": name},
         lambda: click.echo(f"{kind} {code} {name} registered"))


@cee.group()
def officer():
    """Officers: who may act."""


@officer.command("add")
@click.argument("officer_id")
@click.option("--name", required=True)
@click.option("--port", metavar="CODE", help="A port officer's port.")
@click.option("--unit", type=click.Choice(["fpf"]), help="A port unit (Fines, Penalties & "
                                                         "Forfeitures).")
@click.option("--center", metavar="CODE", help="A center officer's center.")
@click.option("--hq", is_flag=True, help="A Headquarters officer (office HQ).")
@click.option("--division", type=click.Choice(["partnership", "validation", "enforcement"]))
@click.option("--role", type=click.Choice(["officer", "supervisor", "director"]),
              default="officer", show_default=True)
@click.option("--login", metavar="ROLE", help="The database login role (PostgreSQL) or OS user "
              "(SQLite) that is this officer.")
@click.pass_obj
def officer_add(settings: Settings, officer_id, name, port, unit, center, hq, division, role,
                login):
    """Register an officer of a port (optionally its FP&F unit), of a center division, or of
    Headquarters."""
    from cee_workflow.workflow.errors import InvalidInput

    center = "HQ" if hq and not center else center
    if bool(port) == bool(center) or (hq and center != "HQ"):
        raise InvalidInput("give exactly one of --port CODE, --center CODE or --hq")
    if port and division:
        raise InvalidInput("--division is for center officers; a port officer takes --unit")
    if center and unit:
        raise InvalidInput("--unit is for port officers; a center officer takes --division")
    settings.engine().add_officer(officer_id, name=name, office=port or center,
                                  unit=unit or division, role=role, login=login,
                                  actor=settings.registrar())
    document = {"id": officer_id, "name": name, "office": port or center,
                "unit": unit or division, "role": role, "login": login}
    emit(settings, document, lambda: click.echo(
        f"officer {officer_id} ({role}, {'port' if port else 'hq' if hq else 'center'} "
        f"{port or center}"
        f"{'/' + (unit or division) if unit or division else ''}) registered"))


from cee_workflow.cli_registry import admin, register_officer_commands  # noqa: E402

register_officer_commands(officer)
cee.add_command(admin)


@cee.group()
def importer():
    """Importers of record."""


@importer.command("add")
@click.argument("number")
@click.option("--name", required=True)
@click.option("--center", metavar="CODE", required=True, help="The importer's assigned center.")
@click.option("--trusted", type=click.Choice(["ctpat", "isa"]), multiple=True,
              help="Trusted-trader programs (routes cases to the Partnership division).")
@click.option("--login", metavar="ROLE", help="The database login role or OS user of its "
              "filer.")
@click.pass_obj
def importer_add(settings: Settings, number, name, center, trusted, login):
    """Register an importer of record (IRS, SSN or CBP-assigned number)."""
    number = settings.engine().add_importer(number, name=name, center=center, trusted=trusted,
                                            login=login, actor=settings.registrar())
    document = {"number": number, "name": name, "center": center, "trusted": sorted(trusted)}
    emit(settings, document, lambda: click.echo(
        f"importer {number} {name} registered at center {center}"
        + (f" (trusted: {', '.join(sorted(trusted))})" if trusted else "")))


# An idempotency key (workflow/requests.py): a retry after an error returns the first result.
REQUEST_ID = click.option(
    "--request-id", metavar="KEY",
    help="An idempotency key: retried with the same key, the command returns the case it "
         "opened the first time instead of opening a second one.")


@cee.group()
def entry():
    """Entries."""


@entry.command("add")
@click.argument("number")
@click.option("--importer", "importer_number", metavar="NUMBER", required=True)
@click.option("--port", metavar="CODE", required=True, help="Port of entry.")
@click.option("--date", "entry_date", metavar="YYYY-MM-DD", required=True)
@click.option("--suspended", metavar="REASON", help="Recorded suspended by statute or court "
              "order: 04/05 AD/CVD, 06 court order, 08 statute (19 CFR 159.12(f)).")
@click.option("--suspended-from", metavar="YYYY-MM-DD",
              help="The date the suspension began (default: the entry date).")
@REQUEST_ID
@click.pass_obj
def entry_add(settings: Settings, number, importer_number, port, entry_date, suspended,
              suspended_from, request_id):
    """Record an entry; opens its liquidation case (suspended with --suspended)."""
    engine = settings.engine()
    case = engine.add_entry(
        number, importer=importer_number, port=port,
        entry_date=parse_day(entry_date, "--date"), actor=settings.actor(),
        suspended=suspended,
        suspended_from=parse_day(suspended_from, "--suspended-from") if suspended_from else None,
        request_id=request_id)
    emit(settings, case.to_dict(), lambda: render_case_line(case, "opened"))


@entry.command("review")
@click.argument("number")
@click.option("--start", is_flag=True, help="Open CBP review of the summary.")
@click.option("--finish", is_flag=True, help="Close CBP review of the summary.")
@click.option("--note", default="", help="Recorded on the event.")
@click.pass_obj
def entry_review(settings: Settings, number, start, finish, note):
    """Open or close CBP review of an entry summary (center officers; no PSC meanwhile)."""
    from cee_workflow.workflow.errors import InvalidInput

    if start == finish:
        raise InvalidInput("give one of --start or --finish")
    action = "start" if start else "finish"
    case = settings.engine().review_entry(number, start=action == "start",
                                          actor=settings.actor(), note=note)
    emit(settings, case.to_dict(), lambda: render_case_line(
        case, "summary under CBP review" if action == "start" else "summary review finished"))


# --- cases ---------------------------------------------------------------------------------


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


# --- deadlines and the scheduler ------------------------------------------------------------


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


LEVEL_NAMES = {0: "-", 1: "warning", 2: "overdue", 3: "director"}  # commands/render.py too


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


# --- bulk: the Friday bulletin ------------------------------------------------------------


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


# --- audit and demo ------------------------------------------------------------------------


@cee.group()
def audit():
    """The tamper-evident event trail."""


@audit.command("verify")
@click.argument("case_id", metavar="CASE", required=False)
@click.option("--checkpoint", metavar="FILE",
              help="A signed checkpoint (`cee audit checkpoint`): prove every event it covers "
                   "is unchanged and present.")
@click.option("--public-key", metavar="FILE", help="The checkpoint key's public half (.pub).")
@click.pass_obj
def audit_verify(settings: Settings, case_id, checkpoint, public_key):
    """Check every case (or one): its hash chain, its row and pending timers against its
    events, the event numbering and, with --checkpoint, a signed tree head."""
    if (checkpoint is None) != (public_key is None):
        raise click.UsageError("--checkpoint and --public-key go together")
    report = settings.engine().verify_audit(case_id, checkpoint=checkpoint,
                                            public_key=public_key)
    document = {**report.to_dict(), "ok": report.ok}
    emit(settings, document, lambda: click.echo(
        f"{report.cases} cases, {report.events} events: "
        + ("every check verifies" if report.ok else f"{len(report.broken)} broken")))
    if not report.ok:
        for link in report.broken:
            click.echo(f"broken: {link}", err=True)
        sys.exit(EXIT_FAILED_CHECK)


@audit.command("keygen")
@click.option("--out", metavar="FILE", required=True,
              help="The private key file to write (mode 0600); its public key goes to FILE.pub.")
@click.pass_obj
def audit_keygen(settings: Settings, out):
    """Make an Ed25519 key for signing checkpoints. Keep it off the database's machine."""
    from cee_workflow.workflow.checkpoint import keygen

    private, public = keygen(out)
    emit(settings, {"private_key": str(private), "public_key": str(public)},
         lambda: click.echo(f"private key {private} (mode 0600), public key {public}"))


@audit.command("checkpoint")
@click.option("--key", metavar="FILE", required=True, help="The private key (`audit keygen`).")
@click.option("--out", "out_dir", metavar="DIR", default=".", show_default=True,
              help="Where to write the checkpoint and its leaves file.")
@click.pass_obj
def audit_checkpoint(settings: Settings, key, out_dir):
    """Sign the Merkle tree head of every event so far (RFC 9162 hashing, Ed25519)."""
    from pathlib import Path

    path = settings.engine().checkpoint(key, out_dir)
    head = json.loads(Path(path).read_text())["checkpoint"]
    emit(settings, {"checkpoint": path, **head}, lambda: click.echo(
        f"{path}: " + ", ".join(f"{s['size']} {s['name'].replace('_', ' ')} to seq "
                                f"{s['last_seq']}, root {s['root'][:16]}…"
                                for s in head["sources"])))


@cee.command()
@click.option("--db", "demo_db", metavar="URL",
              help="Build the demo here: a new or simulation database (default: a new SQLite "
                   "file in a temporary directory).")
@click.pass_context
def demo(ctx, demo_db):
    """Walk a realistic story on a new simulation database."""
    import tempfile

    from click.core import ParameterSource

    from cee_workflow.workflow.demo import run_demo

    settings: Settings = ctx.obj
    # The global --db counts only when typed: never write a demo into CEE_DATABASE_URL.
    typed = ctx.parent.get_parameter_source("db") == ParameterSource.COMMANDLINE
    url = demo_db or (settings.db if typed else None)
    from cee_workflow.commands.demo_place import demo_url, this_command

    if url is None:
        url = demo_url(tempfile.gettempdir())
    say = (lambda *_: None) if settings.as_json else render_demo_step
    cases = run_demo(url, say)
    emit(settings, [c.to_dict() for c in cases], lambda: (
        click.echo("\nFinal state of every case:"), render_cases(cases),
        click.echo(f"\nThe demo database: {url}\nLook around:  {this_command()} --db {url} "
                   "case list")))


# --- rulebooks: the authority matrix and lifecycle diagrams (no database) ------------------


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
    from cee_workflow.commands.render import days_left, eastern

    click.echo(f"{shown.id}  {shown.kind}  {shown.state}  (version {shown.version})")
    from cee_workflow.commands.render import line

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


# --- events (cli_events.py) ----------------------------------------------------------------

from cee_workflow.cli_events import events as _events  # noqa: E402  (click only, like this)

cee.add_command(_events)

# The commands of issue #13 (commands/): queue, lists, db status, completion; global options
# after the subcommand, forgiving names and examples on every command (the events group too).
from cee_workflow.commands import register  # noqa: E402

register(cee)

if __name__ == "__main__":
    main()

