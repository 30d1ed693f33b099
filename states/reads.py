"""What a transition's guards and effect read of a case: the rulebook declares it, so that a bulk
run can decide once for cases alike in it.

In a bulk batch, today, the inputs, the parameters and the actor are the same for every case.
What differs is each case's data, its entries' facts and its own importer and division. A
transition that declares `Reads` says which of those its guards and effect look at; the engine
(workflow/bulk_alike.py) then runs the transition once for every group of cases equal in
exactly those values, and checks while it does that nothing else was read (a rulebook edit that
reads a new key without declaring it is caught, and the group is decided case by case). A
transition that declares nothing is decided case by case: correct, slower.

A timer's dates are read from the data keys its spec names (`anchor`, `anchor_before`,
`extended`); a timer with an `applies` test declares the keys that test reads
(`TimerSpec.reads`), and a lifecycle whose timers follow other cases (`timer_data`) arms case
by case.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Reads:
    """The facts of a case a transition's guards and effect read (besides today, the inputs
    and the parameters, which are the same for every case of a bulk batch)."""

    data: tuple[str, ...] = ()  # keys of the case data
    entries: tuple[str, ...] = ()  # fields of each entry's EntryFacts (the count always counts)
    case: tuple[str, ...] = ()  # the case's own "importer", "division"

    def __post_init__(self):
        unknown = set(self.case) - {"importer", "division"}
        if unknown:
            raise ValueError(f"Reads.case names {sorted(unknown)}: only importer, division")
