"""The officer's command line beyond the core commands of cli.py (issue #13).

`register(cee)` adds the commands of this package to the `cee` group and then walks every
command once: global options accepted after the subcommand too (globals.py), forgiving choices,
case ids and triggers (matching.py), and one or two examples at the end of every help page
(examples.py). Each module imports only click at start-up, so `cee --help` stays fast.
"""

from __future__ import annotations

import click


def register(cee: click.Group) -> None:
    from cee_workflow.commands import completion, diagnose, listings, queue
    from cee_workflow.commands.examples import add_examples, list_triggers_in_help
    from cee_workflow.commands.globals import add_global_options, root_options
    from cee_workflow.commands.matching import make_forgiving

    cee.params.extend(root_options())
    click.version_option(package_name="cee-workflow", prog_name="cee",
                         message="%(prog)s %(version)s", help="Print cee's version.")(cee)
    completion.register(cee)
    diagnose.register(cee)
    listings.register(cee)
    queue.register(cee)
    for path, command in walk(cee):
        make_forgiving(command)
        if not isinstance(command, click.Group):
            add_global_options(command)
        add_examples(path, command)
    list_triggers_in_help(cee.commands["case"].commands["advance"])


def walk(group: click.Group, path: str = "cee"):
    """Every command under `group` with its path ("cee case advance"), the group first."""
    yield path, group
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            yield from walk(command, f"{path} {name}")
        else:
            yield f"{path} {name}", command
