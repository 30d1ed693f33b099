"""The prior-disclosure lifecycle (states/prior_disclosure.py) through the engine, on SQLite and
PostgreSQL: who may take each transition and on which cases, the opening (entries by number or by
port and dates), and the trade's periods at their edges — 10 days to confirm an oral disclosure,
30 to perfect it, 30 to tender after CBP's notice — with extensions and weekend roll-forward.
Timers, routing and the Enforcement notice: tests/test_prior_disclosure_timers.py.
REFERENCE.md §4, §6; 19 CFR 162.74.
"""

from __future__ import annotations

import pytest
from disclosures import (
    DISCLOSED,
    LOSS,
    NOTICE,
    assert_refused,
    disclose,
    disclosure_in,
    who,
)

from cee_workflow import InvalidInput, InvalidTransition, NotPermitted, RuleViolation

FILERS_ACTION = "is the filer's action"
NO_STANDING = "has no standing"
NOT_A_FILERS = "a filer cannot take it"
CENTER_DECIDES = "holds port authority — center 007 decides"
PORT_ACTS = "holds center authority — port 2704 acts"
NOT_FPF = "is not in unit fpf"
NOT_CENTER_005 = r"no jurisdiction over PD-\d{12}, a case of center 007"
NOT_PORT_3901 = r"no jurisdiction over PD-\d{12}, a case of port 2704"

ONLY_THE_FILER = {"p2704": FILERS_ACTION, "c007": FILERS_ACTION, "p2704-fpf": FILERS_ACTION,
                  "other filer": NO_STANDING}
ONLY_CENTER_007 = {"filer": NOT_A_FILERS, "p2704": CENTER_DECIDES, "p2704-fpf": CENTER_DECIDES,
                   "c005": NOT_CENTER_005}
ONLY_FPF_2704 = {"filer": NOT_A_FILERS, "p2704": NOT_FPF, "p2704-dir": NOT_FPF, "c007": PORT_ACTS,
                 "c007-sup": PORT_ACTS, "p3901-fpf": NOT_PORT_3901}


# --- authority and jurisdiction -----------------------------------------------------------------

TRANSITIONS = [  # trigger, from, disclosed as, inputs, who may, authority recorded, to, who may not
    ("confirm_in_writing", "disclosed", "oral", {}, "filer", "FILER", "disclosed", ONLY_THE_FILER),
    ("perfect", "disclosed", "written", {}, "filer", "FILER", "perfected", ONLY_THE_FILER),
    ("waive_confirmation", "disclosed", "oral", {"reason": "letter lost in the mail"},
     "p2704-fpf", "PORT", "disclosed", ONLY_FPF_2704),
    ("extend_period", "disclosed", "written", {"reason": "records abroad"}, "p2704-fpf", "PORT",
     "disclosed", ONLY_FPF_2704),
    ("calculate_loss", "perfected", "written", {"amount": LOSS}, "c007", "CENTER",
     "loss_calculated", ONLY_CENTER_007),
    ("tender", "loss_calculated", "written", {"amount": LOSS}, "filer", "FILER", "tendered",
     ONLY_THE_FILER),
    ("extend_period", "loss_calculated", "written", {"reason": "bank holiday abroad"},
     "p2704-fpf", "PORT", "loss_calculated", ONLY_FPF_2704),
    ("refer_to_fpf", "tendered", "written", {}, "c007", "CENTER", "referred", ONLY_CENTER_007),
    ("refer_to_fpf", "disclosed", "written", {}, "c007", "CENTER", "referred", ONLY_CENTER_007),
    ("find_valid", "referred", "written", {}, "p2704-fpf", "PORT", "valid", ONLY_FPF_2704),
    ("find_invalid", "referred", "written", {"reason": "investigation had begun"}, "p2704-fpf",
     "PORT", "invalid", ONLY_FPF_2704),
    ("close", "valid", "written", {}, "p2704-fpf", "PORT", "closed", ONLY_FPF_2704),
    ("close", "invalid", "written", {}, "p2704-fpf", "PORT", "closed", ONLY_FPF_2704),
    ("refer_for_penalty", "valid", "written", {}, "p2704-fpf", "PORT", "referred_for_penalty",
     ONLY_FPF_2704),
    ("refer_for_penalty", "invalid", "written", {}, "p2704-fpf", "PORT", "referred_for_penalty",
     ONLY_FPF_2704),
    ("withdraw", "disclosed", "written", {}, "filer", "FILER", "withdrawn", ONLY_THE_FILER),
    ("withdraw", "referred", "written", {}, "filer", "FILER", "withdrawn", ONLY_THE_FILER),
]


@pytest.mark.parametrize(
    ("trigger", "state", "form", "inputs", "allowed", "authority", "dest", "refused"),
    TRANSITIONS, ids=[f"{t[0]}-from-{t[1]}-by-{t[4]}" for t in TRANSITIONS])
def test_who_may_take_each_transition(cast, engine, trigger, state, form, inputs, allowed,
                                      authority, dest, refused):
    engine.add_officer("p3901-fpf", name="Port 3901 FP&F", office="3901", unit="fpf")
    case = disclosure_in(cast, state, form=form)
    for actor, match in refused.items():
        assert_refused(engine, case.id, trigger, who(cast, actor), match, **inputs)
    after = engine.advance(case.id, trigger, actor=who(cast, allowed), inputs=inputs)
    assert after.state == dest
    event = engine.history(case.id)[-1 if trigger != "refer_for_penalty" else -2]
    assert (event.trigger, event.actor, event.authority, event.regime) == (
        trigger, who(cast, allowed).label, authority, "center")


def test_only_the_importers_filer_may_disclose_and_a_refusal_opens_nothing(cast, engine):
    for actor, match in {"p2704": FILERS_ACTION, "c007": FILERS_ACTION,
                         "p2704-fpf": FILERS_ACTION, f"filer:{cast.ZETA}": NO_STANDING}.items():
        with pytest.raises(NotPermitted, match=match):
            disclose(cast, by=actor)
    assert engine.list_cases(kind="prior_disclosure") == []
    case = disclose(cast, form="oral", description="undervalued royalties")
    assert (case.id, case.kind, case.state, case.port, case.center) == (
        "PD-270425000001", "prior_disclosure", "disclosed", "2704", "007")
    assert (case.data["form"], case.data["disclosed_on"], case.data["description"]) == (
        "oral", DISCLOSED, "undervalued royalties")
    assert engine.history(case.id)[-1].authority == "FILER"


def test_a_found_disclosure_cannot_be_withdrawn_and_finished_ones_are_final(cast, engine):
    valid = disclosure_in(cast, "valid")
    assert_refused(engine, valid.id, "withdraw", who(cast, "filer"), "possible only from",
                   InvalidTransition)
    engine.advance(valid.id, "close", actor=who(cast, "p2704-fpf"))
    assert_refused(engine, valid.id, "refer_for_penalty", who(cast, "p2704-fpf"),
                   r"closed: refer_for_penalty is possible only from invalid, valid; "
                   r"possible now: none", InvalidTransition)


# --- opening: entries by number, or by port and approximate dates (162.74(b)(2)) ----------------

def test_entries_by_number_must_be_the_importers(cast, engine):
    acme_entry, zeta_entry = cast.entry(), cast.entry(importer=cast.ZETA)
    case = disclose(cast, entries=[acme_entry.entries[0]])
    assert case.entries == acme_entry.entries
    with pytest.raises(RuleViolation, match=rf"entry {zeta_entry.entries[0]} belong.*another "
                                            r"importer.*162\.74\(b\)\(2\)"):
        disclose(cast, entries=[acme_entry.entries[0], zeta_entry.entries[0]])
    assert [c.id for c in engine.list_cases(kind="prior_disclosure")] == [case.id]


def test_entries_by_port_and_date_range_are_validated_and_recorded(cast, engine):
    by_range = {"entries_port": "3901", "entries_from": "2025-01-01", "entries_to": "2025-02-28"}
    case = disclose(cast, **by_range)
    assert {k: case.data[k] for k in by_range} == by_range
    assert case.entries == ()

    refusals = [
        (RuleViolation, r"entries_from 2025-03-01 is after entries_to 2025-02-28",
         {**by_range, "entries_from": "2025-03-01"}),
        (RuleViolation, r"need all of entries_port, entries_from and entries_to",
         {"entries_port": "3901", "entries_from": "2025-01-01"}),
        (RuleViolation, r"entries_to 2025-03-04 is in the future",
         {**by_range, "entries_to": "2025-03-04"}),
        (InvalidInput, r"entries_port 9999 is not a known port", {**by_range,
                                                                   "entries_port": "9999"}),
        (InvalidInput, r"entries_port must be a port code", {**by_range, "entries_port": "27"}),
        (InvalidInput, r"entries_from must be a date", {**by_range, "entries_from": "Jan 1"}),
    ]
    for error, match, inputs in refusals:
        with pytest.raises(error, match=match):
            disclose(cast, **inputs)
    assert len(engine.list_cases(kind="prior_disclosure")) == 1


def test_the_form_is_required_and_oral_or_written(cast, engine):
    cast.at(DISCLOSED)
    filer = who(cast, "filer")
    with pytest.raises(InvalidInput, match="disclose needs form"):
        engine.open_case("prior_disclosure", actor=filer, importer=cast.ACME, port="2704")
    with pytest.raises(InvalidInput, match="form must be one of oral, written"):
        disclose(cast, form="email")
    with pytest.raises(InvalidInput, match="names its importer"):
        engine.open_case("prior_disclosure", actor=filer, port="2704", form="oral")
    assert engine.list_cases(kind="prior_disclosure") == []


# --- the 10 days to confirm an oral disclosure in writing (162.74(a)(2)) ------------------------

@pytest.mark.parametrize(("disclosed", "last_day"), [
    (DISCLOSED, "2025-03-13"),  # day 10 is a Thursday
    ("2025-03-05", "2025-03-17"),  # day 10 is Saturday 03-15: rolls to Monday
], ids=["weekday", "saturday-rolls-to-monday"])
def test_oral_disclosure_confirmed_in_writing_by_day_10(cast, engine, disclosed, last_day):
    in_time, late = disclose(cast, on=disclosed, form="oral"), disclose(cast, on=disclosed,
                                                                         form="oral")
    cast.at(last_day)
    confirmed = engine.advance(in_time.id, "confirm_in_writing", actor=who(cast, "filer"))
    assert (confirmed.state, confirmed.data["confirmed_on"]) == ("disclosed", last_day)
    cast.at(_next_day(last_day))
    assert_refused(engine, late.id, "confirm_in_writing", who(cast, "filer"),
                   rf"period to confirm the oral disclosure in writing ended on {last_day}",
                   RuleViolation)
    with pytest.raises(RuleViolation, match=r"\(19 CFR 162\.74\(a\)\(2\)\)"):
        engine.advance(late.id, "confirm_in_writing", actor=who(cast, "filer"))


def test_only_an_unconfirmed_oral_disclosure_is_confirmed_and_perfection_waits_for_it(cast,
                                                                                     engine):
    written, oral = disclose(cast), disclose(cast, form="oral")
    assert_refused(engine, written.id, "confirm_in_writing", who(cast, "filer"),
                   "was made in writing", RuleViolation)
    assert_refused(engine, oral.id, "perfect", who(cast, "filer"),
                   r"confirm the oral disclosure in writing first", RuleViolation)
    engine.advance(oral.id, "confirm_in_writing", actor=who(cast, "filer"))
    assert_refused(engine, oral.id, "confirm_in_writing", who(cast, "filer"),
                   f"already confirmed in writing on {DISCLOSED}", RuleViolation)
    assert engine.advance(oral.id, "perfect", actor=who(cast, "filer")).state == "perfected"


def test_a_late_confirmation_is_for_fpf_to_waive_and_then_the_disclosure_is_perfected(cast,
                                                                                     engine):
    # 19 CFR 162.74(a)(2): the 10 days are waivable for good cause — by the port's FP&F officer.
    oral = disclose(cast, form="oral")
    cast.at("2025-03-14")  # day 11
    assert_refused(engine, oral.id, "confirm_in_writing", who(cast, "filer"),
                   r"ended on 2025-03-13; the port's FP&F officer may waive the confirmation "
                   r"for good cause \(waive_confirmation\)", RuleViolation)
    assert_refused(engine, oral.id, "perfect", who(cast, "filer"),
                   r"or have the port's FP&F officer waive the confirmation", RuleViolation)
    assert_refused(engine, oral.id, "waive_confirmation", who(cast, "p2704-fpf"),
                   "needs reason", InvalidInput)
    waived = engine.advance(oral.id, "waive_confirmation", actor=who(cast, "p2704-fpf"),
                            inputs={"reason": "letter lost in the mail"})
    assert (waived.state, waived.data["confirmation_waived_on"],
            waived.data["confirmation_waiver_reason"]) == (
        "disclosed", "2025-03-14", "letter lost in the mail")
    assert [t.timer for t in engine.deadlines(oral.id) if t.status == "pending"] == ["perfection"]
    assert_refused(engine, oral.id, "waive_confirmation", who(cast, "p2704-fpf"),
                   "waived the written confirmation on 2025-03-14", RuleViolation,
                   reason="again")
    assert engine.advance(oral.id, "perfect", actor=who(cast, "filer")).state == "perfected"
    written = disclose(cast)
    assert_refused(engine, written.id, "waive_confirmation", who(cast, "p2704-fpf"),
                   "was made in writing", RuleViolation, reason="x")


# --- the 30 days to perfect (162.74(b)(4)) and to tender (162.74(c)), and extensions ------------

def test_perfection_by_day_30_then_refused_unless_fpf_extends(cast, engine):
    in_time, late, extended = (disclose(cast) for _ in range(3))
    cast.at("2025-04-02")  # day 30
    assert engine.advance(in_time.id, "perfect", actor=who(cast, "filer")).state == "perfected"
    cast.at("2025-04-03")  # day 31
    for case in (late, extended):
        assert_refused(engine, case.id, "perfect", who(cast, "filer"),
                       r"perfect the disclosure ended on 2025-04-02; ask the port's FP&F",
                       RuleViolation)
    # Good cause shown after the lapse: FP&F extends by pd_extension_days from the last day.
    granted = engine.advance(extended.id, "extend_period", actor=who(cast, "p2704-fpf"),
                             inputs={"reason": "records held by a foreign supplier"})
    assert granted.data["perfection_extended_to"] == "2025-05-02"
    assert granted.data["extensions"] == [{
        "period": "perfection", "from": "2025-04-02", "until": "2025-05-02",
        "reason": "records held by a foreign supplier", "on": "2025-04-03"}]
    assert engine.advance(extended.id, "perfect", actor=who(cast, "filer")).state == \
        "perfected"
    cast.at("2025-05-05")
    assert_refused(engine, late.id, "perfect", who(cast, "filer"), "ended on 2025-04-02",
                   RuleViolation)


def test_an_extension_to_a_named_date_must_extend(cast, engine):
    case = disclose(cast)
    fpf = who(cast, "p2704-fpf")
    assert_refused(engine, case.id, "extend_period", fpf, "needs reason", InvalidInput)
    assert_refused(engine, case.id, "extend_period", fpf,
                   r"until 2025-04-02 does not extend the perfection period ending on "
                   r"2025-04-02.*162\.74\(b\)\(4\)", RuleViolation,
                   reason="more time", until="2025-04-02")
    engine.advance(case.id, "extend_period", actor=fpf,
                   inputs={"reason": "more time", "until": "2025-04-15"})
    cast.at("2025-04-15")
    engine.advance(case.id, "extend_period", actor=fpf,
                   inputs={"reason": "still more", "until": "2025-04-30"})
    cast.at("2025-05-01")
    assert_refused(engine, case.id, "perfect", who(cast, "filer"),
                   r"ended on 2025-04-30 \(extended\)", RuleViolation)
    assert [x["until"] for x in engine.get(case.id).data["extensions"]] == [
        "2025-04-15", "2025-04-30"]


def test_tender_by_day_30_after_the_notice_of_the_calculation(cast, engine):
    in_time, late, extended = (disclosure_in(cast, "loss_calculated") for _ in range(3))
    assert in_time.data["loss_notice_on"] == NOTICE
    cast.at("2025-05-07")  # day 30 after the notice
    assert engine.advance(in_time.id, "tender", actor=who(cast, "filer"),
                          inputs={"amount": LOSS}).state == "tendered"
    engine.advance(extended.id, "extend_period", actor=who(cast, "p2704-fpf"),
                   inputs={"reason": "funds transfer delayed", "until": "2025-05-14"})
    cast.at("2025-05-08")  # day 31
    assert_refused(engine, late.id, "tender", who(cast, "filer"),
                   r"tender the loss ended on 2025-05-07.*162\.74\(c\)", RuleViolation,
                   amount=LOSS)
    assert engine.advance(extended.id, "tender", actor=who(cast, "filer"),
                          inputs={"amount": LOSS}).data["tender_amount"] == LOSS


def test_the_tender_period_runs_from_the_notice_date_given(cast, engine):
    case = disclosure_in(cast, "perfected")
    center = who(cast, "c007")
    cast.at(NOTICE)
    assert_refused(engine, case.id, "calculate_loss", center, "notice_date 2025-04-08 is after "
                   r"today \(2025-04-07\)", InvalidInput, amount=LOSS, notice_date="2025-04-08")
    assert_refused(engine, case.id, "calculate_loss", center, "notice_date 2025-03-21 is before "
                   "the perfection of the disclosure", RuleViolation, amount=LOSS,
                   notice_date="2025-03-21")
    assert_refused(engine, case.id, "calculate_loss", center, "notice_date must be a date",
                   InvalidInput, amount=LOSS, notice_date="2025-02-30")
    assert_refused(engine, case.id, "calculate_loss", center, "amount must be an amount in "
                   "dollars and cents", InvalidInput, amount="12,500.005")
    calculated = engine.advance(case.id, "calculate_loss", actor=center,
                                inputs={"amount": "$12,500", "notice_date": "2025-04-01"})
    assert (calculated.data["loss_amount"], calculated.data["loss_notice_on"]) == (
        LOSS, "2025-04-01")
    cast.at("2025-05-02")  # day 31 after the notice of 04-01
    assert_refused(engine, case.id, "tender", who(cast, "filer"), "ended on 2025-05-01",
                   RuleViolation, amount=LOSS)


def test_the_tender_is_the_whole_loss_and_validity_needs_it(cast, engine):
    case = disclosure_in(cast, "loss_calculated")
    assert_refused(engine, case.id, "tender", who(cast, "filer"),
                   r"12499\.99 is less than CBP's calculated loss of 12500\.00", RuleViolation,
                   amount="12499.99")
    engine.advance(case.id, "refer_to_fpf", actor=who(cast, "c007"))  # never tendered
    assert_refused(engine, case.id, "find_valid", who(cast, "p2704-fpf"),
                   r"not tendered.*162\.74\(a\)\(1\), \(c\)", RuleViolation)
    assert_refused(engine, case.id, "find_invalid", who(cast, "p2704-fpf"), "needs reason",
                   InvalidInput)
    invalid = engine.advance(case.id, "find_invalid", actor=who(cast, "p2704-fpf"),
                             inputs={"reason": "loss not tendered"})
    assert (invalid.state, invalid.data["finding"], invalid.data["finding_reason"]) == (
        "invalid", "invalid", "loss not tendered")


def _next_day(day: str) -> str:
    from datetime import date, timedelta

    return (date.fromisoformat(day) + timedelta(days=1)).isoformat()
