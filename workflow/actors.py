"""Who acts: an officer, a filer, a trade party, an administrator, or operation of law.

The actors alone, without the rulebooks: resolving who reads (workflow/identity.py) needs them
before any authority is weighed (workflow/jurisdiction.py re-exports them beside the rules).
"""

from __future__ import annotations

from dataclasses import dataclass

from cee_workflow.states.authority import Role
from cee_workflow.workflow.parties import Party

__all__ = ["SYSTEM", "Actor", "Administrator", "Filer", "Officer", "Party", "System"]


@dataclass(frozen=True)
class Officer:
    id: str
    name: str
    office: str
    office_kind: str  # port | center
    unit: str | None
    role: Role

    @property
    def label(self) -> str:
        return self.id

    def describe(self) -> str:
        unit = f"/{self.unit}" if self.unit else ""
        return f"officer {self.id} ({self.role.value}, {self.office_kind} {self.office}{unit})"


@dataclass(frozen=True)
class Filer:
    """The importer of record, or its broker acting for it."""

    importer: str

    @property
    def label(self) -> str:
        return f"filer:{self.importer}"

    def describe(self) -> str:
        return f"filer for importer {self.importer}"


@dataclass(frozen=True)
class Administrator:
    """Keeps the registry (offices, officers, importers); takes no action on a case."""

    id: str
    name: str

    @property
    def label(self) -> str:
        return self.id

    def describe(self) -> str:
        return f"administrator {self.id} (registry only)"


@dataclass(frozen=True)
class System:
    """Operation of law. Only the engine's own scheduler holds this actor."""

    @property
    def label(self) -> str:
        return "system"

    def describe(self) -> str:
        return "the system (operation of law)"


SYSTEM = System()
Actor = Officer | Filer | Party | Administrator | System
