"""`cee db upgrade`: create or upgrade the schema (`db status`: commands/diagnose.py)."""

from __future__ import annotations

import click

from cee_workflow.cli import (
    Settings,
    cee,
    emit,
)


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
