"""Rulebooks: one module per lifecycle, pure data, no I/O."""

from states.base import Lifecycle
from states.liquidation import LIQUIDATION
from states.prior_disclosure import PRIOR_DISCLOSURE
from states.protest import PROTEST
from states.psc import PSC

LIFECYCLES: dict[str, Lifecycle] = {lc.kind: lc for lc in (LIQUIDATION, PROTEST, PSC,
                                                            PRIOR_DISCLOSURE)}

__all__ = ["LIFECYCLES", "Lifecycle"]
