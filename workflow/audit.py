"""The per-case hash chain: hash = sha256(prev_hash + canonical event)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

GENESIS = "0" * 64
CHAINED_FIELDS = ("case_id", "case_seq", "at", "actor", "authority", "regime", "trigger",
                  "from_state", "to_state", "note", "data")


def canonical(event: Mapping[str, Any]) -> str:
    """The event's chained fields as canonical JSON (sorted keys, no spaces, UTC ISO times)."""
    fields = {}
    for name in CHAINED_FIELDS:
        value = event[name]
        fields[name] = value.isoformat() if isinstance(value, datetime) else value
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def chain_hash(prev_hash: str, event: Mapping[str, Any]) -> str:
    return hashlib.sha256((prev_hash + canonical(event)).encode()).hexdigest()


_CASE_ID, _CASE_SEQ = "\ue000case_id\ue000", "\ue000case_seq\ue000"  # never in an event


class CanonicalTemplate:
    """The canonical form of events alike in everything but their case and number (a bulk
    batch's cases that take one transition with one outcome): built once, it gives each case's
    chain hash by splicing in the JSON of the case id and the number — the very text
    `canonical` makes, since keys sort the same and the rest is the same bytes."""

    def __init__(self, event: Mapping[str, Any]):
        text = canonical({**event, "case_id": _CASE_ID, "case_seq": _CASE_SEQ})
        before, id_mark, rest = text.partition(json.dumps(_CASE_ID, ensure_ascii=False))
        middle, seq_mark, after = rest.partition(json.dumps(_CASE_SEQ, ensure_ascii=False))
        if not id_mark or not seq_mark or _CASE_ID in after or _CASE_SEQ in before + after:
            raise ValueError("the event's fields cannot hold a case id and number marker")
        self._parts = (before, middle, after)

    def hash(self, prev_hash: str, case_id: str, case_seq: int) -> str:
        """`chain_hash(prev_hash, event)` of this event of case `case_id`, number `case_seq`."""
        before, middle, after = self._parts
        return hashlib.sha256((prev_hash + before + _json_string(case_id) + middle
                               + str(int(case_seq)) + after).encode()).hexdigest()


def _json_string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


@dataclass(frozen=True)
class BrokenLink:
    case_id: str
    case_seq: int
    seq: int
    reason: str

    def __str__(self) -> str:
        return f"case {self.case_id} event #{self.case_seq} (seq {self.seq}): {self.reason}"


def verify_chain(case_id: str, events: Iterable[Mapping[str, Any]], head_hash: str
                 ) -> BrokenLink | None:
    """The first broken link of one case's chain (events in case_seq order), or None."""
    prev, expected_seq, last_seq = GENESIS, 1, 0
    for event in events:
        seq = event["seq"]
        if event["case_seq"] != expected_seq:
            return BrokenLink(case_id, event["case_seq"], seq,
                              f"expected event #{expected_seq}: an event is missing")
        if event["prev_hash"] != prev:
            return BrokenLink(case_id, event["case_seq"], seq,
                              "prev_hash does not match the previous event's hash")
        if chain_hash(prev, event) != event["hash"]:
            return BrokenLink(case_id, event["case_seq"], seq,
                              "hash does not match the event's content: it was altered")
        prev, expected_seq, last_seq = event["hash"], expected_seq + 1, seq
    if prev != head_hash:
        return BrokenLink(case_id, expected_seq - 1, last_seq,
                          "the case's head hash does not match its last event: events were "
                          "removed or the case row was altered")
    return None
