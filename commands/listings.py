"""`officer list`, `importer list`, `entry list`, `entry show` (issue #13 item 7).

Lists render whatever rows the registry read returns (paging is the reads' concern); filters
name registered offices or the command says which codes exist (exit 2).
"""

from __future__ import annotations

import click


def register(cee: click.Group) -> None:
    officer, importer, entry = (cee.commands[n] for n in ("officer", "importer", "entry"))

    @officer.command("list")
    @click.option("--port", metavar="CODE", help="Only officers of this port.")
    @click.option("--center", metavar="CODE", help="Only officers of this center.")
    @click.pass_obj
    def officer_list(settings, port, center):
        """Registered officers: id, name, office, division or unit, role."""
        from cee_workflow.cli import emit
        from cee_workflow.commands.render import table
        from cee_workflow.workflow import registry_reads as reads

        if port and center:
            raise click.UsageError("give --port or --center, not both")
        settings.read_actor()  # on a real database: only an established identity reads
        db = settings.engine().db
        reads.require_office(db, port, "port", "--port")
        reads.require_office(db, center, "center", "--center")
        rows = reads.officers(db, office=port or center)
        emit(settings, rows, lambda: table(
            ["id", "name", "office", "unit", "role", "login", "active"],
            [[r["id"], r["name"], f"{r['office_kind']} {r['office']}", r["unit"] or "-",
              r["role"], r["login"] or "-", "yes" if r["active"] else "no"] for r in rows],
            wrap=["name"], optional=["login"]))

    @importer.command("list")
    @click.option("--center", metavar="CODE", help="Only importers assigned to this center.")
    @click.pass_obj
    def importer_list(settings, center):
        """Registered importers of record: number, name, center, trusted-trader programs."""
        from cee_workflow.cli import emit
        from cee_workflow.commands.render import table
        from cee_workflow.workflow import registry_reads as reads

        db = settings.engine().db
        reads.require_office(db, center, "center", "--center")
        rows = reads.importers(db, center=center)
        emit(settings, rows, lambda: table(
            ["number", "name", "center", "trusted"],
            [[r["number"], r["name"], r["center"], " ".join(r["trusted"]) or "-"]
             for r in rows], wrap=["name"]))

    @entry.command("list")
    @click.option("--importer", "importer_number", metavar="NUMBER",
                  help="Only this importer's entries.")
    @click.option("--port", metavar="CODE", help="Only entries at this port.")
    @click.pass_obj
    def entry_list(settings, importer_number, port):
        """Recorded entries: number, importer, port, date, summary version, and their cases."""
        from cee_workflow.cli import emit
        from cee_workflow.commands.render import table
        from cee_workflow.workflow import registry_reads as reads
        from cee_workflow.workflow.identifiers import parse_importer_number

        db = settings.engine().db
        reads.require_office(db, port, "port", "--port")
        number = parse_importer_number(importer_number) if importer_number else None
        rows = reads.entries(db, importer=number, port=port)
        emit(settings, rows, lambda: table(
            ["entry", "importer", "port", "date", "summary", "cases"],
            [[r["number"], r["importer"], r["port"], r["entry_date"],
              f"v{r['summary_version']}", " ".join(f"{c['id']}({c['state']})"
                                                   for c in r["cases"])]
             for r in rows], wrap=["cases"]))

    @entry.command("show")
    @click.argument("number")
    @click.pass_obj
    def entry_show(settings, number):
        """One entry: importer, port, date, summary version, and every case naming it."""
        from cee_workflow.cli import emit
        from cee_workflow.commands.render import table
        from cee_workflow.workflow import registry_reads as reads

        shown = reads.entry(settings.engine().db, number)

        def render():
            click.echo(f"entry {shown['number']}  importer {shown['importer']}  port "
                       f"{shown['port']}  date {shown['entry_date']}  summary version "
                       f"{shown['summary_version']}")
            table(["case", "kind", "state"],
                  [[c["id"], c["kind"], c["state"]] for c in shown["cases"]])
        emit(settings, shown, render)


def officer_spelling(settings, text: str | None) -> str | None:
    """--as in any case (officer ids are unique regardless of case: registry.add_officer);
    an unknown officer gets "did you mean" and the registered ids."""
    if (not text or text.startswith(("filer:", "party:"))
            or text.strip().lower() in ("system", "sys")):
        return text
    from cee_workflow.workflow import registry_reads as reads
    from cee_workflow.workflow.errors import NotPermitted
    from cee_workflow.workflow.suggest import did_you_mean

    if not settings.engine().is_simulation():
        return text  # a real database: the established identity decides (workflow/identity.py)
    known = reads.officer_ids(settings.engine().db)
    if text in known:
        return text
    same = [k for k in known if k.lower() == text.strip().lower()]
    if len(same) == 1:
        return same[0]
    raise NotPermitted(f"officer {text!r} is not registered"
                       + did_you_mean(text, known, what="officers")
                       + "; ask an administrator to run `cee officer add`")
