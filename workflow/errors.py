"""Typed errors. Each message says what was refused, why (the rule), and what to do.

Each carries the exit code the CLI uses: 2 invalid input, 3 not found, 4 not permitted,
5 invalid transition or rule violation, 6 conflict.
"""

from __future__ import annotations


class WorkflowError(Exception):
    exit_code = 1

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class InvalidInput(WorkflowError):
    exit_code = 2


class NotFound(WorkflowError):
    exit_code = 3

    def __init__(self, what: str, key: str, hint: str = ""):
        super().__init__(f"{what} {key} not found" + (f"; {hint}" if hint else ""))
        self.what, self.key = what, key


class NotPermitted(WorkflowError):
    """The actor lacks the authority, or the jurisdiction, for the action."""

    exit_code = 4


class InvalidTransition(WorkflowError):
    exit_code = 5


class RuleViolation(WorkflowError):
    """A deadline or guard refused the action; `rule` is the citation."""

    exit_code = 5

    def __init__(self, message: str, rule: str):
        super().__init__(f"{message} ({rule})")
        self.rule = rule


class Conflict(WorkflowError):
    exit_code = 6


class BackdatingRefused(NotPermitted):
    """A settable clock, `--now` or a sweep instant asked of a real (non-simulation) database:
    every event there is recorded at the system clock's instant."""
