""""Did you mean …": the nearest valid spellings of a mistyped name, for one-line errors."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def folded(text: str) -> str:
    """How names compare: any case, `-` the same as `_` (prior-disclosure = prior_disclosure)."""
    return text.strip().lower().replace("-", "_")


def match(text: str, valid: Iterable[str]) -> str | None:
    """The one valid name `text` spells forgivingly (case, `-`/`_`), or None."""
    wanted = folded(text)
    found = [v for v in valid if folded(v) == wanted]
    return found[0] if len(found) == 1 else None


def nearest(text: str, valid: Iterable[str]) -> list[str]:
    """Up to three valid names close to `text` (difflib's ratio ≥ 0.6), nearest first."""
    names = list(dict.fromkeys(valid))
    by_fold = {folded(v): v for v in names}
    return [by_fold[c] for c in difflib.get_close_matches(folded(text), list(by_fold), n=3,
                                                          cutoff=0.6)]


def did_you_mean(text: str, valid: Iterable[str], *, what: str = "values") -> str:
    """"; did you mean X? valid values: a, b, c" — the tail of an error message."""
    names = list(dict.fromkeys(valid))
    close = difflib.get_close_matches(folded(text), [folded(v) for v in names], n=3, cutoff=0.6)
    by_fold = {folded(v): v for v in names}
    hint = f"; did you mean {' or '.join(by_fold[c] for c in close)}?" if close else ""
    listed = ", ".join(names[:LISTED]) or "none"
    if len(names) > LISTED:
        listed += f" and {len(names) - LISTED} more"
    return f"{hint} {what}: {listed}" if hint else f"; {what}: {listed}"


LISTED = 30  # valid values named in full; more are counted
