"""`case list` and `deadlines list` with blocked deadlines always in view (issue #13 item 6).

A legal deadline the sweep could not act on (finality while a protest of the entry is open,
19 U.S.C. 1514(a) and 1504(a)) is neither pending nor done: it is listed by `deadlines list`
with its status `blocked` and why the law still refuses the act; `case list --overdue` and
`--escalated` list its case too (the law's act is waiting), and `case list --blocked` lists only
those cases. The rows are the engine's (workflow/worklist.py); this module renders them.
"""

from __future__ import annotations

from cee_workflow.commands.render import LEVEL_NAMES, days_left, eastern, table, today_of


def list_cases(settings, *, kind, state, center, port, overdue, escalated, blocked, limit,
               actor=None):
    from cee_workflow.cli import emit
    from cee_workflow.workflow.office_codes import require_office
    from cee_workflow.workflow.worklist import blocked as blocked_deadlines

    engine = settings.engine()
    require_office(engine.db, center, "center", "--center")
    require_office(engine.db, port, "port", "--port")
    cases = [] if blocked and not (overdue or escalated) else engine.list_cases(
        kind=kind, state=state, center=center, port=port, overdue=overdue,
        escalated=escalated, limit=limit, actor=actor)
    from cee_workflow.workflow.parties import read_scope_of

    own = read_scope_of(actor)  # a filer: its own importer's cases; a party: where it stands
    reasons: dict[str, str] = {}
    if blocked or overdue or escalated:
        for row in blocked_deadlines(engine, center=center, port=port, case_kind=kind,
                                     importer=own):
            reasons.setdefault(row.case_id, f"{row.timer} blocked: {row.reason}")
        listed = {c.id for c in cases}
        extra = [engine.get(i) for i in reasons if i not in listed]
        cases = [c for c in cases + extra if state is None or c.state == state]
        if blocked:
            cases = [c for c in cases if c.id in reasons]
        cases = sorted(cases, key=lambda c: (c.kind, c.state, c.id))[:limit]
    documents = [{**c.to_dict(), **({"blocked": reasons[c.id]} if c.id in reasons else {})}
                 for c in cases]

    def render():
        headers = ["case", "kind", "state", "version", "port", "center", "division", "entries"]
        rows = [[c.id, c.kind, c.state, c.version, c.port, c.center, c.division,
                 " ".join(c.entries)] for c in cases]
        if reasons:
            headers.append("blocked")
            for row, c in zip(rows, cases, strict=True):
                row.append(reasons.get(c.id, ""))
        table(headers, rows, wrap=["blocked", "entries"],
              optional=["division", "version", "port", "entries"])
    emit(settings, documents, render)


def list_deadlines(settings, *, before, kind, center, limit):
    from cee_workflow.cli import emit
    from cee_workflow.workflow.office_codes import require_office
    from cee_workflow.workflow.worklist import blocked as blocked_deadlines

    engine = settings.engine()
    require_office(engine.db, center, "center", "--center")
    rows = engine.pending_deadlines(due_before=before, kind=kind, center=center, limit=limit)
    stuck = [r for r in blocked_deadlines(engine, kind=kind, center=center)
             if before is None or r.due_at <= before]
    rows = sorted(rows + stuck, key=lambda r: (r.due_at, r.case_id, r.timer))
    today = today_of(settings)

    def render():
        table(["case", "timer", "kind", "state", "last day", "days left", "due (ET)", "action",
               "status", "level", "rule", "reason"],
              [[r.case_id, r.timer, r.kind, r.state, r.last_day, days_left(r.last_day, today),
                eastern(r.due_at), r.action or "escalate", r.status, LEVEL_NAMES[r.level],
                r.citation, r.reason or ""] for r in rows],
              wrap=["reason"], optional=["reason", "rule", "state", "due (ET)", "action"])
    emit(settings, [r.to_dict() for r in rows], render)



def with_blocked(engine, *, before, kind, center, page, stream, importer=None, db=None):
    """`deadlines list`'s page and stream readers with the blocked deadlines ahead of the pending
    ones: all of them on the first page (a few; each waits on the law), none after it (a cursor
    names a pending row). `engine` may be a callable that makes the engine: it is called only
    if `db` (the database, read with Core) holds a blocked deadline at all — the reasons need
    the rulebooks, a list of pending rows does not."""
    from cee_workflow.workflow.views import Page

    def stuck():
        if db is not None and not any_blocked(db):
            return []
        from cee_workflow.workflow.worklist import blocked as blocked_deadlines

        made = engine() if callable(engine) else engine
        return [r for r in blocked_deadlines(made, kind=kind, center=center,
                                             importer=importer)
                if before is None or r.due_at <= before]

    def first_page(*, after=None, limit):
        shown = page(after=after, limit=limit)
        if after is not None:
            return shown
        return Page(items=(*stuck(), *shown.items), next=shown.next)

    def every_row(*, after=None):
        if after is None:
            yield from stuck()
        yield from stream(after=after)

    return first_page, every_row


def any_blocked(db) -> bool:
    """Whether any deadline is blocked (ix_cee_deadline_blocked: no scan of the others)."""
    import sqlalchemy as sa

    from cee_workflow.storage.database import snapshot

    with snapshot(db) as connection:
        return connection.execute(sa.text(
            # ordered as the index is: SQLite would otherwise scan ix_cee_deadline_case whole
            "SELECT 1 FROM cee_deadline WHERE status = 'blocked' ORDER BY due_at, id LIMIT 1")
        ).first() is not None
