"""The registry on the command line: offices, officers, importers, entries (administrators
register; `officer list` and the other lists: commands/listings.py; `admin` and `officer
deactivate`: cli_registry.py)."""

from __future__ import annotations

import click

from cee_workflow.cli import (
    REQUEST_ID,
    Settings,
    cee,
    emit,
    parse_day,
    render_case_line,
    table,
)


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
    from cee_workflow.workflow.registry_reads import require_office

    kind = "port" if port else "hq" if hq else "center"
    require_office(settings.engine().db, port or center, kind, "--hq" if hq else f"--{kind}")
    settings.engine().add_officer(officer_id, name=name, office=port or center,
                                  unit=unit or division, role=role, login=login,
                                  actor=settings.registrar())
    document = {"id": officer_id, "name": name, "office": port or center,
                "unit": unit or division, "role": role, "login": login}
    emit(settings, document, lambda: click.echo(
        f"officer {officer_id} ({role}, {'port' if port else 'hq' if hq else 'center'} "
        f"{port or center}"
        f"{'/' + (unit or division) if unit or division else ''}) registered"))


from cee_workflow.cli_parties import party  # noqa: E402
from cee_workflow.cli_registry import admin, register_officer_commands  # noqa: E402

register_officer_commands(officer)
cee.add_command(admin)
cee.add_command(party)


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
    from cee_workflow.workflow.registry_reads import require_office

    require_office(settings.engine().db, center, "center", "--center")
    number = settings.engine().add_importer(number, name=name, center=center, trusted=trusted,
                                            login=login, actor=settings.registrar())
    document = {"number": number, "name": name, "center": center, "trusted": sorted(trusted)}
    emit(settings, document, lambda: click.echo(
        f"importer {number} {name} registered at center {center}"
        + (f" (trusted: {', '.join(sorted(trusted))})" if trusted else "")))



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
@click.option("--surety", metavar="PARTY", help="The surety on the entry's bond (a party id).")
@click.option("--consignee", metavar="PARTY", help="The consignee on the entry papers (a party "
              "id).")
@REQUEST_ID
@click.pass_obj
def entry_add(settings: Settings, number, importer_number, port, entry_date, suspended,
              suspended_from, request_id, surety, consignee):
    """Record an entry; opens its liquidation case (suspended with --suspended)."""
    from cee_workflow.workflow.registry_reads import require_office

    engine = settings.engine()
    require_office(engine.db, port, "port", "--port")
    case = engine.add_entry(
        number, importer=importer_number, port=port,
        entry_date=parse_day(entry_date, "--date"), actor=settings.actor(),
        suspended=suspended,
        suspended_from=parse_day(suspended_from, "--suspended-from") if suspended_from else None,
        request_id=request_id, surety=surety, consignee=consignee)
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
