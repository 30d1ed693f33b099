"""`audit verify`: every case's chain and fold, the numbers the database issued, and (given
one) a signed checkpoint. What each check proves, and what none can, is in the README
("What the audit proves")."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from sqlmodel import Session

from cee_workflow.states import LIFECYCLES
from cee_workflow.storage import audit_reads, queries
from cee_workflow.storage.database import is_simulation, transaction
from cee_workflow.workflow import registry_chain
from cee_workflow.workflow.advance import entry_facts
from cee_workflow.workflow.audit_fold import check_case
from cee_workflow.workflow.errors import NotFound
from cee_workflow.workflow.views import AuditReport


def verify(engine, case_id: str | None = None, *, batch: int = 500,
           checkpoint: str | Path | None = None, public_key: str | Path | None = None
           ) -> AuditReport:
    broken: list[str] = []
    proven: list[str] = []
    cases = events = 0
    timed = not is_simulation(engine.db)
    with transaction(engine.db, write=False) as session:
        if case_id is not None:
            case = queries.get_case(session, case_id)
            if case is None:
                raise NotFound("case", case_id, "list cases with `cee case list`")
            pages: Iterator[list] = iter([[case]])
        else:
            pages = _pages(session, batch)
        for page in pages:
            ids = [c.id for c in page]
            by_case = audit_reads.events_of_cases(session, ids)
            deadlines = audit_reads.deadlines_of_cases(session, ids)
            for case in page:
                cases += 1
                events += len(by_case[case.id])
                broken.extend(str(p) for p in check_case(
                    case, by_case[case.id], deadlines[case.id], engine.params,
                    _entries_reader(session, case.id), timed=timed))
        if case_id is None:
            broken.extend(numbering(session))
            broken.extend(registry_chain.problems(session.connection()))
    if not broken:
        proven.append(("the registry's chain links, and every office, officer, importer and "
                       "administrator row is the fold of its registry events; ")
                      * (case_id is None)
                      + "every case equals the fold of its chained events; its pending timers "
                      "are those its state arms"
                      + ("; its events' instants never go backwards" if timed else
                         " (a simulation database: instants are set by hand, not checked)"))
    if checkpoint is not None:
        from cee_workflow.workflow.checkpoint import verify_checkpoint

        found, signed = verify_checkpoint(engine.db, checkpoint, public_key)
        broken.extend(found)
        proven.extend(signed)
    return AuditReport(cases=cases, events=events, broken=tuple(broken), proven=tuple(proven))


def _pages(session: Session, batch: int) -> Iterator[list]:
    after = None
    while page := audit_reads.cases_page(session, after, batch):
        yield page
        after = page[-1].id
        session.expunge_all()  # bounded memory over millions of cases


def _entries_reader(session: Session, case_id: str):
    def read():
        numbers = queries.entries_of_cases(session, [case_id])[case_id]
        return entry_facts(session, numbers) if numbers else ()
    return read


def numbering(session: Session) -> list[str]:
    """What the numbers the database issued say was removed or renumbered."""
    problems = []
    for cid, case_seq, seq in audit_reads.orphan_events(session):
        problems.append(f"case {cid} event #{case_seq} (seq {seq}): its case row is gone: "
                        "the case was deleted")
    count, first, last = audit_reads.seq_bounds(session)
    issued = audit_reads.issued_seq(session)
    if issued is not None and last > issued:
        problems.append(f"event seq {last} is beyond the last number the database issued "
                        f"({issued}): the outbox sequence was renumbered")
    if session.get_bind().dialect.name == "sqlite":
        # SQLite numbers a row max(seq)+1, and a rolled-back row's number is used again: its
        # sequence has no gaps unless events were deleted (PostgreSQL's does, on rollback).
        if count and first != 1:
            problems.append(f"events seq 1 to {first - 1} are missing: they were deleted")
        for before, after in audit_reads.seq_gaps(session):
            problems.append(f"events seq {before + 1} to {after - 1} are missing (between "
                            f"seq {before} and {after}): they were deleted or renumbered")
    prefixes = {kind: lifecycle.prefix for kind, lifecycle in LIFECYCLES.items()}
    for key, value in audit_reads.serials(session):
        kind, port, year = (key.split(":") + ["", ""])[:3]
        if kind not in prefixes or not year.isdigit():
            continue
        ids = [f"{prefixes[kind]}-{port}{int(year):02d}{n:06d}" for n in range(1, value + 1)]
        present = audit_reads.existing_cases(session, ids)
        for case_id in (i for i in ids if i not in present):
            problems.append(f"case {case_id}: its number was issued (serial {key} is at "
                            f"{value}) but the case is gone: it was deleted")
    liquidation = LIFECYCLES["liquidation"].prefix
    for number in audit_reads.entries_without_case(session, liquidation):
        problems.append(f"case {liquidation}-{number}: entry {number} is registered but its "
                        "liquidation case (opened with it) is gone: it was deleted")
    for case_id in audit_reads.case_entries_without_case(session):
        problems.append(f"case {case_id}: its entries are recorded but the case is gone: it "
                        "was deleted")
    return problems
