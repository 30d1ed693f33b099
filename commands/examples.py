"""One or two examples at the end of every command's help page (issue #13 item 3)."""

from __future__ import annotations

import click

from cee_workflow.commands.globals import GLOBALS_HELP

EXAMPLES: dict[str, tuple[str, ...]] = {
    "cee": ("cee --db sqlite:///cee.db db upgrade", "cee queue --as ana.lee"),
    "cee db": ("cee db status", "cee db upgrade --simulation"),
    "cee db upgrade": ("cee --db postgresql://cee@db.internal/cee db upgrade",
                       "cee --db sqlite:///sim.db db upgrade --simulation"),
    "cee events": ("cee events tail --follow --jsonl",
                   "cee events relay --to amqp://guest:guest@127.0.0.1:5672/"),
    "cee events tail": ("cee events tail --after 0.0 --jsonl",
                        "cee events tail --follow --kind liquidate --jsonl"),
    "cee events relay": ("cee events relay --to amqp://guest:guest@127.0.0.1:5672/ "
                         "--exchange cee.events",
                         "cee events relay --to amqp://guest:guest@rabbit.internal/ --once"),
    "cee db status": ("cee db status", "cee db status --db sqlite:///cee.db --json"),
    "cee office": ("cee office list",),
    "cee office list": ("cee office list", "cee office list | grep center"),
    "cee office add": ("cee office add 2799 --kind port --name 'Port of Example'",),
    "cee officer": ("cee officer list --center 007",),
    "cee officer add": ("cee officer add ana.lee --name 'Ana Lee' --center 007 "
                        "--division partnership",
                        "cee officer add pete --name 'Pete Ortiz' --port 2704 --unit fpf"),
    "cee officer deactivate": ("cee officer deactivate pete --as admin",),
    "cee admin": ("cee admin add registrar --name 'Registry clerk' --login clerk",),
    "cee admin add": ("cee admin add registrar --name 'Registry clerk' --login clerk",),
    "cee party": ("cee party list",),
    "cee party add": ("cee party add bonding-co --name 'Great Bonding Co.' --role surety "
                      "--login bonding",
                      "cee party add acme-pay --name 'Acme Payments' --role payer "
                      "--importer 12-3456789AB"),
    "cee party authorize": ("cee party authorize smith-broker --for filer:12-3456789AB",
                            "cee party authorize smith-broker --for party:bonding-co"),
    "cee party list": ("cee party list", "cee party list --json"),
    "cee officer list": ("cee officer list", "cee officer list --port 2704 --json"),
    "cee importer": ("cee importer list",),
    "cee importer add": ("cee importer add 12-3456789AB --name 'Acme' --center 007 "
                         "--trusted ctpat",),
    "cee importer list": ("cee importer list --center 007",),
    "cee entry": ("cee entry list --port 2704", "cee entry show 112-0000001-3"),
    "cee entry add": ("cee entry add 112-0000001-3 --importer 12-3456789AB --port 2704 "
                      "--date 2025-01-06 --as pete",
                      "cee entry add 112-0000002-1 --importer 12-3456789AB --port 2704 "
                      "--date 2025-01-06 --surety bonding-co --as pete"),
    "cee entry review": ("cee entry review 112-0000001-3 --start --as ana.lee",),
    "cee entry list": ("cee entry list --importer 12-3456789AB", "cee entry list --jsonl"),
    "cee entry show": ("cee entry show 112-0000001-3",),
    "cee case": ("cee case list --overdue", "cee case show lq-11200000013 --as ana.lee"),
    "cee case open": ("cee case open protest --entry 112-0000001-3 --reason 'rate' "
                      "--as filer:12-3456789AB",
                      "cee case open prior-disclosure --importer 12-3456789AB --port 2704 "
                      "--set form=written --as filer:12-3456789AB"),
    "cee case advance": ("cee case advance LQ-11200000013 schedule --set date=2025-02-07 "
                         "--as ana.lee --expect-version 1",
                         "cee case advance LQ-11200000013 --help-trigger extend"),
    "cee case show": ("cee case show LQ-11200000013", "cee case show lq11200000013 --as ana.lee"),
    "cee case history": ("cee case history PR-270425000001 --json",),
    "cee case list": ("cee case list --kind protest --state accepted --center 007",
                      "cee case list --blocked"),
    "cee queue": ("cee queue --as ana.lee", "cee queue --as filer:12-3456789AB --jsonl"),
    "cee deadlines": ("cee deadlines list --kind legal", "cee deadlines sweep"),
    "cee deadlines list": ("cee deadlines list --due-before 2026-04-01 --center 007",
                           "cee deadlines list --kind legal | cut -f1,2,5"),
    "cee deadlines sweep": ("cee deadlines sweep",
                            "cee --db sqlite:///sim.db deadlines sweep --now 2027-01-04"),
    "cee deadlines forecast": ("cee deadlines forecast --until 2026-06-30 --center 007",),
    "cee scheduler": ("cee scheduler run --interval 60",),
    "cee scheduler run": ("cee scheduler run --interval 60",
                          "cee scheduler run --checkpoint-dir /srv/cee --checkpoint-key key"),
    "cee liquidate": ("cee liquidate --bulletin 2026-03-06 --as ana.lee",),
    "cee audit": ("cee audit verify",),
    "cee audit verify": ("cee audit verify", "cee audit verify --checkpoint cp.json "
                                             "--public-key key.pub"),
    "cee audit keygen": ("cee audit keygen --out ~/cee-key",),
    "cee audit checkpoint": ("cee audit checkpoint --key ~/cee-key --out /srv/cee",),
    "cee demo": ("cee demo", "cee demo --db sqlite:///demo.db"),
    "cee authority": ("cee authority", "cee authority --json"),
    "cee rules": ("cee rules", "cee rules --on 2025-01-01"),
    "cee lifecycle": ("cee lifecycle list", "cee lifecycle show protest"),
    "cee lifecycle list": ("cee lifecycle list",),
    "cee lifecycle show": ("cee lifecycle show protest",
                           "cee lifecycle show liquidation --format mermaid"),
    "cee completion": ("cee completion bash >> ~/.bashrc",
                       "cee completion zsh > ~/.zfunc/_cee"),
}


def add_examples(path: str, command: click.Command) -> None:
    """End `command`'s help with its examples (and, for commands, where global options go)."""
    lines = [f"  {example}" for example in EXAMPLES.get(path, ())]
    text = ("\b\nExamples:\n" + "\n".join(lines)) if lines else ""
    if not isinstance(command, click.Group) or path == "cee":
        text = f"{text}\n\n{GLOBALS_HELP}" if text else GLOBALS_HELP
    command.epilog = f"{command.epilog}\n\n{text}" if command.epilog else text


def list_triggers_in_help(command: click.Command) -> None:
    """`case advance --help` also names every kind's triggers (read from the rulebooks only
    when the help is shown, so that other commands never load them)."""
    import types

    original = command.format_epilog

    def format_epilog(self, ctx, formatter):
        from cee_workflow.states import LIFECYCLES

        with formatter.section("Triggers by kind (--help-trigger T for one's inputs)"):
            formatter.write_dl([(kind, ", ".join(lc.triggers)) for kind, lc in
                                LIFECYCLES.items()])
        original(ctx, formatter)

    command.format_epilog = types.MethodType(format_epilog, command)
