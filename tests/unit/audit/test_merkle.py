"""The RFC 6962 tree: published Certificate Transparency vectors, then properties."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sealroom.audit.errors import ProofInvalid
from sealroom.audit.merkle import (
    EMPTY_ROOT,
    CompactRange,
    NodeId,
    consistency_path,
    in_memory_lookup,
    inclusion_path,
    leaf_hash,
    node_hash,
    root_of,
    verify_consistency,
    verify_inclusion,
)

# The eight leaves of the Certificate Transparency reference tests (the
# certificate-transparency C++ tests and transparency-dev/merkle's verify_test.go).
CT_LEAVES = [
    b"",
    b"\x00",
    b"\x10",
    b"\x20\x21",
    b"\x30\x31",
    b"\x40\x41\x42\x43",
    bytes.fromhex("5051525354555657"),
    bytes.fromhex("606162636465666768696a6b6c6d6e6f"),
]
# CT_ROOTS[n - 1] is the root of the tree of the first n leaves.
CT_ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
# (leaf index, tree size, audit path)
CT_INCLUSION = [
    (
        0,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        5,
        8,
        [
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (
        1,
        5,
        [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
]
# (old size, new size, consistency path)
CT_CONSISTENCY = [
    (1, 1, []),
    (
        1,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        5,
        [
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
    (
        6,
        7,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
]
CT_LEAF_HASHES = [leaf_hash(leaf) for leaf in CT_LEAVES]
OTHER_HASH = bytes.fromhex("abacaba000000000000000000000000000000000000000000060061e00123456")


def _hashes(hexes: Sequence[str]) -> list[bytes]:
    return [bytes.fromhex(value) for value in hexes]


def _leaves(count: int) -> list[bytes]:
    return [leaf_hash(i.to_bytes(4, "big")) for i in range(count)]


def _flip_first_bit(value: bytes) -> bytes:
    return bytes([value[0] ^ 0x08]) + value[1:]


def _fails(check: Callable[[], None]) -> bool:
    try:
        check()
    except ProofInvalid:
        return True
    return False


# --- published vectors ------------------------------------------------------------


def test_the_empty_tree_hashes_to_sha256_of_nothing() -> None:
    assert root_of([]) == EMPTY_ROOT == hashlib.sha256(b"").digest()
    assert CompactRange().root() == EMPTY_ROOT


@pytest.mark.parametrize("size", range(1, 9))
def test_roots_of_the_ct_reference_tree_match_the_published_values(size: int) -> None:
    assert root_of(CT_LEAF_HASHES[:size]).hex() == CT_ROOTS[size - 1]


@pytest.mark.parametrize(("index", "size", "path"), CT_INCLUSION)
def test_inclusion_paths_match_the_published_vectors_and_verify(
    index: int, size: int, path: list[str]
) -> None:
    built = inclusion_path(index, size, in_memory_lookup(CT_LEAF_HASHES[:size]))
    assert [value.hex() for value in built] == path
    verify_inclusion(index, size, CT_LEAF_HASHES[index], built, bytes.fromhex(CT_ROOTS[size - 1]))


@pytest.mark.parametrize(("old", "new", "path"), CT_CONSISTENCY)
def test_consistency_paths_match_the_published_vectors_and_verify(
    old: int, new: int, path: list[str]
) -> None:
    built = consistency_path(old, new, in_memory_lookup(CT_LEAF_HASHES[:new]))
    assert [value.hex() for value in built] == path
    verify_consistency(
        old, new, bytes.fromhex(CT_ROOTS[old - 1]), bytes.fromhex(CT_ROOTS[new - 1]), built
    )


@pytest.mark.parametrize(("index", "size", "path"), CT_INCLUSION)
def test_every_corruption_of_a_published_inclusion_proof_is_rejected(
    index: int, size: int, path: list[str]
) -> None:
    proof = _hashes(path)
    root = bytes.fromhex(CT_ROOTS[size - 1])
    leaf = CT_LEAF_HASHES[index]
    probes: dict[str, Callable[[], None]] = {
        "index - 1": lambda: verify_inclusion(index - 1, size, leaf, proof, root),
        "index + 1": lambda: verify_inclusion(index + 1, size, leaf, proof, root),
        "index ^ 2": lambda: verify_inclusion(index ^ 2, size, leaf, proof, root),
        "size * 2": lambda: verify_inclusion(index, size * 2, leaf, proof, root),
        "size / 2": lambda: verify_inclusion(index, size // 2, leaf, proof, root),
        "wrong leaf": lambda: verify_inclusion(index, size, OTHER_HASH, proof, root),
        "empty root": lambda: verify_inclusion(index, size, leaf, proof, EMPTY_ROOT),
        "trailing root": lambda: verify_inclusion(index, size, leaf, [*proof, root], root),
        "preceding root": lambda: verify_inclusion(index, size, leaf, [root, *proof], root),
        "short hash": lambda: verify_inclusion(index, size, leaf, [*proof, b""], root),
        "removed": lambda: verify_inclusion(index, size, leaf, proof[:-1], root),
    }
    for position in range(len(proof)):
        flipped = list(proof)
        flipped[position] = _flip_first_bit(flipped[position])
        probes[f"flipped {position}"] = lambda p=flipped: verify_inclusion(  # type: ignore[misc]
            index, size, leaf, p, root
        )
    accepted = [name for name, probe in probes.items() if not _fails(probe)]
    assert accepted == []


@pytest.mark.parametrize(("old", "new", "path"), [c for c in CT_CONSISTENCY if c[2]])
def test_every_corruption_of_a_published_consistency_proof_is_rejected(
    old: int, new: int, path: list[str]
) -> None:
    proof = _hashes(path)
    old_root, new_root = bytes.fromhex(CT_ROOTS[old - 1]), bytes.fromhex(CT_ROOTS[new - 1])
    probes: dict[str, Callable[[], None]] = {
        "old - 1": lambda: verify_consistency(old - 1, new, old_root, new_root, proof),
        "old + 1": lambda: verify_consistency(old + 1, new, old_root, new_root, proof),
        "old ^ 2": lambda: verify_consistency(old ^ 2, new, old_root, new_root, proof),
        "new * 2": lambda: verify_consistency(old, new * 2, old_root, new_root, proof),
        "new / 2": lambda: verify_consistency(old, new // 2, old_root, new_root, proof),
        "wrong old root": lambda: verify_consistency(old, new, OTHER_HASH, new_root, proof),
        "wrong new root": lambda: verify_consistency(old, new, old_root, OTHER_HASH, proof),
        "swapped roots": lambda: verify_consistency(old, new, new_root, old_root, proof),
        "empty proof": lambda: verify_consistency(old, new, old_root, new_root, []),
        "trailing": lambda: verify_consistency(old, new, old_root, new_root, [*proof, new_root]),
        "preceding": lambda: verify_consistency(old, new, old_root, new_root, [old_root, *proof]),
        "truncated": lambda: verify_consistency(old, new, old_root, new_root, proof[:-1]),
    }
    for position in range(len(proof)):
        flipped = list(proof)
        flipped[position] = _flip_first_bit(flipped[position])
        probes[f"flipped {position}"] = lambda p=flipped: verify_consistency(  # type: ignore[misc]
            old, new, old_root, new_root, p
        )
    accepted = [name for name, probe in probes.items() if not _fails(probe)]
    assert accepted == []


def test_leaves_and_nodes_are_domain_separated_so_a_node_cannot_pose_as_a_leaf() -> None:
    left, right = CT_LEAF_HASHES[0], CT_LEAF_HASHES[1]
    assert node_hash(left, right) != leaf_hash(left + right)
    assert node_hash(left, right) == hashlib.sha256(b"\x01" + left + right).digest()
    assert leaf_hash(b"") == hashlib.sha256(b"\x00").digest()


def test_consistency_edge_sizes_follow_rfc_9162() -> None:
    root = bytes.fromhex(CT_ROOTS[4])
    verify_consistency(0, 5, EMPTY_ROOT, root, [])
    verify_consistency(5, 5, root, root, [])
    with pytest.raises(ProofInvalid, match="path must be empty"):
        verify_consistency(5, 5, root, root, [root])
    with pytest.raises(ProofInvalid, match="old root hash does not match"):
        verify_consistency(5, 5, root, OTHER_HASH, [])
    with pytest.raises(ProofInvalid, match="larger than the new"):
        verify_consistency(6, 5, root, root, [root])


def test_an_inclusion_proof_for_a_leaf_beyond_the_tree_names_both_numbers() -> None:
    with pytest.raises(ProofInvalid, match="leaf index 8 is not below tree size 8"):
        verify_inclusion(8, 8, CT_LEAF_HASHES[0], [], bytes.fromhex(CT_ROOTS[7]))


# --- properties -------------------------------------------------------------------

sizes = st.integers(min_value=1, max_value=200)


@given(sizes)
@settings(deadline=None)
def test_the_compact_range_root_equals_the_tree_root_at_every_size(size: int) -> None:
    leaves = _leaves(size)
    tree = CompactRange()
    for count, leaf in enumerate(leaves, start=1):
        tree.append(leaf)
        assert tree.root() == root_of(leaves[:count])
    restored = CompactRange.from_bytes(tree.size, tree.to_bytes())
    assert restored.root() == tree.root()


@given(sizes)
def test_the_nodes_an_append_completes_are_exactly_the_perfect_subtrees(size: int) -> None:
    leaves = _leaves(size)
    tree = CompactRange()
    completed: dict[NodeId, bytes] = {}
    for leaf in leaves:
        completed.update(tree.append(leaf))
    expected = {
        node: root_of(leaves[node.first_leaf : node.first_leaf + node.leaf_count])
        for node in completed
    }
    assert completed == expected
    # Every perfect subtree of level >= 1 inside the tree was reported once.
    assert len(completed) == sum(size >> level for level in range(1, size.bit_length()))


@given(st.data())
@settings(max_examples=100, deadline=None)
def test_every_inclusion_proof_of_every_leaf_verifies(data: st.DataObject) -> None:
    size = data.draw(sizes)
    leaves = _leaves(size)
    root = root_of(leaves)
    lookup = in_memory_lookup(leaves)
    for index in range(size):
        verify_inclusion(index, size, leaves[index], inclusion_path(index, size, lookup), root)


@given(st.data())
@settings(max_examples=100, deadline=None)
def test_a_changed_leaf_index_or_proof_hash_fails_inclusion(data: st.DataObject) -> None:
    # A root does not commit to its tree size (a 3-leaf root can pass for a 4-leaf
    # one with a matching path): the size is bound by the signed tree head instead.
    size = data.draw(st.integers(min_value=2, max_value=200))
    index = data.draw(st.integers(min_value=0, max_value=size - 1))
    leaves = _leaves(size)
    root = root_of(leaves)
    path = inclusion_path(index, size, in_memory_lookup(leaves))
    other = data.draw(st.integers(min_value=0, max_value=size - 1).filter(lambda i: i != index))
    assert _fails(lambda: verify_inclusion(other, size, leaves[index], path, root))
    assert _fails(lambda: verify_inclusion(index, size, leaves[other], path, root))
    position = data.draw(st.integers(min_value=0, max_value=len(path) - 1))
    bad = list(path)
    bad[position] = _flip_first_bit(bad[position])
    assert _fails(lambda: verify_inclusion(index, size, leaves[index], bad, root))


@given(st.data())
@settings(max_examples=100, deadline=None)
def test_every_consistency_proof_from_every_older_size_verifies(data: st.DataObject) -> None:
    new = data.draw(sizes)
    leaves = _leaves(new)
    lookup = in_memory_lookup(leaves)
    new_root = root_of(leaves)
    prefix_roots = [EMPTY_ROOT]
    tree = CompactRange()
    for leaf in leaves:
        tree.append(leaf)
        prefix_roots.append(tree.root())
    for old in range(new + 1):
        path = consistency_path(old, new, lookup)
        verify_consistency(old, new, prefix_roots[old], new_root, path)


@given(st.data())
@settings(max_examples=100, deadline=None)
def test_a_changed_root_entry_or_proof_hash_fails_consistency(data: st.DataObject) -> None:
    new = data.draw(st.integers(min_value=3, max_value=200))
    old = data.draw(st.integers(min_value=1, max_value=new - 1))
    leaves = _leaves(new)
    path = consistency_path(old, new, in_memory_lookup(leaves))
    old_root, new_root = root_of(leaves[:old]), root_of(leaves)
    assert _fails(lambda: verify_consistency(old, new, new_root, new_root, path))
    # A log that rewrote one of the old entries is not consistent with the old head.
    rewritten = list(leaves)
    rewritten[data.draw(st.integers(min_value=0, max_value=old - 1))] = OTHER_HASH
    forged_path = consistency_path(old, new, in_memory_lookup(rewritten))
    assert _fails(lambda: verify_consistency(old, new, old_root, root_of(rewritten), forged_path))
    position = data.draw(st.integers(min_value=0, max_value=len(path) - 1))
    bad = list(path)
    bad[position] = _flip_first_bit(bad[position])
    assert _fails(lambda: verify_consistency(old, new, old_root, new_root, bad))


@given(st.integers(min_value=0, max_value=70), st.lists(st.integers(1, 40), max_size=6))
@settings(deadline=None)
def test_extending_in_runs_gives_the_same_tree_as_leaf_by_leaf(start: int, runs: list[int]) -> None:
    leaves = _leaves(start + sum(runs))
    tree = CompactRange()
    tree.extend(leaves[:start])
    offset = start
    for count in runs:
        tree.extend(leaves[offset : offset + count])
        offset += count
        assert tree.root() == root_of(leaves[:offset])
    assert tree.size == len(leaves)
