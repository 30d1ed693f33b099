"""Idempotency keys for the writes that open a case: `case open` and `entry add`.

A client that sent a request and lost the answer (a dropped connection, a timeout) cannot know
whether it was written; retried without a key, it could file a second protest, PSC or prior
disclosure. With `request_id` the first transaction records the key, a fingerprint of what was
asked (and by whom) and the case it opened, in the same transaction as the case: a retry with
the key returns that case, and writes nothing; the key with other content is refused
(RequestReused, exit 2: the caller chose the key, so the fix is theirs — a new key — and the
case's state has nothing to do with it).

The key's row is claimed first in the transaction, so that two retries racing each other meet
on it: the second waits for the first (PostgreSQL) and, once it committed, fails on the key's
unique index and is run again — and then returns the case the first opened.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from typing import Any, TypeVar

import sqlalchemy as sa

from cee_workflow.storage import queries
from cee_workflow.storage.models import Request
from cee_workflow.workflow.errors import InvalidInput, RequestReused
from cee_workflow.workflow.views import CaseView

REQUEST = Request.__table__
# Printable ASCII without spaces, as HTTP's Idempotency-Key values are in practice (a UUID, a
# client's own counter): nothing a terminal would hide.
_KEY = re.compile(r"[!-~]{1,128}")
T = TypeVar("T")


def parse_request_id(text: str | None) -> str | None:
    """The key as given, or InvalidInput if it is not 1–128 printable ASCII characters."""
    if text is None:
        return None
    if not isinstance(text, str) or not _KEY.fullmatch(text):
        raise InvalidInput("a request id is 1 to 128 printable ASCII characters without spaces "
                           "(a UUID, for instance)")
    return text


def fingerprint(actor: str, command: str, content: dict[str, Any]) -> str:
    """A hash of who asked what: the same key with a different request is refused."""
    text = json.dumps({"actor": actor, "command": command, "content": content},
                      sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def claim(ctx, key: str | None, fingerprint_: str, actor: str) -> CaseView | None:
    """Inside the request's transaction, first: the case a request with `key` opened before
    (a retry: the caller returns it and writes nothing), or None after claiming the key."""
    if key is None:
        return None
    conn = ctx.connection()
    row = conn.execute(sa.select(REQUEST.c.fingerprint, REQUEST.c.case_id)
                       .where(REQUEST.c.key == key)).first()
    if row is None:
        conn.execute(sa.insert(REQUEST).values(key=key, fingerprint=fingerprint_, actor=actor,
                                               case_id=None, at=ctx.now))
        return None
    if row.fingerprint != fingerprint_:
        raise RequestReused(f"request id {key} was used before for a different request; "
                            "use a new request id for a new request")
    case = queries.get_case(ctx.session, row.case_id)
    return CaseView.of(case, queries.entries_of_cases(ctx.session, [case.id])[case.id])


def settle(ctx, key: str | None, case_id: str) -> None:
    """Record the case the request opened on its claimed key (same transaction)."""
    if key is not None:
        ctx.connection().execute(sa.update(REQUEST).where(REQUEST.c.key == key)
                                 .values(case_id=case_id))


def once(key: str | None, write: Callable[[], T]) -> T:
    """Run `write`; if a concurrent request with the same key committed first (the key's
    unique index refused ours), run it again: it then returns what that one opened."""
    try:
        return write()
    except sa.exc.IntegrityError as error:
        if key is None or "cee_request" not in str(error.orig):
            raise
    return write()
