"""Signed checkpoints: an Ed25519 signature over the Merkle tree heads of the event log.

`keygen` writes a private key (PKCS#8 PEM, mode 0600, never in the database) and its public
key. `write_checkpoint` signs the head of every source (workflow/merkle.py: size, last seq,
root) with the time, and writes beside it the leaves it covers (gzipped JSON lines), so that a
later verify can name the event that differs. `verify_checkpoint` checks the signature, that
the leaves file is the signed tree, and that the first `size` events of each source today are
those leaves: unchanged, present, not renumbered, and extended only after them (RFC 9162
consistency, checked by recomputing the old tree from today's events).
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import os
import stat
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from cee_workflow.storage import audit_reads
from cee_workflow.storage.database import is_simulation
from cee_workflow.workflow.errors import InvalidInput, NotFound, NotPermitted
from cee_workflow.workflow.merkle import SOURCES, Leaf, Source, TreeHead, source

FORMAT = "cee-checkpoint/1"
REPORTED = 50  # differences named per source; the rest are counted


def keygen(out: str | Path) -> tuple[Path, Path]:
    """A new Ed25519 key: `out` (private, 0600) and `out.pub`. Refuses to overwrite."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    private_path, public_path = Path(out), Path(f"{out}.pub")
    key = Ed25519PrivateKey.generate()
    contents = {
        private_path: (key.private_bytes(serialization.Encoding.PEM,
                                         serialization.PrivateFormat.PKCS8,
                                         serialization.NoEncryption()), 0o600),
        public_path: (key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo), 0o644)}
    written: list[Path] = []
    try:  # both files or neither: O_EXCL never overwrites, and a failure removes the first
        for path, (data, mode) in contents.items():
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
            written.append(path)
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(data)
    except (OSError, ValueError) as error:  # ValueError: a NUL in the path
        for path in written:
            path.unlink(missing_ok=True)
        if isinstance(error, FileExistsError):
            raise InvalidInput(f"{error.filename} exists; a key is never overwritten: choose "
                               "another --out or move the old key away") from None
        why = error.strerror if isinstance(error, OSError) else "not a file name"
        raise InvalidInput(f"cannot write the key {out!r}: {why}; choose another --out"
                           ) from None
    return private_path, public_path


def _read(path: str | Path, what: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise NotFound(what, str(path)) from None
    except (OSError, ValueError) as error:  # ValueError: a NUL in the path
        raise InvalidInput(f"cannot read {what} {path!r}: "
                           f"{getattr(error, 'strerror', None) or 'not a file name'}") from None


def load_private_key(path: str | Path):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    data = _read(path, "signing key")
    if os.name == "posix" and stat.S_IMODE(os.stat(path).st_mode) & 0o077:
        raise NotPermitted(f"signing key {path} is readable by others; `chmod 600 {path}` "
                           "(or make a new key with `cee audit keygen`)")
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError):
        raise InvalidInput(f"{path} is not an unencrypted PEM private key; make one with "
                           "`cee audit keygen --out FILE`") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise InvalidInput(f"{path} is not an Ed25519 key; make one with `cee audit keygen`")
    return key


def load_public_key(path: str | Path):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        key = serialization.load_pem_public_key(_read(path, "public key"))
    except (ValueError, TypeError):
        raise InvalidInput(f"{path} is not a PEM public key (the .pub file `cee audit keygen` "
                           "wrote)") from None
    if not isinstance(key, Ed25519PublicKey):
        raise InvalidInput(f"{path} is not an Ed25519 public key")
    return key


def key_id(public_key) -> str:
    from cryptography.hazmat.primitives import serialization

    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


def _canonical(document: dict[str, Any]) -> bytes:
    return json.dumps(document, sort_keys=True, separators=(",", ":")).encode()


def write_checkpoint(db: sa.Engine, key_path: str | Path, out_dir: str | Path,
                     now: datetime) -> Path:
    """Sign the tree head of every source at `now`; returns the checkpoint file written."""
    key = load_private_key(key_path)
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except (OSError, ValueError) as error:
        raise InvalidInput(f"cannot use --out {str(out)!r}: "
                           f"{getattr(error, 'strerror', None) or 'not a directory name'}"
                           ) from None
    stamp = now.strftime("%Y%m%dT%H%M%S%fZ")
    leaves_name = f"checkpoint-{stamp}.leaves.jsonl.gz"
    heads = []
    partial = out / (leaves_name + ".partial")
    with gzip.open(partial, "wt", encoding="utf-8") as leaves_file:
        for src in SOURCES:
            with db.begin() as connection:  # committed at once: the lock is held briefly
                last = audit_reads.lock_for_checkpoint(connection, src.table)
            tree = TreeHead()
            with db.connect() as connection:
                for leaf in src.leaves(connection, last):
                    tree.add(src.encode(leaf))
                    leaves_file.write(json.dumps([src.name, *leaf]) + "\n")
            heads.append({"name": src.name, "size": tree.size, "last_seq": last,
                          "root": tree.root().hex()})
    head = {"format": FORMAT, "time": now.isoformat(), "sources": heads,
            "simulation": is_simulation(db),
            "key_id": key_id(key.public_key())}
    document = {"checkpoint": head,
                "signature": base64.b64encode(key.sign(_canonical(head))).decode(),
                "leaves": leaves_name}
    partial.replace(out / leaves_name)
    path = out / f"checkpoint-{stamp}.json"
    tmp = path.with_suffix(".json.partial")
    tmp.write_text(json.dumps(document, indent=2) + "\n")
    tmp.replace(path)
    return path


def read_checkpoint(path: str | Path, public_key_path: str | Path) -> tuple[dict, Path | None]:
    """The signed head (signature verified) and its leaves file, if it is there."""
    from cryptography.exceptions import InvalidSignature

    public_key = load_public_key(public_key_path)
    try:
        document = json.loads(_read(path, "checkpoint"))
        head, signature = document["checkpoint"], base64.b64decode(document["signature"])
        if head.get("format") != FORMAT:
            raise InvalidInput(f"{path} is not a {FORMAT} checkpoint")
    except (ValueError, KeyError, TypeError):
        raise InvalidInput(f"{path} is not a checkpoint written by `cee audit checkpoint`"
                           ) from None
    try:
        public_key.verify(signature, _canonical(head))
    except InvalidSignature:
        raise NotPermitted(f"the signature of {path} does not verify with {public_key_path}: "
                           "the checkpoint was altered or signed by another key") from None
    leaves = Path(path).parent / document["leaves"] if document.get("leaves") else None
    return head, leaves if leaves is not None and leaves.exists() else None


def _signed_leaves(path: Path, name: str) -> Iterator[Leaf]:
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            if record[0] == name:
                yield record[1], record[2], record[3], record[4]


def verify_checkpoint(db: sa.Engine, path: str | Path, public_key_path: str | Path
                      ) -> tuple[list[str], list[str]]:
    """(problems, what was proven) for a checkpoint against the database today."""
    head, leaves_path = read_checkpoint(path, public_key_path)
    problems: list[str] = []
    proven: list[str] = []
    if head.get("simulation") is not None and head["simulation"] != is_simulation(db):
        problems.append(f"the database was {'a' if head['simulation'] else 'not a'} simulation "
                        f"database at the checkpoint of {head['time']} and is "
                        f"{'one' if is_simulation(db) else 'not one'} now: its simulation flag "
                        "was changed")
    for signed in head["sources"]:
        src = source(signed["name"])
        if src is None:
            problems.append(f"checkpoint of {head['time']} signs source {signed['name']!r}, "
                            "which this version does not know")
            continue
        found = _verify_source(db, src, signed, head["time"], leaves_path)
        problems.extend(found)
        if not found:
            proven.append(f"checkpoint of {head['time']}: the first {signed['size']} "
                          f"{src.name.replace('_', ' ')} (to seq {signed['last_seq']}) are "
                          "unchanged and present; later events extend them")
    return problems, proven


def _verify_source(db: sa.Engine, src: Source, signed: dict, when: str,
                   leaves_path: Path | None) -> list[str]:
    root, size = bytes.fromhex(signed["root"]), signed["size"]
    problems: list[str] = []
    today = TreeHead()
    with db.connect() as connection:
        current = src.leaves(connection, signed["last_seq"])
        if leaves_path is None:
            for leaf in current:
                today.add(src.encode(leaf))
        else:
            kept = TreeHead()
            problems = _compare(src, _signed_leaves(leaves_path, src.name), current, kept,
                                today, when, lambda s, n: src.locate(connection, s, n))
            if (kept.size, kept.root()) != (size, root):
                return [f"the leaves file {leaves_path.name} is not the tree the checkpoint of "
                        f"{when} signs: it was altered; verify against the signed root alone "
                        "by moving it away"]
    if (today.size, today.root()) != (size, root) and not problems:
        problems.append(f"the first {size} {src.name.replace('_', ' ')} (to seq "
                        f"{signed['last_seq']}) are not those the checkpoint of {when} signs "
                        f"(today {today.size} events there): events were altered, removed, "
                        "added or renumbered (keep the leaves file beside the checkpoint to "
                        "have each one named)")
    return problems


def _compare(src: Source, kept_leaves: Iterator[Leaf], current: Iterator[Leaf], kept: TreeHead,
             today: TreeHead, when: str, locate) -> list[str]:
    """Merge the signed leaves and today's by seq; name each event that differs."""
    missing: dict[tuple[str, int], Leaf] = {}  # signed, not at its seq today
    extra: dict[tuple[str, int], Leaf] = {}  # today, not signed at its seq
    old, new = next(kept_leaves, None), next(current, None)
    while old is not None or new is not None:
        if old is not None and new is not None and old[0] == new[0]:
            kept.add(src.encode(old))
            today.add(src.encode(new))
            if old != new:
                missing[(old[1], old[2])], extra[(new[1], new[2])] = old, new
            old, new = next(kept_leaves, None), next(current, None)
        elif new is None or (old is not None and old[0] < new[0]):
            kept.add(src.encode(old))
            missing[(old[1], old[2])] = old
            old = next(kept_leaves, None)
        else:
            today.add(src.encode(new))
            extra[(new[1], new[2])] = new
            new = next(current, None)
    problems = []
    for key, was in missing.items():
        now = extra.pop(key, None)
        if now is None and len(problems) < REPORTED:
            now = locate(*key)  # renumbered past the checkpoint's last seq?
        prefix = f"case {was[1]} event #{was[2]} (seq {was[0]})"
        if now is None:
            problems.append(f"{prefix}: signed in the checkpoint of {when}, is gone: it was "
                            "deleted (a truncated chain or a deleted case)")
        elif now[0] != was[0]:
            problems.append(f"{prefix}: signed at seq {was[0]} in the checkpoint of {when}, "
                            f"is at seq {now[0]} today: the outbox sequence was renumbered")
        else:
            problems.append(f"{prefix}: differs from the checkpoint of {when} (hash "
                            f"{was[3][:12]}…, today {now[3][:12]}…): it was altered and its "
                            "chain recomputed")
    for now in extra.values():
        problems.append(f"case {now[1]} event #{now[2]} (seq {now[0]}): not in the checkpoint "
                        f"of {when}, though numbered within it: it was inserted afterwards")
    if len(problems) > REPORTED:
        problems = [*problems[:REPORTED], f"… and {len(problems) - REPORTED} more differences "
                    f"from the checkpoint of {when}"]
    return problems
