"""Merkle tree heads over the event log, as RFC 9162 §2.1 hashes them, computed as a stream.

leaf hash = SHA-256(0x00 || leaf), node hash = SHA-256(0x01 || left || right), the tree of n
leaves splitting at the largest power of two below n; the empty tree's hash is SHA-256("").
`TreeHead.add` keeps one hash per set bit of the size (at most 64): millions of leaves in
bounded memory.

A log is a list of sources, each a table of events numbered by its own `seq`: the case events
(`cee_event`) today, the registry's events when they are added beside them. Each source is its
own tree (its leaves in seq order, so that it only grows at the end); a checkpoint signs the
head of every source at once.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import sqlalchemy as sa

from cee_workflow.storage import audit_reads
from cee_workflow.storage.models import Event, RegistryEvent

# (seq, subject, subject_seq, hash): the event's number in its table, what it is about (a case
# id), its number there (case_seq), and its chained hash.
Leaf = tuple[int, str, int, str]


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


class TreeHead:
    """The RFC 9162 tree hash of the leaves added so far, in order."""

    def __init__(self) -> None:
        self.size = 0
        self._stack: list[tuple[int, bytes]] = []  # (subtree size, hash), sizes decreasing

    def add(self, data: bytes) -> None:
        self.add_hash(leaf_hash(data))

    def add_hash(self, digest: bytes) -> None:
        size, value = 1, digest
        while self._stack and self._stack[-1][0] == size:
            left = self._stack.pop()[1]
            size, value = size * 2, node_hash(left, value)
        self._stack.append((size, value))
        self.size += 1

    def root(self) -> bytes:
        if not self._stack:
            return hashlib.sha256(b"").digest()
        value = self._stack[-1][1]
        for _, left in reversed(self._stack[:-1]):
            value = node_hash(left, value)
        return value


@dataclass(frozen=True)
class Source:
    """One table of chained events in the log."""

    name: str
    table: sa.Table
    leaves: Callable[[sa.Connection, int | None], Iterator[Leaf]]  # in seq order, to a seq
    locate: Callable[[sa.Connection, str, int], Leaf | None]  # one by subject and number

    def encode(self, leaf: Leaf) -> bytes:
        """The leaf's bytes: the source, the event's seq, subject, number there and hash."""
        seq, subject, subject_seq, digest = leaf
        return json.dumps([self.name, seq, subject, subject_seq, digest],
                          separators=(",", ":"), ensure_ascii=False).encode()


def _case_event_leaves(connection: sa.Connection, upto: int | None) -> Iterator[Leaf]:
    return audit_reads.event_leaves(connection, upto)


CASE_EVENTS = Source("case_events", Event.__table__, _case_event_leaves,
                     audit_reads.event_leaf)
# Every source a checkpoint covers, in the order it lists them. A new table of chained events
# (the registry's) is added here: a checkpoint made before it simply does not list it.
def _registry_leaves(connection: sa.Connection, upto: int | None) -> Iterator[Leaf]:
    from cee_workflow.workflow import registry_chain

    return registry_chain.leaves(connection, upto)


def _registry_locate(connection: sa.Connection, subject: str, number: int) -> Leaf | None:
    from cee_workflow.workflow import registry_chain

    return registry_chain.locate(connection, subject, number)


REGISTRY_EVENTS = Source("registry_events", RegistryEvent.__table__, _registry_leaves,
                         _registry_locate)
SOURCES: tuple[Source, ...] = (CASE_EVENTS, REGISTRY_EVENTS)


def source(name: str) -> Source | None:
    return next((s for s in SOURCES if s.name == name), None)
