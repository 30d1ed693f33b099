"""The registry's own hash chain: who registered, changed or deactivated whom, and when.

Every change to an office, officer, importer, trade party or administrator appends one
`cee_registry_event` in the same transaction as the change. Each event's hash is SHA-256 over
its predecessor's hash and the canonical JSON (sorted keys, no spaces, UTF-8) of its seq,
instant, actor, action, subject and data — the same construction as the case events' chain.
`audit verify` recomputes the chain and folds it into the registry it describes: a row no event
explains, an edited or deleted event, or a row that differs from its events' fold is named
(`problems`). The chain is also a Merkle source of signed checkpoints (workflow/merkle.py).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from cee_workflow.storage.models import (
    Administrator,
    Importer,
    Office,
    Officer,
    Party,
    RegistryEvent,
)
from cee_workflow.storage.reference_data import CENTERS, PORTS

GENESIS = "0" * 64
SUBJECT = "registry"  # the one chain's name in a checkpoint's leaves
EVENTS = RegistryEvent.__table__
# What each kind of registry row is, as the events state it: (table, key column, fields).
FOLDED = {
    "office": (Office.__table__, "code", ("kind", "name")),
    "officer": (Officer.__table__, "id", ("name", "office", "unit", "role", "login", "active")),
    "importer": (Importer.__table__, "number", ("name", "center", "trusted", "login")),
    "administrator": (Administrator.__table__, "id", ("name", "login", "active")),
    "party": (Party.__table__, "id", ("name", "role", "login", "importer", "principals",
                                      "active")),
}


def canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=str).encode()


def event_hash(prev_hash: str, seq: int, at: datetime, actor: str, action: str, subject: str,
               data: dict[str, Any]) -> str:
    body = {"seq": seq, "at": at.isoformat(), "actor": actor, "action": action,
            "subject": subject, "data": data}
    return hashlib.sha256(prev_hash.encode() + canonical(body)).hexdigest()


def append(connection: sa.Connection, *, at: datetime, actor: str, action: str, subject: str,
           data: dict[str, Any]) -> int:
    """Append one event to the chain (in the caller's transaction); returns its seq.

    The chain's head is read under a lock (PostgreSQL: the head row FOR UPDATE; SQLite: the
    writer holds the database), so two registrars chain one after the other."""
    head = sa.select(EVENTS.c.seq, EVENTS.c.hash).order_by(EVENTS.c.seq.desc()).limit(1)
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("LOCK TABLE cee_registry_event IN EXCLUSIVE MODE")
    last = connection.execute(head).first()
    seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
    connection.execute(sa.insert(EVENTS).values(
        seq=seq, at=at, actor=actor, action=action, subject=subject, data=data, prev_hash=prev,
        hash=event_hash(prev, seq, at, actor, action, subject, data)))
    return seq


def append_many(connection: sa.Connection, *, at: datetime, actor: str,
                changes: list[tuple[str, str, dict[str, Any]]]) -> None:
    """Append (action, subject, data) changes in order, in one statement (bulk loads)."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("LOCK TABLE cee_registry_event IN EXCLUSIVE MODE")
    last = connection.execute(sa.select(EVENTS.c.seq, EVENTS.c.hash)
                              .order_by(EVENTS.c.seq.desc()).limit(1)).first()
    seq, prev = (last[0], last[1]) if last else (0, GENESIS)
    rows = []
    for action, subject, data in changes:
        seq += 1
        digest = event_hash(prev, seq, at, actor, action, subject, data)
        rows.append({"seq": seq, "at": at, "actor": actor, "action": action,
                     "subject": subject, "data": data, "prev_hash": prev, "hash": digest})
        prev = digest
    if rows:
        connection.execute(sa.insert(EVENTS), rows)


def events(connection: sa.Connection, upto: int | None = None) -> Iterator[sa.Row]:
    statement = sa.select(EVENTS).order_by(EVENTS.c.seq)
    if upto is not None:
        statement = statement.where(EVENTS.c.seq <= upto)
    yield from connection.execute(statement)


def leaves(connection: sa.Connection, upto: int | None) -> Iterator[tuple[int, str, int, str]]:
    for row in events(connection, upto):
        yield row.seq, SUBJECT, row.seq, row.hash


def locate(connection: sa.Connection, subject: str, number: int
           ) -> tuple[int, str, int, str] | None:
    if subject != SUBJECT:
        return None
    row = connection.execute(sa.select(EVENTS.c.seq, EVENTS.c.hash)
                             .where(EVENTS.c.seq == number)).first()
    return (row[0], SUBJECT, row[0], row[1]) if row else None


def problems(connection: sa.Connection) -> list[str]:
    """What the chain says was forged: a broken link, a gap, or a registry row its events do
    not explain (every registry change is an event; the seeded offices are reference data)."""
    found: list[str] = []
    state: dict[tuple[str, str], dict[str, Any] | None] = {}
    prev, expected = GENESIS, 1
    for row in events(connection):
        where = f"registry event #{row.seq} ({row.action} {row.subject} by {row.actor})"
        if row.seq != expected:
            found.append(f"registry events #{expected} to #{row.seq - 1} are missing: they "
                         "were deleted")
        if row.prev_hash != prev:
            found.append(f"{where}: its previous hash does not match event #{row.seq - 1}: "
                         "the registry chain was cut or reordered")
        if row.hash != event_hash(row.prev_hash, row.seq, row.at, row.actor, row.action,
                                  row.subject, row.data):
            found.append(f"{where}: its hash does not match its content: it was edited")
        kind = row.action.split(".")[0]
        if kind in FOLDED:
            current = state.get((kind, row.subject)) or {}
            state[(kind, row.subject)] = {**current, **row.data}
        prev, expected = row.hash, row.seq + 1
    found.extend(_unexplained(connection, state))
    return found


def _unexplained(connection: sa.Connection,
                 state: dict[tuple[str, str], dict[str, Any] | None]) -> list[str]:
    found = []
    for kind, (table, key, fields) in FOLDED.items():
        present = set()
        for row in connection.execute(sa.select(table)).mappings():
            subject = row[key]
            present.add(subject)
            if kind == "office" and _reference(row):
                continue  # reference data: every upgrade seeds it as it is
            told = state.get((kind, subject))
            if told is None:
                found.append(f"registry: {kind} {subject} has no registry event: it was "
                             "written without an administrator")
                continue
            for field in fields:
                if field in told and _norm(told[field]) != _norm(row[field]):
                    found.append(f"registry: {kind} {subject}: {field} is {row[field]!r} but "
                                 f"its registry events say {told[field]!r}: changed without "
                                 "an event")
        for gone in sorted(s for k, s in state if k == kind and s not in present):
            found.append(f"registry: {kind} {gone} is registered by its events but its row is "
                         "gone: it was deleted without an event")
    return found


def _reference(row) -> bool:
    seeded = CENTERS if row["kind"] == "center" else PORTS
    return seeded.get(row["code"]) == row["name"]


def _norm(value: Any) -> Any:
    return sorted(value) if isinstance(value, list) else value
