"""Prior disclosure's legal dates and consequences (issue #11, item 5; 19 CFR 162.74).

The disclosure is made when mailed (registered or certified mail), else when received (d); a
formal investigation that commenced before it bars validity (a); a lapsed tender "shall result
in denial" (c), offered as find_invalid's reason; losses over $100,000 go to Headquarters (c).
"""

from __future__ import annotations

import pytest
from disclosures import disclose as _disclose
from disclosures import who

from cee_workflow import NotPermitted, RuleViolation


def disclose(cast, on, **inputs):
    return _disclose(cast, on=on, **inputs)


def test_a_mailed_disclosure_is_made_when_mailed_and_its_periods_count_from_then(cast, engine):
    case = disclose(cast, "2025-03-10", sent_by="certified_mail", mailed_on="2025-03-03",
                    received_on="2025-03-07")
    assert case.data["disclosed_on"] == "2025-03-03"
    perfection = [d for d in engine.deadlines(case.id) if d.timer == "perfection"][0]
    assert perfection.last_day.isoformat() == "2025-04-02"  # 30 days from the mailing
    other = disclose(cast, "2025-03-10", mailed_on="2025-03-03", received_on="2025-03-07")
    assert other.data["disclosed_on"] == "2025-03-07"  # not by registered/certified mail
    with pytest.raises(RuleViolation, match="mailed_on 2025-03-08 is after received_on"):
        disclose(cast, "2025-03-10", sent_by="registered_mail", mailed_on="2025-03-08",
                 received_on="2025-03-07")


def referred(cast, engine, amount="12500.00", tendered=False):
    case = disclose(cast, "2025-03-03")
    cast.at("2025-03-24")
    engine.advance(case.id, "perfect", actor=who(cast, "filer"))
    engine.advance(case.id, "calculate_loss", actor=who(cast, "c007"),
                   inputs={"amount": amount})
    if tendered:
        engine.advance(case.id, "tender", actor=who(cast, "filer"), inputs={"amount": amount})
    engine.advance(case.id, "refer_to_fpf", actor=who(cast, "c007"))
    return case


def test_an_investigation_commenced_before_the_disclosure_bars_a_valid_finding(cast, engine):
    case = referred(cast, engine, tendered=True)
    engine.advance(case.id, "record_investigation", actor=who(cast, "p2704-fpf"),
                   inputs={"investigation_commenced_on": "2025-02-20"})
    with pytest.raises(RuleViolation, match="commenced on 2025-02-20, before the disclosure"):
        engine.advance(case.id, "find_valid", actor=who(cast, "p2704-fpf"))
    later = referred(cast, engine, tendered=True)
    engine.advance(later.id, "record_investigation", actor=who(cast, "p2704-fpf"),
                   inputs={"investigation_commenced_on": "2025-03-03"})  # the same day
    assert engine.advance(later.id, "find_valid", actor=who(cast, "p2704-fpf")).state == "valid"


def test_an_untendered_loss_is_denied_with_the_rules_words(cast, engine):
    case = referred(cast, engine)
    invalid = engine.advance(case.id, "find_invalid", actor=who(cast, "p2704-fpf"))
    assert "shall result in denial" in invalid.data["finding_reason"]


def test_a_loss_over_100000_is_flagged_for_headquarters_review(cast, engine):
    big = engine.get(referred(cast, engine, "100000.01").id)
    assert big.data["headquarters_review"].startswith("loss over $100,000")
    small = engine.get(referred(cast, engine, "100000.00").id)
    assert "headquarters_review" not in small.data


def test_an_investigation_is_recorded_by_the_port_fpf_or_the_center_enforcement_division(
        cast, engine):
    cast.engine.add_officer("c007-enf", name="Center 007 Enforcement", office="007",
                            unit="enforcement")
    cast.engine.add_officer("c005-enf", name="Center 005 Enforcement", office="005",
                            unit="enforcement")
    case = referred(cast, engine, tendered=True)
    commenced = {"investigation_commenced_on": "2025-02-20"}
    center = "record_enforcement_investigation"
    for trigger, stranger, why in ((center, "c007", "not in unit enforcement"),
                                   (center, "p2704-fpf", "holds port authority"),
                                   (center, "c005-enf", "no jurisdiction over"),
                                   ("record_investigation", "c007-enf", "holds center"),
                                   (center, "filer", "filer cannot")):
        with pytest.raises(NotPermitted, match=why):
            engine.advance(case.id, trigger, actor=who(cast, stranger), inputs=commenced)
    recorded = engine.advance(case.id, center, actor=who(cast, "c007-enf"), inputs=commenced)
    assert recorded.data["investigation_commenced_on"] == "2025-02-20"
    assert engine.history(case.id)[-1].authority == "CENTER"
    with pytest.raises(RuleViolation, match="commenced on 2025-02-20, before the disclosure"):
        engine.advance(case.id, "find_valid", actor=who(cast, "p2704-fpf"))
