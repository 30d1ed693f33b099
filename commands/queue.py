"""`cee queue`: the acting officer's (or filer's) work, nearest legal deadline first.

Which cases are actionable, and by which triggers, is the rulebooks' decision
(workflow/worklist.queue uses the same availability `cee case show --as` prints); this command
renders it with the days left to each case's nearest deadline and its escalation level.
"""

from __future__ import annotations

import click


def register(cee: click.Group) -> None:
    @cee.command("queue")
    @click.option("--kind", type=click.Choice(["liquidation", "protest", "psc",
                                               "prior_disclosure"]),
                  help="Only cases of this kind.")
    @click.pass_obj
    def queue(settings, kind):
        """What the acting officer (--as) may do now, across every kind of case: each
        actionable case with the triggers they may take, nearest legal deadline first, with
        the days left and the escalation level."""
        from cee_workflow.cli import emit
        from cee_workflow.commands.render import LEVEL_NAMES, days_left, table, today_of
        from cee_workflow.workflow.worklist import queue as work

        engine, actor = settings.engine(), settings.actor()
        items = [i for i in work(engine, actor) if kind is None or i.kind == kind]
        today = today_of(settings)

        def render():
            table(["case", "kind", "state", "may now", "deadline", "last day", "days left",
                   "level", "rule"],
                  [[i.case, i.kind, i.state, " ".join(
                      t + (f"({','.join(i.needs[t])})" if t in i.needs else "")
                      for t in i.triggers),
                    (i.deadline or "-") + (" [blocked]" if i.status == "blocked" else ""),
                    i.last_day, days_left(i.last_day, today), LEVEL_NAMES[i.level],
                    i.citation] for i in items],
                  wrap=["may now"], optional=["rule", "state", "kind"])
        emit(settings, [i.to_dict() for i in items], render)
