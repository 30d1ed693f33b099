"""The engine: the one API the CLI, the scheduler and embedding applications use."""

from __future__ import annotations

import logging
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, date, datetime
from itertools import islice
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from cee_workflow.states import LIFECYCLES
from cee_workflow.states.base import STAY, Facts
from cee_workflow.states.params import DEFAULT_PARAMS, RuleParams
from cee_workflow.storage import queries, single
from cee_workflow.storage.database import is_simulation, schema_revision, transaction
from cee_workflow.storage.lock_order import lock_with_neighbours
from cee_workflow.storage.models import Case
from cee_workflow.workflow.advance import (
    Context,
    apply,
    entry_facts,
    lifecycle_of,
    parse_inputs,
    scope_of,
)
from cee_workflow.workflow.clock import Clock, SystemClock
from cee_workflow.workflow.deprecation import renamed
from cee_workflow.workflow.engine_open import OpeningMixin
from cee_workflow.workflow.engine_registry import RegistryMixin
from cee_workflow.workflow.entry_facts import facts_from_naming
from cee_workflow.workflow.errors import (
    LOST_AT_COMMIT,
    BackdatingRefused,
    Conflict,
    ConnectionLost,
    InvalidInput,
    NotFound,
    NotPermitted,
    WorkflowError,
    database_fault,
    is_lock_conflict,
)
from cee_workflow.workflow.identifiers import parse_entry_number
from cee_workflow.workflow.identity import still_active
from cee_workflow.workflow.jurisdiction import SYSTEM, Actor, authorize
from cee_workflow.workflow.lock_order import kind_of, reaches_other_cases
from cee_workflow.workflow.parties import acting_of, with_entry_parties
from cee_workflow.workflow.reader import (
    Reader,
    case_filters,
    iter_case_pages,
    read_case_page,
)
from cee_workflow.workflow.views import (
    AuditReport,
    Availability,
    CaseView,
    DeadlineView,
    EventView,
    Page,
)

if TYPE_CHECKING:  # the bulk and sweep modules load when first used
    from cee_workflow.workflow.bulk import BulkResult, Progress, Selection
    from cee_workflow.workflow.sweep import SweepResult

log = logging.getLogger("cee.workflow")
# PostgreSQL: how many times an advance chosen as a deadlock victim is retried before it is
# reported as Conflict (exit 6).
DEADLOCK_RETRIES = 3
Subscriber = Callable[[list[EventView]], None]


class Engine(OpeningMixin, RegistryMixin, Reader):
    """`Engine(url, clock=…, params=…)`: open, advance, inspect and audit cases.

    Every write is one transaction; subscribers are called after it commits with the events it
    wrote. Time comes from the injected clock: instants in UTC, legal dates in America/New_York.
    The reads of one case (`get`, `history`, `deadlines`, `show`) and `check_schema` and `close`
    are the Reader's.
    """

    def __init__(self, url: str | None = None, *, clock: Clock | None = None,
                 params: RuleParams = DEFAULT_PARAMS) -> None:
        super().__init__(url)
        self.clock: Clock = clock or SystemClock()
        self.params = params
        self._subscribers: list[Subscriber] = []
        self._simulation: bool | None = None  # known once the schema exists; never changes
        self._resolved: dict[int, weakref.ref] = {}  # the actors `actor()` resolved

    # --- set-up ---------------------------------------------------------------------------

    def upgrade(self, *, simulation: bool = False, admin: str | None = None,
                admin_login: str | None = None, admin_name: str | None = None) -> int:
        """Apply migrations, seed the centers and ports, and re-arm the open cases whose timers
        an earlier rulebook armed (workflow/rulebook_update.py); returns how many it re-armed.
        Idempotent. `admin`: name the first registry administrator, once (its login:
        `admin_login`, default the established login of whoever runs this;
        workflow/registry_ops.py)."""
        from cee_workflow.storage import migrate  # alembic loads only when migrating
        from cee_workflow.workflow.rulebook_update import apply_rulebook

        try:
            migrate.upgrade(self.db, simulation=simulation)
        except migrate.SimulationRefused as refused:
            raise BackdatingRefused(str(refused)) from None
        self._simulation = None
        if admin is not None:
            from cee_workflow.workflow.identity import established_login
            from cee_workflow.workflow.registry_ops import bootstrap_admin

            self._require_real_time()
            bootstrap_admin(self.db, admin, admin_login or established_login(self.db),
                            self.clock.now(), admin_name)
        return apply_rulebook(self.db, self._write)

    def is_simulation(self) -> bool:
        """Whether the database was created with `upgrade(simulation=True)` (clock may move)."""
        if self._simulation is None:
            found = is_simulation(self.db)
            if found or schema_revision(self.db) is not None:
                self._simulation = found
            return found
        return self._simulation

    def _require_real_time(self, now: datetime | None = None) -> None:
        """On a real database every event is recorded at the system clock's instant: a settable
        clock or an explicit instant is refused (BackdatingRefused) before anything is read."""
        if self.is_simulation():
            return
        if not isinstance(self.clock, SystemClock) or now is not None:
            raise BackdatingRefused(
                "this is a real (non-simulation) database: events are recorded at the system "
                "clock's instant, so a settable clock or a chosen instant cannot be used; "
                "create a simulation database with `cee db upgrade --simulation`")

    def subscribe(self, callback: Subscriber) -> None:
        """Call `callback(events)` after each committed write."""
        self._subscribers.append(callback)

    # --- cases ----------------------------------------------------------------------------

    def advance(self, case_id: str, trigger: str, *, actor: Actor, note: str = "",
                inputs: Mapping[str, Any] | None = None,
                expected_version: int | None = None) -> CaseView:
        """Take `trigger` on the case as `actor`, in one transaction.

        `expected_version` (the version the actor decided on) turns a concurrent change into
        Conflict instead of acting on a case the actor has not seen.
        """
        if actor is SYSTEM:
            raise NotPermitted("the system actor is the scheduler's alone", case=case_id,
                               trigger=trigger)
        self._admit(actor, active_check=False)  # active: checked in the transaction
        for attempt in range(DEADLOCK_RETRIES + 1):
            try:
                return self._advance(case_id, trigger, actor=actor, note=note, inputs=inputs,
                                     expected_version=expected_version)
            except Conflict as error:  # a deadlock victim: the whole transaction again
                if not is_lock_conflict(error.__cause__) or attempt == DEADLOCK_RETRIES:
                    raise
        raise AssertionError("unreachable")

    def _advance(self, case_id: str, trigger: str, *, actor: Actor, note: str,
                 inputs: Mapping[str, Any] | None, expected_version: int | None) -> CaseView:
        with self._write() as ctx:
            still_active(ctx.connection(), actor)  # deactivated: refused as it acts
            # The case, its entries and their facts in one statement (the entries are read
            # once per transaction: Context.entries_of; the facts are used once, by `apply`).
            # The global lock order (storage/lock_order.py): a trigger that writes other
            # cases locks its case and theirs first, in id order, in the statement that would
            # otherwise lock the case alone.
            locked = reaches_other_cases(kind_of(case_id), trigger) and lock_with_neighbours(
                ctx.connection(), [case_id])
            found = single.case_for_transition(ctx.connection(), case_id,
                                               for_update=not locked)
            if found is None:
                raise NotFound("case", case_id, "list cases with `cee case list`",
                               trigger=trigger)
            case, ctx.entries[case_id], naming = found
            # PostgreSQL: the instant once the case is locked (its events never go backwards).
            ctx.now = self.clock.now()
            ctx.today = self._today_of(ctx.now)
            if naming:
                ctx.facts[case_id] = facts_from_naming(ctx.entries[case_id], naming)
            updated = apply(ctx, case, trigger, actor, note=note, inputs=inputs or {},
                            expected_version=expected_version)
        return CaseView.of(updated, ctx.entries_of(case_id))  # as written: no re-read

    def advance_many(self, trigger: str, *, actor: Actor, case_ids: Iterable[str] | Selection,
                     note: str = "", inputs: Mapping[str, Any] | None = None,
                     batch_size: int | None = None,
                     progress: Progress | None = None) -> BulkResult:
        """Take `trigger` on many cases as `actor`, set-based, a batch per transaction.

        `case_ids`: case ids, or a `workflow.bulk.Selection`. Authority and jurisdiction are
        checked per group before anything is written (NotPermitted); a case whose guards refuse
        it, or that changed since it was selected, is skipped and reported in the BulkResult.
        `progress(handled, total)` is called after each batch commits.
        """
        from cee_workflow.workflow.bulk import advance_many

        if actor is SYSTEM:
            raise NotPermitted("the system actor is the scheduler's alone", trigger=trigger)
        self._admit(actor)
        self._require_real_time()
        return advance_many(self, trigger, actor=actor, cases=case_ids, note=note,
                            inputs=inputs, batch_size=batch_size, progress=progress)

    def liquidate_bulletin(self, day: date, *, actor: Actor, center: str | None = None,
                           batch_size: int | None = None,
                           progress: Progress | None = None) -> BulkResult:
        """Liquidate every entry of `center` (default: the actor's center) scheduled for the
        Friday bulletin of `day` (19 CFR 159.9(c)(1)); see `advance_many`. A re-run after an
        interruption finishes the job: only entries still scheduled are selected."""
        from cee_workflow.workflow.bulk import liquidate_bulletin

        if actor is SYSTEM:
            raise NotPermitted("the system actor is the scheduler's alone")
        self._admit(actor)
        self._require_real_time()
        return liquidate_bulletin(self, day, actor=actor, center=center,
                                  batch_size=batch_size, progress=progress)

    def review_entry(self, number: str, *, start: bool, actor: Actor,
                     note: str = "") -> CaseView:
        """Open (`start`) or close CBP review of an entry summary — no PSC may be filed while it
        is open (19 CFR 101.9(b)). Recorded as an event on the entry's liquidation case."""
        case_id = f"{LIFECYCLES['liquidation'].prefix}-{parse_entry_number(number)}"
        with transaction(self.db, write=False) as session:
            if queries.get_case(session, case_id) is None:
                raise NotFound("entry", number, "register it with `cee entry add`")
        trigger = "start_summary_review" if start else "finish_summary_review"
        return self.advance(case_id, trigger, actor=actor, note=note)

    def list_cases(self, *, kind: str | None = None, state: str | None = None,
                   center: str | None = None, port: str | None = None, overdue: bool = False,
                   escalated: bool = False, limit: int | None = None,
                   actor: Actor | None = None) -> list[CaseView]:
        """Cases in id order, filtered; `overdue`: a deadline is past due; `escalated`: a
        supervisor or director has been alerted (escalation level 2 or more); as a filer
        `actor`: only its own importer's cases. The whole list unless `limit`: at national
        scale, page (`case_page`) or stream (`iter_cases`)."""
        return list(islice(self.iter_cases(kind=kind, state=state, center=center, port=port,
                                           overdue=overdue, escalated=escalated, actor=actor),
                           limit))

    def case_page(self, *, after: str | None = None, limit: int = 50,
                  actor: Actor | None = None, **filters: Any) -> Page:
        """One page of `list_cases` (same filters) after the cursor `after`; `next` on it is
        the cursor of the following page (None on the last)."""
        return read_case_page(self.db, after, limit, self._case_filters(actor, **filters))

    def iter_cases(self, *, after: str | None = None, actor: Actor | None = None,
                   **filters: Any) -> Iterator[CaseView]:
        """`list_cases` as a stream, a page at a time: bounded memory at any size."""
        return iter_case_pages(self.db, after, self._case_filters(actor, **filters))

    def _case_filters(self, actor: Actor | None = None, **filters: Any) -> dict[str, Any]:
        own = self._read_scope(actor)  # a filer: its own importer's cases only
        return {**case_filters(self.clock.now(), **filters), "importer": own}

    def available(self, case_id: str, *, actor: Actor) -> list[Availability]:
        """Every trigger from the case's state, whether `actor` may take it now, and why not."""
        self._admit(actor)  # case show scopes the reading; the walk asks of any case
        today = self._today()
        with transaction(self.db, write=False) as session:
            case = self._require(session, case_id)
            lifecycle = lifecycle_of(case.kind)
            entries = queries.entries_of_cases(session, [case.id])[case.id]
            facts = entry_facts(session, entries)
            scope = with_entry_parties(session, scope_of(case, entries), entries, actor)
            result = []
            for trigger in dict.fromkeys(t.trigger for t in lifecycle.transitions_from(
                    case.state)):
                specs = [s for s in lifecycle.specs_for(trigger) if case.state in s.sources]
                result.append(_availability(specs, actor, case, scope, facts, today,
                                            self.params))
            return result

    def verify_audit(self, case_id: str | None = None, *, batch: int = 500,
                     checkpoint: str | None = None, public_key: str | None = None
                     ) -> AuditReport:
        """Check every case (or one): its hash chain, that its row is the fold of its events
        and its pending timers those its state arms; the event numbering; and, given a signed
        `checkpoint` and its `public_key`, that every event it covers is unchanged and present.
        Every problem is named in the report (README: "What the audit proves")."""
        from cee_workflow.workflow.audit_verify import verify

        return verify(self, case_id, batch=batch, checkpoint=checkpoint,
                      public_key=public_key)

    def checkpoint(self, key: str, out_dir: str = ".") -> str:
        """Sign the tree head of the event log with the Ed25519 key file `key` (kept outside
        the database) and write it to `out_dir`; returns the checkpoint file's path."""
        from cee_workflow.workflow.checkpoint import write_checkpoint

        return str(write_checkpoint(self.db, key, out_dir, self.clock.now()))

    def sweep(self, now: datetime | None = None, *, limit: int = 10_000,
              batch: int = 200) -> SweepResult:
        """One scheduler pass at `now` (default: the clock): warn, escalate, and fire what the
        law does by itself. Safe to run from several processes at once."""
        from cee_workflow.workflow.sweep import sweep

        self._require_real_time(now)
        if now is not None and now.tzinfo is None:
            raise InvalidInput("a sweep's instant must say its time zone (an aware datetime)")
        # Without `now`, each batch is dated by the clock as it commits (workflow.sweep).
        return sweep(self, now and now.astimezone(UTC), limit=limit, batch=batch)

    def forecast(self, until: datetime, *, center: str | None = None,
                 actor: Actor | None = None) -> list[dict[str, Any]]:
        """What the scheduler will do by `until`, per stage — without writing anything; each
        blocked fire with `why` (the guard's reason and citation). workflow/forecast.py says
        how it follows the sweep; `iter_forecast` streams it. A filer `actor`: only its own
        importer's cases."""
        return list(self.iter_forecast(until, center=center, actor=actor))

    def iter_forecast(self, until: datetime, *, center: str | None = None,
                      actor: Actor | None = None) -> Iterator[dict[str, Any]]:
        """`forecast` as a stream, case by case (bounded memory at any size)."""
        from cee_workflow.workflow.forecast import forecast

        return forecast(self, until, center=center, importer=self._read_scope(actor))

    def pending_deadlines(self, *, due_before: datetime | None = None,
                          kind: str | None = None, center: str | None = None,
                          limit: int | None = None, actor: Actor | None = None
                          ) -> list[DeadlineView]:
        """Pending deadlines of every case, soonest first; filtered (a filer `actor`: only its
        own importer's). Paged: `deadline_page`; streamed: `iter_deadlines` (both the Reader's,
        with `before` for `due_before`, `importer` for a filer's own)."""
        return list(islice(self.iter_deadlines(before=due_before, kind=kind, center=center,
                                               importer=self._read_scope(actor)), limit))

    def start_scheduler(self, interval: float = 60.0, checkpoints=None) -> None:
        """Sweep every `interval` seconds in a background thread (APScheduler); with
        `checkpoints` (workflow.scheduler.Checkpoints), sign a checkpoint at its interval."""
        from cee_workflow.workflow import scheduler

        if getattr(self, "_scheduler", None) is None:
            if checkpoints is not None:
                checkpoints.check()
            self._scheduler = scheduler.background(self, interval, checkpoints)

    def stop_scheduler(self, wait: bool = True) -> None:
        """Stop the background sweeps `start_scheduler` began (waiting for a pass in flight)."""
        if getattr(self, "_scheduler", None) is not None:
            self._scheduler.shutdown(wait=wait)
            self._scheduler = None

    if not TYPE_CHECKING:  # the names before 0.2 (they shadowed the built-ins)
        open = renamed("open", OpeningMixin.open_case)
        list = renamed("list", list_cases)

    # --- internals ------------------------------------------------------------------------

    @staticmethod
    def _today_of(now: datetime) -> date:
        from cee_workflow.states.calendar import legal_date
        return legal_date(now)

    def _today(self) -> date:
        from cee_workflow.states.calendar import legal_date
        return legal_date(self.clock.now())

    @contextmanager
    def _write(self):
        from cee_workflow.states.calendar import legal_date
        # A Core connection: the single advance runs on it alone; steps that need the ORM
        # (opening a case, registering an entry, cascades) get a session joined to it.
        committing = False
        try:
            self._require_real_time()  # reads the database once: its faults are typed too
            with self.db.begin() as conn:
                # The instant is taken once the transaction holds SQLite's write lock (BEGIN
                # IMMEDIATE), so that a case's events never go backwards (audit verify checks it).
                now = self.clock.now()
                ctx = Context(conn=conn, now=now, today=legal_date(now), params=self.params)
                try:
                    yield ctx
                    ctx.flush()
                finally:
                    ctx.close()
                committing = True  # leaving the block commits
        except sa.exc.DBAPIError as error:
            fault = database_fault(error)
            if committing and isinstance(fault, ConnectionLost):
                fault = ConnectionLost(LOST_AT_COMMIT)
            raise (fault or error) from error
        self._notify(ctx.events)

    def _notify(self, events: list[EventView]) -> None:
        if not events:
            return
        for callback in self._subscribers:
            try:
                callback(list(events))
            except Exception:  # a subscriber's failure must not undo a committed transition
                log.exception("subscriber %r failed", callback)

    def _case_row(self, ctx: Context, case_id: str, *, for_update: bool) -> Case:
        case = queries.get_case(ctx.session, case_id, for_update=for_update)
        if case is None:
            raise NotFound("case", case_id, "list cases with `cee case list`")
        return case

    def _require(self, session, case_id: str) -> Case:
        case = queries.get_case(session, case_id)
        if case is None:
            raise NotFound("case", case_id, "list cases with `cee case list`")
        return case


def _availability(specs, actor: Actor, case: Case, scope, entries, today: date,
                  params: RuleParams) -> Availability:
    spec = specs[0]
    why = None
    try:
        authorize(spec, actor, scope, today, params)
    except WorkflowError as refusal:
        why = refusal.message
    needs = tuple(i.name for i in spec.inputs if i.required)
    if why is None and not needs:  # guards that read inputs wait until the inputs are given
        facts = Facts(today=today, data=case.data, inputs=parse_inputs(spec, {}, today),
                      entries=entries, params=params, acting=acting_of(actor, scope))
        reasons = []
        for candidate in specs:
            refusal = candidate.refusal(facts)
            if refusal is None:
                reasons = []
                break
            reasons.append(f"{refusal.reason} ({refusal.guard.citation})")
        why = "; ".join(reasons) or None
    return Availability(trigger=spec.trigger, allowed=why is None, authority=spec.who,
                        citation=spec.citation,
                        summary=spec.summary + (" (stays in state)" if spec.dest == STAY else ""),
                        why_not=why, inputs=needs)

