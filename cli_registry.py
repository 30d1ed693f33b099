"""`cee officer deactivate`, `cee officer list` (on cli.py's `officer` group), `cee admin add`.

Deactivating is an administrator's act, recorded in the registry's hash chain
(workflow/registry_ops.py); a deactivated officer is refused everywhere from then on.
"""

from __future__ import annotations

import click


def register_officer_commands(group: click.Group) -> None:
    group.add_command(officer_deactivate)
    group.add_command(officer_list)


@click.group("admin")
def admin():
    """Registry administrators: who registers offices, officers and importers."""


@admin.command("add")
@click.argument("admin_id")
@click.option("--name", required=True)
@click.option("--login", metavar="ROLE", required=True,
              help="Their database login role (PostgreSQL) or OS user (SQLite).")
@click.pass_obj
def admin_add(settings, admin_id, name, login):
    """Name another administrator (administrators only; the first: `db upgrade --admin`)."""
    from cee_workflow.cli import emit

    settings.engine().add_administrator(admin_id, name=name, login=login,
                                        actor=settings.registrar())
    emit(settings, {"id": admin_id, "name": name, "login": login},
         lambda: click.echo(f"administrator {admin_id} ({login}) registered"))


@click.command("deactivate")
@click.argument("officer_id")
@click.pass_obj
def officer_deactivate(settings, officer_id):
    """Deactivate an officer (administrators only): refused everywhere from then on."""
    from cee_workflow.cli import emit

    settings.engine().deactivate_officer(officer_id, actor=settings.registrar())
    emit(settings, {"id": officer_id, "active": False},
         lambda: click.echo(f"officer {officer_id} deactivated"))


@click.command("list")
@click.pass_obj
def officer_list(settings):
    """The registered officers, their logins and whether they are active."""
    from cee_workflow.cli import emit, table

    settings.read_actor()  # on a real database: only an established identity reads
    rows = settings.engine().officers()
    emit(settings, rows, lambda: table(
        ["id", "name", "office", "unit", "role", "login", "active"],
        [[r["id"], r["name"], r["office"], r["unit"], r["role"], r["login"],
          "yes" if r["active"] else "no"] for r in rows]))
