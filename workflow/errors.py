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


class UnknownTrigger(InvalidTransition):
    """The lifecycle has no trigger of that name: a typo (exit 2), with "did you mean" and the
    lifecycle's triggers. An InvalidTransition, so callers catching that still catch it."""

    kind = "unknown_trigger"
    exit_code = 2


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


class ConnectionLost(WorkflowError):
    """The database connection broke mid-command (server restart, terminated backend)."""

    kind = "connection_lost"

    def __init__(self, message: str = "the connection to the database was lost; nothing was "
                                      "written (the transaction was rolled back), try again"):
        super().__init__(message)


# Lost while COMMIT was under way: the server may have committed before the connection broke,
# so "nothing was written" would be a guess. The request id makes the retry safe.
LOST_AT_COMMIT = ("the connection to the database was lost while the change was being "
                  "committed, so it may or may not have been written; check the case (`cee case "
                  "show`), or retry with the same --request-id")


class DatabaseLocked(WorkflowError):
    """SQLite: another process held the write lock for longer than the busy timeout."""

    kind = "database_locked"

    def __init__(self, message: str = "the database is locked by another process; try again "
                                      "when it has finished"):
        super().__init__(message)


def database_fault(error: Exception) -> WorkflowError | None:
    """The typed error for a SQLAlchemy DBAPIError that is a lost connection, a locked SQLite
    database, a lock conflict or a value PostgreSQL cannot store (a NUL), else None."""
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
    if "cannot contain nul" in text:  # PostgreSQL text: the statement was refused, no write
        return InvalidInput("a value holds a NUL character (\\x00), which the database cannot "
                            "store; give it without one")
    return None


LOCK_CONFLICT_SQLSTATES = ("40P01", "40001")  # deadlock detected, serialization failure


def is_lock_conflict(error: Exception) -> bool:
    """PostgreSQL rolled the transaction back as a deadlock victim or a serialization
    failure: retrying the whole transaction is safe."""
    return getattr(getattr(error, "orig", None), "sqlstate", None) in LOCK_CONFLICT_SQLSTATES


class BackdatingRefused(NotPermitted):
    """A settable clock, `--now` or a sweep instant asked of a real (non-simulation) database:
    every event there is recorded at the system clock's instant."""

    kind = "backdating_refused"


class BrokerUnavailable(WorkflowError):
    """`cee events relay`: the message broker cannot be reached, refused us, or failed."""

    kind = "broker_unavailable"


class RequestReused(InvalidInput):
    """A request id (`--request-id`) used before for a different request, or by another actor:
    the caller chose the key, so the fix is theirs (a new key) — exit 2, like other bad input."""

    kind = "request_id_reused"


class IdentityRefused(NotPermitted):
    """On a real database: who is acting is the established identity (the PostgreSQL login
    role, the SQLite file's operating-system user), mapped to one registered officer, filer or
    administrator; `--as` naming anyone else, an unmapped login, a deactivated identity, or an
    `Actor` the engine did not resolve is refused (workflow/identity.py)."""

    kind = "identity_refused"


KINDS: dict[str, type[WorkflowError]] = {cls.kind: cls for cls in (
    WorkflowError, InvalidInput, NotFound, NotPermitted, InvalidTransition, UnknownTrigger,
    RuleViolation, Conflict, ConnectionLost, DatabaseLocked, BackdatingRefused, BrokerUnavailable,
    RequestReused, IdentityRefused)}
