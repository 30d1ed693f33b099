"""Shared by the prior-disclosure suites: opening a disclosure, bringing it to a state, and the
refusal check (REFERENCE.md §4)."""

from __future__ import annotations

import pytest

from cee_workflow import NotPermitted

DISCLOSED = "2025-03-03"  # a Monday: day 10 is Thu 03-13, day 30 is Wed 04-02
PERFECTED = "2025-03-24"
NOTICE = "2025-04-07"  # a Monday: day 30 is Wed 05-07
TENDERED = "2025-04-21"
REFERRED = "2025-04-28"
LOSS = "12500.00"


def who(cast, name: str, importer: str | None = None):
    """'filer' is the filer of `importer` (default Acme), 'other filer' Zeta's (both center
    007); else an officer id."""
    return cast.actor({"filer": f"filer:{importer or cast.ACME}",
                       "other filer": f"filer:{cast.ZETA}"}.get(name, name))


def disclose(cast, *, on: str = DISCLOSED, form: str = "written", importer: str | None = None,
             by: str | None = None, entries=(), **inputs):
    cast.at(on)
    importer = importer or cast.ACME
    return cast.engine.open_case("prior_disclosure", actor=cast.actor(by or f"filer:{importer}"),
                                 importer=importer, port="2704", entries=list(entries), form=form,
                                 **inputs)


ROUTES = {  # how a disclosure reaches each state: (day, trigger, actor, inputs)
    "disclosed": (),
    "perfected": ((PERFECTED, "perfect", "filer", {}),),
    "loss_calculated": ((PERFECTED, "perfect", "filer", {}),
                        (NOTICE, "calculate_loss", "c007", {"amount": LOSS})),
    "tendered": ((PERFECTED, "perfect", "filer", {}),
                 (NOTICE, "calculate_loss", "c007", {"amount": LOSS}),
                 (TENDERED, "tender", "filer", {"amount": LOSS})),
}
ROUTES["referred"] = (*ROUTES["tendered"], (REFERRED, "refer_to_fpf", "c007", {}))
ROUTES["valid"] = (*ROUTES["referred"], ("2025-05-12", "find_valid", "p2704-fpf", {}))
ROUTES["invalid"] = (*ROUTES["referred"],
                     ("2025-05-12", "find_invalid", "p2704-fpf", {"reason": "under investigation"}))


def disclosure_in(cast, state: str, **disclose_inputs):
    """A disclosure (written, Acme's, unless told) made on DISCLOSED and brought to `state`
    (the clock is left on the day of its last step)."""
    case = disclose(cast, **disclose_inputs)
    for day, trigger, actor, inputs in ROUTES[state]:
        cast.at(day)
        cast.engine.advance(case.id, trigger, actor=who(cast, actor, case.importer),
                            inputs=inputs)
    return cast.engine.get(case.id)


def assert_refused(engine, case_id, trigger, actor, match, error=NotPermitted, **inputs):
    """The action is refused with `match` and writes nothing: no state, data or event change."""
    before, events = engine.get(case_id), len(engine.history(case_id))
    with pytest.raises(error, match=match):
        engine.advance(case_id, trigger, actor=actor, inputs=inputs)
    after = engine.get(case_id)
    assert (after.state, after.version, after.data) == (before.state, before.version, before.data)
    assert len(engine.history(case_id)) == events


