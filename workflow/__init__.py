"""cee-workflow: `from workflow import Engine`."""

from workflow.clock import SettableClock, SystemClock
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
