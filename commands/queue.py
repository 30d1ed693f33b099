"""`cee queue`: the acting officer's (or filer's) work, nearest legal deadline first.

Which cases are actionable, and by which triggers, is the rulebooks' decision
(workflow/worklist.iter_queue uses the same availability `cee case show --as` prints); this
command renders it with the days left to each case's nearest deadline and its escalation level,
a page at a time on a terminal (like every list: --limit, --all, --after, --jsonl).
"""

from __future__ import annotations

import click

from cee_workflow.cli_lists import list_options

HEADERS = ["case", "kind", "state", "may now", "deadline", "last day", "days left", "level",
           "rule"]


def register(cee: click.Group) -> None:
    @cee.command("queue")
    @click.option("--kind", type=click.Choice(["liquidation", "protest", "psc",
                                               "prior_disclosure"]),
                  help="Only cases of this kind.")
    @list_options
    @click.pass_obj
    def queue(settings, kind, limit, all_rows, after, jsonl):
        """What the acting officer (--as) may do now, across every kind of case: each
        actionable case with the triggers they may take, nearest legal deadline first, with
        the days left and the escalation level (a page on a terminal; see --limit, --all,
        --after)."""
        from cee_workflow.cli_lists import print_list
        from cee_workflow.commands.render import LEVEL_NAMES, days_left, table, today_of
        from cee_workflow.workflow.worklist import iter_queue, queue_page

        engine, actor = settings.engine(), settings.actor()
        today = today_of(settings)

        def cells(i):
            return [i.case, i.kind, i.state, " ".join(
                        t + (f"({','.join(i.needs[t])})" if t in i.needs else "")
                        for t in i.triggers),
                    (i.deadline or "-") + (" [blocked]" if i.status == "blocked" else ""),
                    i.last_day, days_left(i.last_day, today), LEVEL_NAMES[i.level],
                    i.citation]

        print_list(settings,
                   page=lambda **at: queue_page(engine, actor, kind=kind, **at),
                   stream=lambda **at: iter_queue(engine, actor, kind=kind, **at),
                   limit=limit, all_rows=all_rows, after=after, jsonl=jsonl,
                   table=lambda headers, rows, header=True: table(
                       headers, rows, header=header, wrap=["may now"],
                       optional=["rule", "state", "kind"]),
                   headers=HEADERS, cells=cells)
