"""Rulebooks: one module per lifecycle, pure data, no I/O."""

from states.base import Lifecycle
from states.liquidation import LIQUIDATION
from states.protest import PROTEST
from states.psc import PSC

LIFECYCLES: dict[str, Lifecycle] = {lc.kind: lc for lc in (LIQUIDATION, PROTEST, PSC)}

__all__ = ["LIFECYCLES", "Lifecycle"]
