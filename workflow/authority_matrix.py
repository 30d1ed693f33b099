"""The authority matrix (states/matrix.py) as documents: JSON, table rows, a markdown table.

`authority_matrix()` is what `cee --json authority` prints and what embedding applications
call; nothing here opens a database.
"""

from __future__ import annotations

import textwrap
from typing import Any

from cee_workflow.states import LIFECYCLES
from cee_workflow.states.matrix import MATRIX, Function


def regime_summary(function: Function) -> str:
    """One line: who held the function under each regime, e.g. for a center function
    `2014-09-11 … 2017-01-18: the center, shared with port directors; from 2017-01-19: …`."""
    tenures = function.tenures
    if len({t.held_by for t in tenures}) == 1:
        return f"{tenures[0].held_by}, unchanged by the regimes"
    return "; ".join(f"{t.period}: {t.held_by}" for t in tenures)


def authority_matrix() -> list[dict[str, Any]]:
    """Every function: holder, rule, source, who held it under each regime, and the
    transitions (`lifecycle.trigger`) that exercise it, each marked registered or not."""
    return [{
        "function": f.key,
        "title": f.title,
        "holder": f.holder.value,
        "unit": f.unit,
        "who": f.who,
        "citation": f.citation,
        "source": f.source,
        "note": f.note or None,
        "regimes": [{"regime": t.regime, "start": t.start.isoformat() if t.start else None,
                     "end": t.end.isoformat() if t.end else None, "citation": t.citation,
                     "held_by": t.held_by, "shared_with": list(t.shared_with)}
                    for t in f.tenures],
        "transitions": [{"lifecycle": e.lifecycle, "trigger": e.trigger,
                         "registered": e.lifecycle in LIFECYCLES} for e in f.exercised_by],
    } for f in MATRIX]


def regime_brief(function: Function) -> str:
    """The regime history in a table cell: `shared 2014-09-11…2017-01-18, alone from …`."""
    if len({t.held_by for t in function.tenures}) == 1:
        return "unchanged"
    return ", ".join(("port" if t.regime == "port" else "shared" if t.shared_with else "alone")
                     + (f" until {t.end}" if t.start is None
                        else f" {t.start}…{t.end}" if t.end else f" from {t.start}")
                     for t in function.tenures)


def exercised_text(function: Function) -> str:
    return ", ".join(str(e) for e in function.exercised_by) or "-"


def table_rows() -> tuple[list[str], list[list[str]]]:
    """Headers and rows for the command line's table."""
    headers = ["function", "who", "regimes", "exercised by", "rule"]
    return headers, [[f.key, f.who, regime_brief(f), exercised_text(f), f.citation]
                     for f in MATRIX]


LISTING_WIDTH = 100


def listing() -> str:
    """The matrix for a person at a terminal (`cee authority`): one block per function — key
    and holder, title, who held it under each regime, rule, transitions — within
    LISTING_WIDTH columns."""
    blocks = []
    for f in MATRIX:
        lines = [f"{f.key}  {f.who}"]
        lines += textwrap.wrap(f.title, LISTING_WIDTH, initial_indent="    ",
                               subsequent_indent="    ")
        fields = [("regimes", part) for part in regime_summary(f).split("; ")]
        fields += [("rule", f.citation), ("exercised by", exercised_text(f))]
        for n, (label, text) in enumerate(fields):
            shown = label if n == 0 or label != fields[n - 1][0] else ""
            lead = f"    {shown + ':' if shown else '':<14}"
            lines += textwrap.wrap(text, LISTING_WIDTH, initial_indent=lead,
                                   subsequent_indent=" " * len(lead), break_on_hyphens=False)
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


def markdown() -> str:
    """The matrix as a markdown table (the README's "Authority matrix" block)."""
    lines = ["| function | who | regimes | exercised by | rule |", "|---|---|---|---|---|"]
    for f in MATRIX:
        exercised = ", ".join(f"`{e}`" for e in f.exercised_by) or "—"
        lines.append(f"| **{f.key}**: {f.title} | {f.who} | {regime_summary(f)} | "
                     f"{exercised} | {f.citation} |")
    return "\n".join(lines) + "\n"
