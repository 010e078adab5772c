"""RFC 6962 Merkle tree hashing, proofs and proof verification; pure.

The tree is the one Certificate Transparency uses (RFC 6962 section 2.1, restated
in RFC 9162 section 2.1): a leaf hashes as SHA-256(0x00 || data) and an inner node
as SHA-256(0x01 || left || right). The two prefixes keep a leaf from ever being
passed off as an inner node (the second-preimage attack on plain Merkle trees).
A tree of n leaves splits at k, the largest power of two below n, so every left
subtree is perfect and only the right edge is ragged.

Proofs are built from *perfect subtrees* (``NodeId``: 2**level leaves starting at
leaf ``index * 2**level``), which never change once complete. A store keeps those
and hands them to the proof builders through a ``NodeLookup``, so a proof for a
million-entry log needs O(log n) stored hashes. ``CompactRange`` is the other half:
the O(log n) frontier that lets an append complete nodes, and a reader compute the
root of every prefix, in amortised O(1) per leaf.

Verification follows the algorithms of RFC 9162 sections 2.1.3.2 and 2.1.4.2.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from sealroom.audit.errors import ProofInvalid

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()
_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(_LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(_NODE_PREFIX + left + right).digest()


@dataclass(frozen=True, slots=True, order=True)
class NodeId:
    """The perfect subtree of 2**level leaves starting at leaf index * 2**level.

    Level 0 is a leaf itself.
    """

    level: int
    index: int

    @property
    def first_leaf(self) -> int:
        return self.index << self.level

    @property
    def leaf_count(self) -> int:
        return 1 << self.level


# A half-open range [start, end) of leaf indices.
LeafRange = tuple[int, int]
# Given perfect subtrees, returns their hashes (every one asked for).
NodeLookup = Callable[[Sequence[NodeId]], Mapping[NodeId, bytes]]


def root_of(leaf_hashes: Sequence[bytes]) -> bytes:
    """The Merkle tree hash of the given leaf hashes (MTH in RFC 6962).

    Built level by level, carrying a last odd node up unchanged: for this tree
    shape that gives the same root as the RFC's recursive definition.
    """
    if not leaf_hashes:
        return EMPTY_ROOT
    sha256 = hashlib.sha256
    level = list(leaf_hashes)
    while len(level) > 1:
        paired = [
            sha256(_NODE_PREFIX + left + right).digest()
            for left, right in zip(level[0::2], level[1::2], strict=False)
        ]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0]


class CompactRange:
    """The perfect subtrees that make up the leaves [0, size), largest first.

    There is one per set bit of ``size``; folding them from the right gives the
    root. Appending a leaf merges equal-sized subtrees like a binary counter
    carries, and reports each perfect node it completes so a store can keep it.
    """

    __slots__ = ("_hashes", "_size")

    def __init__(self, size: int = 0, hashes: Sequence[bytes] = ()) -> None:
        if size < 0 or len(hashes) != size.bit_count():
            raise ValueError(
                f"a compact range of {size} leaves has {size.bit_count()} hashes, not {len(hashes)}"
            )
        self._size = size
        self._hashes = list(hashes)

    @property
    def size(self) -> int:
        return self._size

    @property
    def hashes(self) -> tuple[bytes, ...]:
        return tuple(self._hashes)

    def append(self, leaf: bytes) -> list[tuple[NodeId, bytes]]:
        """Adds one leaf hash; returns the perfect nodes (level >= 1) it completes."""
        completed: list[tuple[NodeId, bytes]] = []
        current = leaf
        index = self._size
        level = 0
        hashes = self._hashes
        while index & 1:
            current = hashlib.sha256(_NODE_PREFIX + hashes.pop() + current).digest()
            index >>= 1
            level += 1
            completed.append((NodeId(level, index), current))
        hashes.append(current)
        self._size += 1
        return completed

    def push(self, leaf: bytes) -> None:
        """``append`` without reporting completed nodes: the verifier's hot path."""
        index = self._size
        hashes = self._hashes
        while index & 1:
            leaf = hashlib.sha256(_NODE_PREFIX + hashes.pop() + leaf).digest()
            index >>= 1
        hashes.append(leaf)
        self._size += 1

    def extend(self, leaves: Sequence[bytes]) -> None:
        """``push`` for many leaves; a power-of-two run that starts aligned is hashed
        level by level and joins as one perfect subtree, which is faster in Python."""
        count = len(leaves)
        if count > 1 and count & (count - 1) == 0 and self._size % count == 0:
            current = root_of(leaves)
            index = self._size // count
            hashes = self._hashes
            while index & 1:
                current = hashlib.sha256(_NODE_PREFIX + hashes.pop() + current).digest()
                index >>= 1
            hashes.append(current)
            self._size += count
        else:
            for leaf in leaves:
                self.push(leaf)

    def root(self) -> bytes:
        if not self._hashes:
            return EMPTY_ROOT
        root = self._hashes[-1]
        for left in reversed(self._hashes[:-1]):
            root = node_hash(left, root)
        return root

    def to_bytes(self) -> bytes:
        return b"".join(self._hashes)

    @classmethod
    def from_bytes(cls, size: int, packed: bytes) -> CompactRange:
        hashes = [packed[i : i + HASH_SIZE] for i in range(0, len(packed), HASH_SIZE)]
        return cls(size, hashes)


def _split_point(count: int) -> int:
    """The largest power of two strictly below ``count`` (``count`` >= 2)."""
    return 1 << ((count - 1).bit_length() - 1)


def inclusion_ranges(index: int, size: int) -> list[LeafRange]:
    """The subtrees whose hashes form the audit path of leaf ``index`` (RFC 6962 PATH).

    Nearest the leaf first, as the proof lists them.
    """
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of {size} leaves")
    ranges: list[LeafRange] = []
    start, end = 0, size
    while end - start > 1:
        split = start + _split_point(end - start)
        if index < split:
            ranges.append((split, end))
            end = split
        else:
            ranges.append((start, split))
            start = split
    ranges.reverse()
    return ranges


def consistency_ranges(old_size: int, new_size: int) -> list[LeafRange]:
    """The subtrees whose hashes form the consistency proof (RFC 6962 PROOF(m, D[n]))."""
    if not 0 <= old_size <= new_size:
        raise ValueError(f"no consistency proof from size {old_size} to size {new_size}")
    if old_size in (0, new_size):
        return []
    ranges: list[LeafRange] = []
    start, end, remaining = 0, new_size, old_size
    # SUBPROOF's flag b: true while the old tree is still a left-aligned prefix whose
    # own root the verifier already holds, so it need not be sent.
    old_root_known = True
    while end - start != remaining:
        split = _split_point(end - start)
        if remaining <= split:
            ranges.append((start + split, end))
            end = start + split
        else:
            ranges.append((start, start + split))
            start += split
            remaining -= split
            old_root_known = False
    if not old_root_known:
        ranges.append((start, end))
    ranges.reverse()
    return ranges


def range_nodes(leaves: LeafRange) -> list[NodeId]:
    """The perfect subtrees that make up a proof range, left to right.

    Every range an RFC 6962 proof uses starts at a multiple of a power of two at
    least as large as itself, so greedy largest-first pieces are always aligned.
    """
    start, end = leaves
    nodes: list[NodeId] = []
    while start < end:
        width = 1 << ((end - start).bit_length() - 1)
        if start % width:
            raise ValueError(f"leaf range [{leaves[0]}, {end}) is not an RFC 6962 subtree")
        level = width.bit_length() - 1
        nodes.append(NodeId(level, start >> level))
        start += width
    return nodes


def _fold(hashes: Sequence[bytes]) -> bytes:
    root = hashes[-1]
    for left in reversed(hashes[:-1]):
        root = node_hash(left, root)
    return root


def _range_hashes(ranges: Sequence[LeafRange], lookup: NodeLookup) -> list[bytes]:
    pieces = [range_nodes(leaves) for leaves in ranges]
    found = lookup([node for piece in pieces for node in piece])
    return [_fold([found[node] for node in piece]) for piece in pieces]


def inclusion_path(index: int, size: int, lookup: NodeLookup) -> list[bytes]:
    """The audit path proving leaf ``index`` is in the tree of ``size`` leaves."""
    return _range_hashes(inclusion_ranges(index, size), lookup)


def consistency_path(old_size: int, new_size: int, lookup: NodeLookup) -> list[bytes]:
    """The hashes proving the tree of ``old_size`` leaves is a prefix of ``new_size``."""
    return _range_hashes(consistency_ranges(old_size, new_size), lookup)


def in_memory_lookup(leaf_hashes: Sequence[bytes]) -> NodeLookup:
    """A ``NodeLookup`` over leaf hashes held in memory (tests, small offline logs)."""
    known: dict[NodeId, bytes] = {}
    tree = CompactRange()
    for index, leaf in enumerate(leaf_hashes):
        known[NodeId(0, index)] = leaf
        known.update(tree.append(leaf))

    def lookup(nodes: Sequence[NodeId]) -> Mapping[NodeId, bytes]:
        missing = [node for node in nodes if node not in known]
        if missing:
            raise ValueError(f"{missing[0]} is not a perfect subtree of the leaves held")
        return {node: known[node] for node in nodes}

    return lookup


def _check_hash_sizes(what: str, hashes: Iterable[bytes]) -> None:
    for value in hashes:
        if len(value) != HASH_SIZE:
            raise ProofInvalid(what, f"a hash is {len(value)} bytes, not {HASH_SIZE}")


def root_from_inclusion_path(index: int, size: int, leaf: bytes, path: Sequence[bytes]) -> bytes:
    """The root that ``path`` implies for ``leaf`` at ``index`` (RFC 9162 2.1.3.2)."""
    what = "inclusion proof"
    _check_hash_sizes(what, [leaf, *path])
    if not 0 <= index < size:
        raise ProofInvalid(what, f"leaf index {index} is not below tree size {size}")
    fn, sn = index, size - 1
    result = leaf
    for sibling in path:
        if sn == 0:
            raise ProofInvalid(what, f"the path has more than the hashes a tree of {size} needs")
        if fn & 1 or fn == sn:
            result = node_hash(sibling, result)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            result = node_hash(result, sibling)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofInvalid(what, f"the path has fewer hashes than a tree of {size} needs")
    return result


def verify_inclusion(
    index: int, size: int, leaf: bytes, path: Sequence[bytes], root: bytes
) -> None:
    """Raises ``ProofInvalid`` unless ``path`` proves ``leaf`` at ``index`` under ``root``."""
    _check_hash_sizes("inclusion proof", [root])
    if root_from_inclusion_path(index, size, leaf, path) != root:
        raise ProofInvalid("inclusion proof", "it leads to a different root hash")


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, path: Sequence[bytes]
) -> None:
    """Raises ``ProofInvalid`` unless ``path`` proves the old tree a prefix of the new.

    RFC 9162 section 2.1.4.2, plus its edge cases: equal sizes need equal roots
    and an empty path; from the empty tree every log is consistent.
    """
    what = "consistency proof"
    _check_hash_sizes(what, [old_root, new_root, *path])
    if not 0 <= old_size <= new_size:
        raise ProofInvalid(what, f"the old size {old_size} is larger than the new {new_size}")
    if old_size in (0, new_size):
        if path:
            raise ProofInvalid(what, "the path must be empty for these sizes")
        expected = EMPTY_ROOT if old_size == 0 else new_root
        if old_root != expected:
            raise ProofInvalid(what, "the old root hash does not match")
        return
    if not path:
        raise ProofInvalid(what, "the path is empty")
    hashes = list(path)
    if old_size & (old_size - 1) == 0:
        # The old tree is a perfect subtree of the new one, so its root is the
        # path's first element and the proof leaves it out (RFC 9162 step 2).
        hashes.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    old_result = new_result = hashes[0]
    for sibling in hashes[1:]:
        if sn == 0:
            raise ProofInvalid(what, "the path has more hashes than these sizes need")
        if fn & 1 or fn == sn:
            old_result = node_hash(sibling, old_result)
            new_result = node_hash(sibling, new_result)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            new_result = node_hash(new_result, sibling)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofInvalid(what, "the path has fewer hashes than these sizes need")
    if old_result != old_root:
        raise ProofInvalid(what, "it does not lead to the old root hash")
    if new_result != new_root:
        raise ProofInvalid(what, "it does not lead to the new root hash")
