"""cee-workflow: `from workflow import Engine`.

The public names load on first use (PEP 562), so that importing a light module of the package
(`workflow.reader`, `workflow.views`) does not load the engine, the rulebooks or the diagrams.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

# Public name → (module, attribute).
_ERRORS = ("Conflict", "InvalidInput", "InvalidTransition", "NotFound", "NotPermitted",
           "RuleViolation", "WorkflowError")
_PUBLIC: dict[str, tuple[str, str]] = {
    "Engine": ("workflow.engine", "Engine"),
    "SettableClock": ("workflow.clock", "SettableClock"),
    "SystemClock": ("workflow.clock", "SystemClock"),
    **{name: ("workflow.errors", name) for name in _ERRORS},
    # Rulebook documents: no database needed (`cee authority`, `cee lifecycle`).
    "authority_matrix": ("workflow.authority_matrix", "authority_matrix"),
    "lifecycle_diagram": ("workflow.diagrams", "render"),
    "lifecycle_summaries": ("workflow.diagrams", "summaries"),
}

__all__ = ["Engine", "SettableClock", "SystemClock", "Conflict", "InvalidInput",
           "InvalidTransition", "NotFound", "NotPermitted", "RuleViolation", "WorkflowError"]
__all__ += ["authority_matrix", "lifecycle_diagram", "lifecycle_summaries"]


def __getattr__(name: str) -> Any:
    # An unknown name must raise AttributeError: `from workflow import registry` relies on it
    # to fall back to importing the submodule.
    if name not in _PUBLIC:
        raise AttributeError(f"module 'workflow' has no attribute {name!r}")
    module, attribute = _PUBLIC[name]
    value = getattr(import_module(module), attribute)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
