"""Typed errors. Each message says what was refused, why (the rule), and what to do.

Beside its one-line message every error carries structured fields, so that an application need
not parse text: `kind` (a stable code: one per class), `exit_code` (the CLI's: 2 invalid input,
3 not found, 4 not permitted, 5 invalid transition or rule violation, 6 conflict, 1 other),
and, where the raise site knows them, `case` (the id of an existing case), `trigger` and `rule`
(the citation). `to_dict()` gives them as JSON (what `cee --json` prints on stderr).
"""

from __future__ import annotations

from typing import ClassVar


class WorkflowError(Exception):
    """The base of every error the engine raises on purpose."""

    kind: ClassVar[str] = "error"
    exit_code: ClassVar[int] = 1

    def __init__(self, message: str, *, case: str | None = None, trigger: str | None = None,
                 rule: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.case = case
        self.trigger = trigger
        self.rule = rule

    def to_dict(self) -> dict[str, str | int | None]:
        """`kind`, `message`, `exit_code`, `case`, `trigger`, `rule` (None when not known)."""
        return {"kind": self.kind, "message": self.message, "exit_code": self.exit_code,
                "case": self.case, "trigger": self.trigger, "rule": self.rule}


class InvalidInput(WorkflowError):
    kind = "invalid_input"
    exit_code = 2


class NotFound(WorkflowError):
    """`what` (case, entry, port, …) with the key `key` does not exist."""

    kind = "not_found"
    exit_code = 3

    def __init__(self, what: str, key: str, hint: str = "", *, case: str | None = None,
                 trigger: str | None = None) -> None:
        super().__init__(f"{what} {key} not found" + (f"; {hint}" if hint else ""),
                         case=case, trigger=trigger)
        self.what, self.key = what, key

    def to_dict(self) -> dict[str, str | int | None]:
        return {**super().to_dict(), "what": self.what, "key": self.key}


class NotPermitted(WorkflowError):
    """The actor lacks the authority, or the jurisdiction, for the action."""

    kind = "not_permitted"
    exit_code = 4


class InvalidTransition(WorkflowError):
    """The lifecycle has no such trigger, or not from the case's state."""

    kind = "invalid_transition"
    exit_code = 5


class RuleViolation(WorkflowError):
    """A deadline or guard refused the action; `rule` is the citation."""

    kind = "rule_violation"
    exit_code = 5

    def __init__(self, message: str, rule: str, *, case: str | None = None,
                 trigger: str | None = None) -> None:
        super().__init__(f"{message} ({rule})", case=case, trigger=trigger, rule=rule)


class Conflict(WorkflowError):
    """The case changed since it was read (or while the action was applied): nothing written."""

    kind = "conflict"
    exit_code = 6


class BackdatingRefused(NotPermitted):
    """A settable clock, `--now` or a sweep instant asked of a real (non-simulation) database:
    every event there is recorded at the system clock's instant."""


KINDS: dict[str, type[WorkflowError]] = {cls.kind: cls for cls in (
    WorkflowError, InvalidInput, NotFound, NotPermitted, InvalidTransition, RuleViolation,
    Conflict)}
