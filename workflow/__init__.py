"""cee-workflow: `from workflow import Engine`."""

from workflow.authority_matrix import authority_matrix
from workflow.clock import SettableClock, SystemClock
from workflow.diagrams import render as lifecycle_diagram
from workflow.diagrams import summaries as lifecycle_summaries
from workflow.engine import Engine
from workflow.errors import (
    Conflict,
    InvalidInput,
    InvalidTransition,
    NotFound,
    NotPermitted,
    RuleViolation,
    WorkflowError,
)

__all__ = ["Engine", "SettableClock", "SystemClock", "Conflict", "InvalidInput",
           "InvalidTransition", "NotFound", "NotPermitted", "RuleViolation", "WorkflowError"]
# Rulebook documents: no database needed (`cee authority`, `cee lifecycle`).
__all__ += ["authority_matrix", "lifecycle_diagram", "lifecycle_summaries"]
