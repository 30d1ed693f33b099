"""The streamed tree head is RFC 9162's Merkle Tree Hash (§2.1.1), for every size."""

from __future__ import annotations

import hashlib

from cee_workflow.workflow.merkle import TreeHead, leaf_hash, node_hash


def _mth(leaves: list[bytes]) -> bytes:
    """RFC 9162 §2.1.1, as written: split at the largest power of two smaller than n."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return hashlib.sha256(b"\x00" + leaves[0]).digest()
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return hashlib.sha256(b"\x01" + _mth(leaves[:k]) + _mth(leaves[k:])).digest()


def test_the_streamed_root_is_the_rfc_9162_tree_hash_of_every_prefix():
    leaves = [f"event {i}".encode() for i in range(70)]
    tree = TreeHead()
    assert tree.root() == _mth([])
    for n, leaf in enumerate(leaves, start=1):
        tree.add(leaf)
        assert (tree.size, tree.root()) == (n, _mth(leaves[:n])), n


def test_leaves_and_nodes_are_domain_separated():
    assert leaf_hash(b"x") == hashlib.sha256(b"\x00x").digest()
    assert node_hash(b"a", b"b") == hashlib.sha256(b"\x01ab").digest()
    tree = TreeHead()
    tree.add(b"a")
    tree.add(b"b")
    assert tree.root() == node_hash(leaf_hash(b"a"), leaf_hash(b"b"))
