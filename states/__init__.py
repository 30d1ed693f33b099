"""Rulebooks: one module per lifecycle, pure data, no I/O.

`LIFECYCLES` and `Lifecycle` load on first use (PEP 562), so that importing one module of the
package — `states.authority` for an actor's role, say — does not build every rulebook: a read
that only needs who is reading starts without them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cee_workflow.states.base import Lifecycle

__all__ = ["LIFECYCLES", "Lifecycle"]


def __getattr__(name: str) -> Any:
    if name == "Lifecycle":
        from cee_workflow.states.base import Lifecycle

        return Lifecycle
    if name == "LIFECYCLES":
        from cee_workflow.states.liquidation import LIQUIDATION
        from cee_workflow.states.prior_disclosure import PRIOR_DISCLOSURE
        from cee_workflow.states.protest import PROTEST
        from cee_workflow.states.psc import PSC

        lifecycles = {lc.kind: lc for lc in (LIQUIDATION, PROTEST, PSC, PRIOR_DISCLOSURE)}
        globals()["LIFECYCLES"] = lifecycles  # built once; later lookups find the global
        return lifecycles
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
