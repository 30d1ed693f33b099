"""`cee demo`: a realistic story on a new simulation database, told through the public API."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta

from cee_workflow.states.calendar import LEGAL_TZ
from cee_workflow.workflow.clock import SettableClock
from cee_workflow.workflow.engine import Engine
from cee_workflow.workflow.errors import InvalidInput, WorkflowError
from cee_workflow.workflow.views import CaseView

Say = Callable[..., None]

ACME, BOLT = "12-3456789AB", "98-7654321CD"
ENTRY_A, ENTRY_B, ENTRY_C = "112-7296677-8", "112-7298503-4", "112-7324623-8"
ENTRY_D, ENTRY_E = "112-7300015-5", "112-7300023-9"
ENTRY_F, ENTRY_G = "112-7300031-2", "112-7300049-4"
ENTRY_H = "112-7300056-9"


def at(day: str, hour: int = 10) -> datetime:
    return datetime.combine(date.fromisoformat(day), time(hour), tzinfo=LEGAL_TZ)


def run_demo(url: str, say: Say) -> list[CaseView]:
    """Build the story on `url` (a new or simulation database); returns every case."""
    clock = SettableClock(at("2025-01-06"))
    engine = Engine(url, clock=clock)
    try:
        _prepare(engine)
        _story(engine, clock, say)
        return engine.list_cases()
    finally:
        engine.close()


def _prepare(engine: Engine) -> None:
    from cee_workflow.storage.database import schema_revision

    if schema_revision(engine.db) is not None:
        if not engine.is_simulation():
            raise InvalidInput("the demo runs only on a new or simulation database; "
                               "give --db a new file, or omit it")
        if engine.list_cases(limit=1):
            raise InvalidInput("this simulation database already holds cases; give the demo "
                               "a new --db")
    engine.upgrade(simulation=True)


def _story(engine: Engine, clock: SettableClock, say: Say) -> None:
    say("Register the people: officers of center 007 (Electronics), 003 (Automotive), port 2704")
    engine.add_officer("ana.lee", name="Ana Lee", office="007", unit="partnership")
    engine.add_officer("raj.patel", name="Raj Patel", office="003", unit="validation")
    engine.add_officer("pete.ortiz", name="Pete Ortiz", office="2704")
    say("officers", "ana.lee (center 007/partnership), raj.patel (center 003/validation), "
                    "pete.ortiz (port 2704)")
    engine.add_importer(ACME, name="Acme Electronics", center="007", trusted=["ctpat"])
    engine.add_importer(BOLT, name="Bolt Motors", center="003")
    say("importers", f"{ACME} Acme Electronics (C-TPAT → partnership), "
                     f"{BOLT} Bolt Motors (→ validation)")
    pete, ana, raj = engine.actor("pete.ortiz"), engine.actor("ana.lee"), engine.actor("raj.patel")
    acme, bolt = engine.actor(f"filer:{ACME}"), engine.actor(f"filer:{BOLT}")

    say("2025-01-06  Entries arrive; each opens its liquidation case")
    a = engine.add_entry(ENTRY_A, importer=ACME, port="2704", entry_date=date(2025, 1, 6),
                         actor=pete)
    b = engine.add_entry(ENTRY_B, importer=ACME, port="2704", entry_date=date(2025, 1, 6),
                         actor=pete)
    c = engine.add_entry(ENTRY_C, importer=BOLT, port="3801", entry_date=date(2025, 1, 6),
                         actor=raj)
    for case in (a, b, c):
        say(case.id, f"{case.state}, must liquidate by {case.data['liquidation_deadline']} "
                     "(19 U.S.C. 1504(a))")
    _refused(say, "entry with a wrong check digit", lambda: engine.add_entry(
        "112-7296677-9", importer=ACME, port="2704", entry_date=date(2025, 1, 6), actor=pete))

    say("2025-01-10  The importer asks for more time on entry B; center 007 extends it")
    clock.move_to(at("2025-01-10"))
    b = engine.advance(b.id, "extend", actor=ana, inputs={"reason": "02"},
                       note="importer request: pending valuation ruling")
    say(b.id, f"{b.state} ({b.data['extensions']} of 3), new deadline "
              f"{b.data['liquidation_deadline']} (19 CFR 159.12)")

    say("2025-01-13  Centers set entries A and C for the Friday bulletin of 2025-02-07")
    clock.move_to(at("2025-01-13"))
    engine.advance(a.id, "schedule", actor=ana, inputs={"date": "2025-02-07"})
    engine.advance(c.id, "schedule", actor=raj, inputs={"date": "2025-02-07"})
    clock.move_to(at("2025-02-07"))
    a = engine.advance(a.id, "liquidate", actor=ana, inputs={"type": "2"}, note="bill: duty rate")
    c = engine.advance(c.id, "liquidate", actor=raj)
    say("2025-02-07  Bulletin posted", f"{a.id} and {c.id} liquidated; protests due by "
                                        f"{a.data['protest_deadline']}")

    say("2025-03-03  Bolt protests entry C in time; center 003 accepts it, then lets it sit")
    clock.move_to(at("2025-03-03"))
    bolt_protest = engine.open_case("protest", actor=bolt, entries=[ENTRY_C], reason="valuation")
    engine.advance(bolt_protest.id, "accept", actor=raj)
    say(bolt_protest.id, "accepted; the center must decide within 2 years (19 CFR 174.21(a))")

    say("2025-06-02  Acme protests the classification of entry A (day 115 of 180)")
    clock.move_to(at("2025-06-02"))
    protest = engine.open_case("protest", actor=acme, entries=[ENTRY_A],
                               reason="classification under 8471.30 not 8517.62")
    say(protest.id, f"{protest.state} (number = port 2704 + year 25 + serial)")
    protest = engine.advance(protest.id, "accept", actor=pete, note="received at 2704")
    say("port 2704 accepts it (JOINT authority)", protest.state)
    _refused(say, "port officer tries to allow it", lambda: engine.advance(
        protest.id, "allow", actor=pete))
    clock.move_to(at("2025-07-15"))
    protest = engine.advance(protest.id, "allow", actor=ana, note="8471.30 applies")
    a = engine.get(a.id)
    say("2025-07-15  Center 007 allows the protest", f"{protest.id} {protest.state}; "
        f"{a.id} {a.state} on {a.data['reliquidated_on']} in the same transaction "
        "(19 CFR 173.2(d)), a new 180-day protest period")

    say("2025-08-01  Acme protests the reliquidation of entry A and, 90 days on, asks for "
        "accelerated disposition")
    clock.move_to(at("2025-08-01"))
    second = engine.open_case("protest", actor=acme, entries=[ENTRY_A], reason="appraisement")
    engine.advance(second.id, "accept", actor=pete)
    say("2025-08-07  Bolt protests entry C one day too late (day 181)")
    clock.move_to(at("2025-08-07"))
    _refused(say, "untimely protest", lambda: engine.open_case(
        "protest", actor=bolt, entries=[ENTRY_C], reason="valuation"))
    _refused(say, "Bolt's filer tries to protest Acme's entry", lambda: engine.open_case(
        "protest", actor=bolt, entries=[ENTRY_A], reason="valuation"))

    clock.move_to(at("2025-10-30"))
    second = engine.advance(second.id, "request_accelerated_disposition", actor=acme)
    say(second.id, f"{second.state}: deemed denied if undecided in 30 days (19 U.S.C. 1515(b))")

    _post_summary_corrections(engine, clock, say)  # 2025-11-03 … 11-12
    _prior_disclosure_scene(engine, clock, say)  # 2025-11-13 … 2026-03-02
    _suspension_and_unreviewed_psc(engine, clock, say)  # 2026-03-02 … 03-27
    _deemed_denials_scene(engine, clock, say)  # 2026-03-30 … 05-04

    _sweep_forward(engine, clock, say, until="2027-04-30")
    report = engine.verify_audit()
    say("Audit", f"{report.cases} cases, {report.events} events, every hash chain verifies"
        if report.ok else f"BROKEN: {report.broken}")


def _prior_disclosure_scene(engine: Engine, clock: SettableClock, say: Say) -> None:
    """Acme discloses an undervaluation orally; the center calculates the loss; the port's FP&F
    officer extends the tender period, and finds the disclosure valid (19 CFR 162.74). Bolt
    tenders with its disclosure, which covers the loss once it is calculated."""
    engine.add_officer("fay.nguyen", name="Fay Nguyen", office="2704", unit="fpf")
    fay, ana, pete = engine.actor("fay.nguyen"), engine.actor("ana.lee"), engine.actor("pete.ortiz")
    acme = engine.actor(f"filer:{ACME}")

    say("2025-11-13  Acme discloses, by telephone, undervalued royalties on its 2025 entries "
        "at port 2704 (prior disclosure)")
    _time_passes(engine, clock, say, "2025-11-13")
    pd = engine.open_case("prior_disclosure", actor=acme, entries=[ENTRY_B], importer=ACME,
                          port="2704", form="oral", description="royalties left out of value",
                          entries_port="2704", entries_from="2025-01-01", entries_to="2025-06-30")
    say(pd.id, f"{pd.state} ({pd.data['form']}), routed to center {pd.center}/{pd.division}: "
               "confirm in writing within 10 days, perfect within 30 (19 CFR 162.74)")
    _time_passes(engine, clock, say, "2025-11-21")
    engine.advance(pd.id, "confirm_in_writing", actor=acme)
    _time_passes(engine, clock, say, "2025-12-01")
    engine.advance(pd.id, "perfect", actor=acme, note="royalty agreements attached")
    _time_passes(engine, clock, say, "2025-12-08")
    pd = engine.advance(pd.id, "calculate_loss", actor=ana, inputs={"amount": "18,240.00"})
    say("2025-12-08  Center 007 validates it and notifies the loss",
        f"{pd.data['loss_amount']}; tender within 30 days (19 CFR 162.74(c))")
    _refused(say, "a port officer outside FP&F extends the tender period", lambda: engine.advance(
        pd.id, "extend_period", actor=pete, inputs={"reason": "year-end close"}))
    _time_passes(engine, clock, say, "2025-12-29")
    pd = engine.advance(pd.id, "extend_period", actor=fay,
                        inputs={"reason": "year-end close", "until": "2026-01-15"})
    say("2025-12-29  The port's FP&F officer extends the tender period for good cause",
        f"to {pd.data['tender_extended_to']}")
    _time_passes(engine, clock, say, "2026-01-14")
    engine.advance(pd.id, "tender", actor=acme, inputs={"amount": "18240.00"})
    engine.advance(pd.id, "refer_to_fpf", actor=ana, note="validation review attached")
    _time_passes(engine, clock, say, "2026-01-28")
    pd = engine.advance(pd.id, "find_valid", actor=fay)
    say("2026-01-28  Port 2704 FP&F finds the prior disclosure valid",
        f"{pd.id} {pd.state} (19 CFR 162.74(a)(2)); penalty limited by 19 U.S.C. 1592(c)(4)")
    pd = engine.advance(pd.id, "close", actor=fay)
    say(pd.id, pd.state)

    # Bolt tenders with its disclosure (162.74(c)): the tender covers the loss once calculated.
    raj, bolt = engine.actor("raj.patel"), engine.actor(f"filer:{BOLT}")
    _time_passes(engine, clock, say, "2026-02-02")
    pd = engine.open_case("prior_disclosure", actor=bolt, importer=BOLT, port="2704",
                          form="written", description="assists not declared", tender="4,100.00")
    say("2026-02-02  Bolt discloses in writing, tendering with the disclosure",
        f"{pd.id}: {pd.data['disclosure_tender']} tendered; routed to center {pd.center}/"
        f"{pd.division}")
    _time_passes(engine, clock, say, "2026-02-09")
    engine.advance(pd.id, "perfect", actor=bolt, note="assist invoices attached")
    _time_passes(engine, clock, say, "2026-02-23")
    pd = engine.advance(pd.id, "calculate_loss", actor=raj, inputs={"amount": "3,975.00"})
    say("2026-02-23  Center 003 calculates the loss",
        f"{pd.data['loss_amount']}: covered by the tender at disclosure, applied by the next "
        "sweep (no 30 days to tender)")
    _time_passes(engine, clock, say, "2026-03-02")
    pd = engine.advance(pd.id, "refer_to_fpf", actor=raj)
    pd = engine.advance(pd.id, "find_valid", actor=fay)
    say("2026-03-02  Port 2704 FP&F finds Bolt's disclosure valid",
        f"{pd.id} {pd.state}; tendered {pd.data['tender_amount']} on {pd.data['tendered_on']}")


def _post_summary_corrections(engine: Engine, clock: SettableClock, say: Say) -> None:
    """A PSC refused for lateness, and one validated, reviewed and accepted (19 CFR 101.9(b))."""
    say("2025-11-03  Acme corrects entry summaries: a PSC lies within 300 days of entry and "
        "at least 15 days before the scheduled liquidation (19 CFR 101.9(b))")
    _time_passes(engine, clock, say, "2025-11-03")
    pete, ana, acme = (engine.actor("pete.ortiz"), engine.actor("ana.lee"),
                       engine.actor(f"filer:{ACME}"))
    engine.add_entry(ENTRY_D, importer=ACME, port="2704", entry_date=date(2025, 1, 6), actor=pete)
    engine.add_entry(ENTRY_E, importer=ACME, port="2704", entry_date=date(2025, 9, 2), actor=pete)
    say("entries on record", f"{ENTRY_D} entered 2025-01-06, {ENTRY_E} entered 2025-09-02")
    _refused(say, "PSC on entry D, day 301", lambda: engine.open_case(
        "psc", actor=acme, entries=[ENTRY_D], reason="country of origin"))
    _refused(say, "PSC on liquidated entry A", lambda: engine.open_case(
        "psc", actor=acme, entries=[ENTRY_A], reason="country of origin"))
    psc = engine.open_case("psc", actor=acme, entries=[ENTRY_E], reason="value of assists omitted")
    say(psc.id, f"{psc.state}, routed to {psc.division} (C-TPAT); last permitted day "
                f"{psc.data['last_permitted_day']} ({psc.data['filing_limit']})")
    for line in (result := engine.sweep()).fired + result.escalated + result.blocked:
        say("2025-11-03 sweep", line)  # ACE validates the PSC at once
    _time_passes(engine, clock, say, "2025-11-05")
    psc = engine.advance(psc.id, "take_into_review", actor=ana)
    say("2025-11-05  Center 007 takes it into team review",
        f"{psc.state}; decide by {psc.data['review_due_on']} (Partnership service level)")
    _time_passes(engine, clock, say, "2025-11-12")
    psc = engine.advance(psc.id, "accept_changes", actor=ana, note="assists documented")
    say("2025-11-12  Center 007 accepts the changes",
        f"{psc.id} {psc.state}: entry summary {ENTRY_E} is now version "
        f"{psc.data['summary_version']}")


def _suspension_and_unreviewed_psc(engine: Engine, clock: SettableClock, say: Say) -> None:
    """An AD/CVD entry suspended from entry and lifted on Commerce's notice (19 U.S.C. 1504(d));
    a validated PSC nobody reviews, liquidating on its bulletin (REFERENCE.md §3)."""
    pete, ana, acme = (engine.actor("pete.ortiz"), engine.actor("ana.lee"),
                       engine.actor(f"filer:{ACME}"))
    say("2026-03-02  An AD/CVD entry of 2024-04-01, suspended from entry (reason 04), is "
        "recorded; Commerce's notice lifting the suspension reached CBP on 2026-02-20")
    f = engine.add_entry(ENTRY_F, importer=ACME, port="2704", entry_date=date(2024, 4, 1),
                         actor=pete, suspended="04")
    say(f.id, f"{f.state} from {f.data['suspended_from']}: no deadline runs (1504(b))")
    f = engine.advance(f.id, "lift_suspension", actor=ana,
                       inputs={"notice_received_on": "2026-02-20"})
    say(f.id, f"lifted on the notice of {f.data['notice_received_on']}: deemed liquidated "
              f"after {f.data['liquidation_deadline']} unless liquidated (1504(d))")
    g = engine.add_entry(ENTRY_G, importer=ACME, port="2704", entry_date=date(2026, 1, 5),
                         actor=pete)
    engine.advance(g.id, "schedule", actor=ana, inputs={"date": "2026-03-27"})
    psc = engine.open_case("psc", actor=acme, entries=[ENTRY_G], reason="quantity corrected")
    engine.sweep()  # ACE validates it: the PSC has replaced the summary
    say(psc.id, f"{engine.get(psc.id).state}: entry summary {ENTRY_G} is now version "
                f"{engine.get(psc.id).data['summary_version']}; nobody takes it into review")
    _time_passes(engine, clock, say, "2026-03-27")
    engine.sweep()  # the bulletin's Friday: nothing holds the entry
    g, psc = engine.get(g.id), engine.get(psc.id)
    say("2026-03-27  Bulletin posted", f"{g.id} {g.state} on {g.data['liquidated_on']} at "
        f"summary version {psc.data['summary_version']}; {psc.id} {psc.state} by the system "
        f"(remedy: {psc.data['remedy']})")


def _deemed_denials_scene(engine: Engine, clock: SettableClock, say: Say) -> None:
    """Two protests nobody decides: an exclusion protest, denied by law on the 30th day after
    filing (19 U.S.C. 1499(c)(5)(B)); a protest with accelerated disposition requested at filing,
    deemed denied at the close of the 30th day after the request was mailed (1515(b); 174.22).
    Each deemed denial binds: the 180 days to summon run from it (1515(c); 28 U.S.C. 2636(a))."""
    pete, ana, acme = (engine.actor("pete.ortiz"), engine.actor("ana.lee"),
                       engine.actor(f"filer:{ACME}"))
    _time_passes(engine, clock, say, "2026-03-30")
    say("2026-03-30  Port 2704 excludes Acme's merchandise of a new entry by written notice of "
        "2026-03-25; Acme protests the exclusion; the entry is not liquidated")
    engine.add_entry(ENTRY_H, importer=ACME, port="2704", entry_date=date(2026, 3, 2),
                     actor=pete)
    exclusion = engine.open_case("protest", actor=acme, entries=[ENTRY_H],
                                 protested="exclusion", decision_date="2026-03-25",
                                 reason="admissible: labels corrected")
    exclusion = engine.advance(exclusion.id, "accept", actor=pete)
    say(exclusion.id, f"{exclusion.state}: an exclusion protest not decided before the 30th "
                      "day after filing is denied on that day (19 U.S.C. 1499(c)(5)(B))")
    accelerated = engine.open_case("protest", actor=acme, entries=[ENTRY_G],
                                   reason="quantity: short shipment")
    accelerated = engine.advance(accelerated.id, "request_accelerated_disposition", actor=acme,
                                 inputs={"mailed_on": "2026-03-30"},
                                 note="certified mail, with the protest")
    say(accelerated.id, f"{accelerated.state}: accelerated disposition requested with the "
                        f"protest, mailed {accelerated.data['accelerated_requested_on']}; "
                        "deemed denied at the close of the 30th day (19 CFR 174.22(d))")
    _time_passes(engine, clock, say, "2026-04-29")
    _refused(say, "center 007 decides the exclusion protest on day 30", lambda: engine.advance(
        exclusion.id, "allow", actor=ana))
    _time_passes(engine, clock, say, "2026-05-04")
    for line in (result := engine.sweep()).fired + result.escalated + result.blocked:
        say("2026-05-04", line)
    for case in (engine.get(exclusion.id), engine.get(accelerated.id)):
        say(case.id, f"{case.state} ({case.data['decision']}) on {case.data['denied_on']} "
                     f"({case.data['deemed_by']}); summons window from "
                     f"{case.data['summons_from']}")


def _sweep_forward(engine: Engine, clock: SettableClock, say: Say, until: str) -> None:
    """The scheduler's view: sweep once a week to `until`, printing what the law did."""
    say("The scheduler sweeps forward in time (weekly) to " + until)
    _time_passes(engine, clock, say, until, inclusive=True)


def _time_passes(engine: Engine, clock: SettableClock, say: Say, until: str, *,
                 inclusive: bool = False) -> None:
    """Move the clock to `until`, the scheduler sweeping weekly on the way as it would."""
    day, last = clock.now(), at(until)
    while day < last or (inclusive and day == last):
        clock.move_to(day)
        result = engine.sweep()
        for line in result.fired + result.escalated + result.blocked:
            say(f"{day:%Y-%m-%d}", line)
        day += timedelta(days=7)
    clock.move_to(last)


def _refused(say: Say, what: str, action: Callable[[], object]) -> None:
    try:
        action()
    except WorkflowError as error:
        say(f"refused ({what}, exit {error.exit_code})", error.message)
    else:  # pragma: no cover — the story depends on these refusals
        raise AssertionError(f"the demo expected a refusal: {what}")
