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


class ConnectionLost(WorkflowError):
    """The database connection broke mid-command (server restart, terminated backend)."""

    def __init__(self, message: str = "the connection to the database was lost; the command's "
                                      "transaction was rolled back, try again"):
        super().__init__(message)


class DatabaseLocked(WorkflowError):
    """SQLite: another process held the write lock for longer than the busy timeout."""

    def __init__(self, message: str = "the database is locked by another process; try again "
                                      "when it has finished"):
        super().__init__(message)


def database_fault(error: Exception) -> WorkflowError | None:
    """The typed error for a SQLAlchemy DBAPIError that is a lost connection or a locked
    SQLite database, else None."""
    text = str(getattr(error, "orig", None) or error).lower()
    if is_lock_conflict(error):
        return Conflict("the change met another officer's concurrent change to the same cases "
                        "and was rolled back; re-read the case and try again")
    if getattr(error, "connection_invalidated", False) or any(
            sign in text for sign in ("terminating connection", "server closed the connection",
                                      "connection is closed", "consuming input failed",
                                      "the connection is lost")):
        return ConnectionLost()
    if "database is locked" in text or "database table is locked" in text:
        return DatabaseLocked()
    return None


LOCK_CONFLICT_SQLSTATES = ("40P01", "40001")  # deadlock detected, serialization failure


def is_lock_conflict(error: Exception) -> bool:
    """PostgreSQL rolled the transaction back as a deadlock victim or a serialization
    failure: retrying the whole transaction is safe."""
    return getattr(getattr(error, "orig", None), "sqlstate", None) in LOCK_CONFLICT_SQLSTATES
