"""`cee party add | authorize | list`: the trade parties who may protest besides the importer
(19 U.S.C. 1514(c)(2); 19 CFR 174.12(a); workflow/parties.py). Registering and authorizing are
an administrator's acts, each an event of the registry's hash chain; a party then acts as
`--as party:ID` — on a real database only from its own login.
"""

from __future__ import annotations

import click

from cee_workflow.workflow.parties import PARTY_ROLES


@click.group("party")
def party():
    """Trade parties who may protest: consignee, surety, payer, drawback claimant, agent."""


@party.command("add")
@click.argument("party_id")
@click.option("--name", required=True)
@click.option("--role", type=click.Choice(PARTY_ROLES), required=True,
              help="Its standing (19 U.S.C. 1514(c)(2)): a consignee or surety is named on the "
                   "entry (`entry add --consignee/--surety`), a payer or drawback claimant "
                   "stands with an importer (--importer), an agent for its principals "
                   "(`party authorize`).")
@click.option("--importer", "importer_number", metavar="NUMBER",
              help="A payer's or drawback claimant's importer.")
@click.option("--login", metavar="ROLE", help="The database login role (PostgreSQL) or OS user "
              "(SQLite) that is this party.")
@click.pass_obj
def party_add(settings, party_id, name, role, importer_number, login):
    """Register a trade party (administrators only)."""
    from cee_workflow.cli import emit

    row = settings.engine().add_party(party_id, name=name, role=role, login=login,
                                      importer=importer_number, actor=settings.registrar())
    emit(settings, row, lambda: click.echo(
        f"party {row['id']} ({role.replace('_', ' ')}"
        f"{' of importer ' + row['importer'] if row['importer'] else ''}) registered"))


@party.command("authorize")
@click.argument("agent_id")
@click.option("--for", "principal", metavar="filer:NUMBER|party:ID", required=True,
              help="The principal that authorized the agent to protest for it.")
@click.pass_obj
def party_authorize(settings, agent_id, principal):
    """Record an agent's authorization by its principal (administrators only)."""
    from cee_workflow.cli import emit

    row = settings.engine().authorize_agent(agent_id, principal=principal,
                                            actor=settings.registrar())
    emit(settings, row, lambda: click.echo(
        f"agent {agent_id} acts for {', '.join(row['principals'])}"))


@party.command("list")
@click.pass_obj
def party_list(settings):
    """The registered parties, their roles, logins and principals."""
    from cee_workflow.cli import emit, table

    settings.read_actor()  # on a real database: only an established identity reads
    rows = settings.engine().parties()
    emit(settings, rows, lambda: table(
        ["id", "name", "role", "importer", "principals", "login", "active"],
        [[r["id"], r["name"], r["role"], r["importer"] or "", ", ".join(r["principals"]),
          r["login"], "yes" if r["active"] else "no"] for r in rows]))
