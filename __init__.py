"""cee-workflow: `from cee_workflow import Engine`.

The distribution installs one top-level package, `cee_workflow`, whose directory is the
repository root (setuptools `package-dir = {"cee_workflow" = "."}`): `workflow/`, `states/`,
`storage/` and `cli.py` keep the layout of the design card, and install as
`cee_workflow.workflow`, `cee_workflow.states`, `cee_workflow.storage` and `cee_workflow.cli`, so
they never collide with an application's own `workflow`, `storage` or `cli` modules.

The public names load on first use (PEP 562), so that importing a light module of the package
(`cee_workflow.workflow.reader`, `cee_workflow.workflow.views`) does not load the engine, the
rulebooks or the diagrams.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cee_workflow.workflow.authority_matrix import authority_matrix
    from cee_workflow.workflow.bulk import BulkResult
    from cee_workflow.workflow.clock import Clock, SettableClock, SystemClock
    from cee_workflow.workflow.diagrams import render as lifecycle_diagram
    from cee_workflow.workflow.diagrams import summaries as lifecycle_summaries
    from cee_workflow.workflow.engine import Engine
    from cee_workflow.workflow.errors import (
        Conflict,
        InvalidInput,
        InvalidTransition,
        NotFound,
        NotPermitted,
        RuleViolation,
        UnknownTrigger,
        WorkflowError,
    )
    from cee_workflow.workflow.events import Cursor, EventPage, StreamEvent
    from cee_workflow.workflow.jurisdiction import Actor, Administrator, Filer, Officer
    from cee_workflow.workflow.parties import Party
    from cee_workflow.workflow.reader import Reader
    from cee_workflow.workflow.sweep import SweepResult
    from cee_workflow.workflow.views import (
        AuditReport,
        Availability,
        CaseView,
        DeadlineView,
        EventView,
    )

# Public name → (module, attribute).
_ERRORS = ("Conflict", "InvalidInput", "InvalidTransition", "NotFound", "NotPermitted",
           "RuleViolation", "UnknownTrigger", "WorkflowError")
_VIEWS = ("AuditReport", "Availability", "CaseView", "DeadlineView", "EventView")
_PUBLIC: dict[str, tuple[str, str]] = {
    "Engine": ("cee_workflow.workflow.engine", "Engine"),
    "Reader": ("cee_workflow.workflow.reader", "Reader"),
    # Who acts: what `Engine.actor()` returns (an officer, a filer, or the system's own actor).
    "Actor": ("cee_workflow.workflow.jurisdiction", "Actor"),
    "Officer": ("cee_workflow.workflow.jurisdiction", "Officer"),
    "Filer": ("cee_workflow.workflow.jurisdiction", "Filer"),
    "Party": ("cee_workflow.workflow.parties", "Party"),  # a trade party (surety, agent, …)
    "Administrator": ("cee_workflow.workflow.jurisdiction", "Administrator"),
    "Clock": ("cee_workflow.workflow.clock", "Clock"),
    "SettableClock": ("cee_workflow.workflow.clock", "SettableClock"),
    "SystemClock": ("cee_workflow.workflow.clock", "SystemClock"),
    **{name: ("cee_workflow.workflow.views", name) for name in _VIEWS},
    "BulkResult": ("cee_workflow.workflow.bulk", "BulkResult"),
    # The event stream (`Reader.events`): a cursor, a page, an event with its cursor.
    **{name: ("cee_workflow.workflow.events", name)
       for name in ("Cursor", "EventPage", "StreamEvent")},
    "SweepResult": ("cee_workflow.workflow.sweep", "SweepResult"),
    **{name: ("cee_workflow.workflow.errors", name) for name in _ERRORS},
    # Rulebook documents: no database needed (`cee authority`, `cee lifecycle`).
    "authority_matrix": ("cee_workflow.workflow.authority_matrix", "authority_matrix"),
    "lifecycle_diagram": ("cee_workflow.workflow.diagrams", "render"),
    "lifecycle_summaries": ("cee_workflow.workflow.diagrams", "summaries"),
}

__all__ = ["Engine", "Reader", "Actor", "Officer", "Filer", "Party", "Administrator", "Clock",
           "SettableClock",
           "SystemClock", "AuditReport", "Availability", "CaseView", "DeadlineView",
           "EventView", "BulkResult", "SweepResult", "Conflict", "InvalidInput",
           "InvalidTransition", "NotFound", "NotPermitted", "RuleViolation", "UnknownTrigger",
           "WorkflowError"]
__all__ += ["Cursor", "EventPage", "StreamEvent"]
__all__ += ["authority_matrix", "lifecycle_diagram", "lifecycle_summaries"]


def __getattr__(name: str) -> Any:
    # An unknown name must raise AttributeError: `from cee_workflow import workflow` relies on it
    # to fall back to importing the submodule.
    if name not in _PUBLIC:
        raise AttributeError(f"module 'cee_workflow' has no attribute {name!r}")
    module, attribute = _PUBLIC[name]
    value = getattr(import_module(module), attribute)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
