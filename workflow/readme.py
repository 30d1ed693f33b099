"""The README's generated blocks: each lifecycle's mermaid diagram and the authority matrix.

    python -m cee_workflow.workflow.readme          rewrite the blocks in README.md
    python -m cee_workflow.workflow.readme --check  exit 1, naming each stale or missing block

A block sits between markers, exactly as `cee lifecycle show KIND --format mermaid` prints it:

    <!-- lifecycle:KIND -->
    ```mermaid
    …
    ```
    <!-- /lifecycle -->

and the matrix between `<!-- authority-matrix -->` and `<!-- /authority-matrix -->`. A registered
lifecycle without a block gets one in the rulebooks' order: before the next registered kind's
block, else after the last (or, when there is none, at the `<!-- lifecycle-diagrams -->` marker);
a block of a lifecycle no longer registered is removed.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from cee_workflow.states import LIFECYCLES
from cee_workflow.workflow.authority_matrix import markdown
from cee_workflow.workflow.diagrams import render

README = Path(__file__).resolve().parent.parent / "README.md"
DIAGRAMS_AT = "<!-- lifecycle-diagrams -->"
_LIFECYCLE_BLOCK = re.compile(r"<!-- lifecycle:(\w+) -->\n.*?<!-- /lifecycle -->\n", re.S)
_MATRIX_BLOCK = re.compile(r"<!-- authority-matrix -->\n.*?<!-- /authority-matrix -->\n", re.S)


def lifecycle_block(kind: str) -> str:
    return (f"<!-- lifecycle:{kind} -->\n```mermaid\n{render(kind, 'mermaid')}```\n"
            "<!-- /lifecycle -->\n")


def matrix_block() -> str:
    return f"<!-- authority-matrix -->\n{markdown()}<!-- /authority-matrix -->\n"


def stale_blocks(text: str) -> list[str]:
    """What differs from the code: `lifecycle:KIND` or `authority-matrix`, with why."""
    found = {m.group(1): m.group(0) for m in _LIFECYCLE_BLOCK.finditer(text)}
    problems = [f"lifecycle:{kind} is missing" for kind in LIFECYCLES if kind not in found]
    problems += [f"lifecycle:{kind} is stale" for kind, block in found.items()
                 if kind in LIFECYCLES and block != lifecycle_block(kind)]
    problems += [f"lifecycle:{kind} names no registered lifecycle" for kind in found
                 if kind not in LIFECYCLES]
    matrix = _MATRIX_BLOCK.search(text)
    if matrix is None:
        problems.append("authority-matrix is missing")
    elif matrix.group(0) != matrix_block():
        problems.append("authority-matrix is stale")
    return problems


def regenerate(text: str) -> str:
    """`text` with every generated block as the code draws it now."""
    if _MATRIX_BLOCK.search(text) is None or DIAGRAMS_AT not in text:
        raise ValueError(f"README.md needs the {DIAGRAMS_AT} and <!-- authority-matrix --> "
                         "markers")
    text = _MATRIX_BLOCK.sub(lambda _: matrix_block(), text)
    text = _LIFECYCLE_BLOCK.sub(
        lambda m: lifecycle_block(m.group(1)) if m.group(1) in LIFECYCLES else "", text)
    kinds = list(LIFECYCLES)
    for i, kind in enumerate(kinds):
        if f"<!-- lifecycle:{kind} -->" in text:
            continue
        later = [text.index(f"<!-- lifecycle:{k} -->") for k in kinds[i + 1:]
                 if f"<!-- lifecycle:{k} -->" in text]
        if later:  # before the next registered kind's block: the README keeps the rulebook order
            at = min(later)
            text = text[:at] + lifecycle_block(kind) + "\n" + text[at:]
            continue
        blocks = list(_LIFECYCLE_BLOCK.finditer(text))
        at = blocks[-1].end() if blocks else text.index(DIAGRAMS_AT) + len(DIAGRAMS_AT) + 1
        text = text[:at] + "\n" * bool(blocks) + lifecycle_block(kind) + text[at:]
    return text


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    text = README.read_text()
    if args == ["--check"]:
        problems = stale_blocks(text)
        for problem in problems:
            print(f"README.md: {problem}; run `python -m cee_workflow.workflow.readme`",
                  file=sys.stderr)
        return 1 if problems else 0
    if args:
        print("usage: python -m cee_workflow.workflow.readme [--check]", file=sys.stderr)
        return 2
    README.write_text(regenerate(text))
    return 0


if __name__ == "__main__":
    sys.exit(main())
