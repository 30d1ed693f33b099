"""`officer list`, `importer list`, `entry list`, `entry show` (issue #13 item 7).

Each list reads the registry a keyset page at a time (workflow/registry_reads.py) and prints like
every list (`--limit`, `--all`, `--after`, `--jsonl`); filters name registered offices or the
command says which codes exist (exit 2). A filer lists and shows its own importer's entries.
"""

from __future__ import annotations

import click

from cee_workflow.cli_lists import list_options


def register(cee: click.Group) -> None:
    officer, importer, entry = (cee.commands[n] for n in ("officer", "importer", "entry"))

    @officer.command("list")
    @click.option("--port", metavar="CODE", help="Only officers of this port.")
    @click.option("--center", metavar="CODE", help="Only officers of this center.")
    @list_options
    @click.pass_obj
    def officer_list(settings, port, center, limit, all_rows, after, jsonl):
        """Registered officers: id, name, office, division or unit, role (a page on a
        terminal; see --limit, --all, --after)."""
        from cee_workflow.workflow import registry_reads as reads

        if port and center:
            raise click.UsageError("give --port or --center, not both")
        settings.read_actor()  # on a real database: only an established identity reads
        db = settings.engine().db
        reads.require_office(db, port, "port", "--port")
        reads.require_office(db, center, "center", "--center")
        listed(settings, lambda **at: reads.officers(db, office=port or center, **at),
               limit, all_rows, after, jsonl,
               ["id", "name", "office", "unit", "role", "login", "active"],
               lambda r: [r["id"], r["name"], f"{r['office_kind']} {r['office']}",
                          r["unit"] or "-", r["role"], r["login"] or "-",
                          "yes" if r["active"] else "no"],
               wrap=["name"], optional=["login"])

    @importer.command("list")
    @click.option("--center", metavar="CODE", help="Only importers assigned to this center.")
    @list_options
    @click.pass_obj
    def importer_list(settings, center, limit, all_rows, after, jsonl):
        """Registered importers of record: number, name, center, trusted-trader programs (a
        page on a terminal; see --limit, --all, --after)."""
        from cee_workflow.workflow import registry_reads as reads

        db = settings.engine().db
        reads.require_office(db, center, "center", "--center")
        listed(settings, lambda **at: reads.importers(db, center=center, **at),
               limit, all_rows, after, jsonl, ["number", "name", "center", "trusted"],
               lambda r: [r["number"], r["name"], r["center"], " ".join(r["trusted"]) or "-"],
               wrap=["name"])

    @entry.command("list")
    @click.option("--importer", "importer_number", metavar="NUMBER",
                  help="Only this importer's entries.")
    @click.option("--port", metavar="CODE", help="Only entries at this port.")
    @list_options
    @click.pass_obj
    def entry_list(settings, importer_number, port, limit, all_rows, after, jsonl):
        """Recorded entries: number, importer, port, date, summary version, and their cases
        (a page on a terminal; see --limit, --all, --after). A filer or party lists the
        entries it stands on."""
        from cee_workflow.cli import own_importer
        from cee_workflow.workflow import registry_reads as reads
        from cee_workflow.workflow.errors import NotPermitted
        from cee_workflow.workflow.identifiers import parse_importer_number

        db = settings.engine().db
        reads.require_office(db, port, "port", "--port")
        number = parse_importer_number(importer_number) if importer_number else None
        own = own_importer(settings)  # a filer's importer, or a party's Confinement
        if isinstance(own, str) and number not in (None, own):
            raise NotPermitted(f"filer:{own} lists its own entries only, not importer "
                               f"{number}'s")
        listed(settings, lambda **at: reads.entries(db, importer=number, port=port, scope=own,
                                                   **at),
               limit, all_rows, after, jsonl,
               ["entry", "importer", "port", "date", "summary", "cases"],
               lambda r: [r["number"], r["importer"], r["port"], r["entry_date"],
                          f"v{r['summary_version']}",
                          " ".join(f"{c['id']}({c['state']})" for c in r["cases"])],
               wrap=["cases"])

    @entry.command("show")
    @click.argument("number")
    @click.pass_obj
    def entry_show(settings, number):
        """One entry: importer, port, date, summary version, and every case naming it."""
        from cee_workflow.cli import emit, own_importer
        from cee_workflow.commands.render import table
        from cee_workflow.workflow import registry_reads as reads
        from cee_workflow.workflow.errors import NotFound

        own = own_importer(settings)  # nothing is said of an entry outside the scope
        try:
            shown = reads.entry(settings.engine().db, number, scope=own)
        except NotFound:
            if own is None:
                raise
            raise NotFound("entry", number, "a filer or party sees only the entries it "
                           "stands on") from None

        def render():
            click.echo(f"entry {shown['number']}  importer {shown['importer']}  port "
                       f"{shown['port']}  date {shown['entry_date']}  summary version "
                       f"{shown['summary_version']}")
            table(["case", "kind", "state"],
                  [[c["id"], c["kind"], c["state"]] for c in shown["cases"]])
        emit(settings, shown, render)


def listed(settings, page, limit, all_rows, after, jsonl, headers, cells, **fit) -> None:
    """Print a paged registry read with the list options (cli_lists.print_list)."""
    from cee_workflow.cli_lists import print_list
    from cee_workflow.commands.render import table
    from cee_workflow.workflow.registry_reads import stream

    print_list(settings, page=page, stream=lambda **at: stream(page, **at), limit=limit,
               all_rows=all_rows, after=after, jsonl=jsonl,
               table=lambda h, rows, header=True: table(h, rows, header=header, **fit),
               headers=headers, cells=cells)


def officer_spelling(settings, text: str | None) -> str | None:
    """--as in any case (officer ids are unique regardless of case: registry.add_officer);
    an unknown officer is a typo (exit 2) and gets "did you mean" and the registered ids."""
    if (not text or text.startswith(("filer:", "party:"))
            or text.strip().lower() in ("system", "sys")):
        return text
    from cee_workflow.workflow import registry_reads as reads
    from cee_workflow.workflow.errors import InvalidInput
    from cee_workflow.workflow.suggest import did_you_mean

    if not settings.engine().is_simulation():
        return text  # a real database: the established identity decides (workflow/identity.py)
    known = reads.officer_ids(settings.engine().db)
    if text in known:
        return text
    same = [k for k in known if k.lower() == text.strip().lower()]
    if len(same) == 1:
        return same[0]
    raise InvalidInput(f"officer {text!r} is not registered"
                       + did_you_mean(text, known, what="officers")
                       + "; ask an administrator to run `cee officer add`")
