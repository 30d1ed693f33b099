"""The inputs a walk (tests/walks.py) gives a trigger: the rulebooks' valid values and, unless
`valid`, wrong, missing and unknown ones — legal dates today, back in time or (refused)
tomorrow.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import hypothesis.strategies as st
from walk_oracle import next_friday

from cee_workflow.states.protest_guards import DECISIONS as PROTESTABLE_DECISIONS


def inputs_for(data, trigger: str, today: date, *, valid: bool = False) -> dict[str, Any]:
    """Inputs for `trigger`; unless `valid`, sometimes wrong, missing or unknown ones."""
    bulletin = next_friday(today + timedelta(days=2))  # the Wednesday cut-off
    good = {
        "extend": {"reason": ["01", "02", "03"]},
        "suspend": {"reason": ["04", "05", "06", "07", "08"]},
        "schedule": {"date": [bulletin, bulletin + timedelta(days=7)]},
    }
    bad = {
        "extend": {"reason": ["09"]},
        "suspend": {"reason": ["01"]},
        "schedule": {"date": [bulletin + timedelta(days=210), bulletin - timedelta(days=7),
                              today + timedelta(days=1)]},
    }
    # Legal dates (issue #11): today, or back in time — a lift's notice, a suspension dated
    # back, a late posting; an impossible one (tomorrow) unless `valid`.
    dates = [today, today - timedelta(days=200)] + ([] if valid else
                                                     [today + timedelta(days=1)])
    good["lift_suspension"] = {"notice_received_on": dates}
    acts = [today] + ([] if valid else [today - timedelta(days=200), today + timedelta(days=1)])
    optional = {
        "suspend": {"suspended_from": dates},
        "extend": {"notice_on": dates},
        "liquidate": {"type": ["1", "2", "3"] + ([] if valid else ["7"]), "posted_on": dates},
        "reliquidate": {"type": ["4", "5", "8"] + ([] if valid else ["1"])},
        "amend": {"reason": ["valuation"] + ([] if valid else [""]),
                  "further_review": [True, False]},
        "file": {"reason": ["classification"], "exclusion": [True, False],
                 "further_review": [True, False],
                 # issue #10: what is protested, by whom, and the dates the law counts from
                 "protested": list(PROTESTABLE_DECISIONS), "decision_date": dates,
                 # The protestant is the actor (1514(c)(2)): another role or party
                 # contradicts it and is refused (tests/test_protest_standing.py).
                 "role": ["importer"] + ([] if valid else ["surety", "agent", "neighbour"]),
                 **({} if valid else {"party": ["Great Bonding Co.", "Consignee Ltd"]}),
                 "merchandise": ["widgets", "gadgets"],
                 "issues": ["value", "classification,rate"] + ([] if valid else ["colour"]),
                 "demand_mailed_on": dates, "presented_on": dates},
        # A protest's acts dated today when `valid` (a date before the filing, or a request
        # out of time, is a refusal the walk draws otherwise).
        "request_accelerated_disposition": {"mailed_on": acts},
        "allow": {"decided_on": acts, "duties": ["refund", "bill", "no_change"]},
        "allow_in_part": {"decided_on": acts, "duties": ["refund", "bill", "no_change"]},
        "deny": {"decided_on": acts},
        "apply_further_review": {"applied_on": acts},
        "void_denial": {"on_request": [False] + ([] if valid else [True])},
        "set_aside_further_review_denial": {"requested_on": acts},
        # Presentation for examination and release (1499(c)(5)(A)): dated acts of the port.
        "present_for_examination": {"presented_on": acts},
        "release": {"released_on": acts},
    }

    def choose(table):
        return {k: st.sampled_from(v + ([] if valid else bad.get(trigger, {}).get(k, [])))
                for k, v in table.get(trigger, {}).items()}

    inputs = dict(data.draw(st.fixed_dictionaries(choose(good), optional=choose(optional)),
                            label=f"{trigger} inputs"))
    if not valid:
        if trigger in good and data.draw(st.integers(0, 9), label="drop inputs") == 0:
            inputs = {}
        if data.draw(st.integers(0, 14), label="unknown input") == 0:
            inputs["colour"] = "red"
    return inputs
