"""Rulebooks: one module per lifecycle, pure data, no I/O."""

from cee_workflow.states.base import Lifecycle
from cee_workflow.states.liquidation import LIQUIDATION
from cee_workflow.states.prior_disclosure import PRIOR_DISCLOSURE
from cee_workflow.states.protest import PROTEST
from cee_workflow.states.psc import PSC

LIFECYCLES: dict[str, Lifecycle] = {lc.kind: lc for lc in (LIQUIDATION, PROTEST, PSC,
                                                            PRIOR_DISCLOSURE)}

__all__ = ["LIFECYCLES", "Lifecycle"]
