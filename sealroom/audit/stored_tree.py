"""Reading the audit log's Merkle tree from the store, for its current root or a proof.

A proof costs O(log n) stored hashes, fetched in one round trip: perfect subtree
hashes from ``audit_nodes``, leaf hashes from ``audit_events``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import bindparam, select, union_all
from sqlalchemy.orm import Session

from sealroom.audit.errors import LogStoreDamaged, TreeSizeInvalid
from sealroom.audit.merkle import (
    CompactRange,
    NodeId,
    NodeLookup,
    consistency_path,
    inclusion_path,
    leaf_hash,
)
from sealroom.audit.proofs import ConsistencyProof, InclusionProof
from sealroom.audit.records import (
    EVENTS_TABLE,
    HEAD_ROW,
    NODES_TABLE,
    AuditLogHeadRecord,
    node_key,
    stored_leaf_bytes,
)


@dataclass(frozen=True, slots=True)
class LogState:
    tree_size: int
    root_hash: bytes


def _read_log_head(session: Session) -> CompactRange:
    row = session.execute(
        select(AuditLogHeadRecord.tree_size, AuditLogHeadRecord.frontier).where(
            AuditLogHeadRecord.id == HEAD_ROW
        )
    ).one_or_none()
    if row is None:
        return CompactRange()
    return CompactRange.from_bytes(row.tree_size, row.frontier)


def current_root(session: Session) -> LogState:
    """The log's size and root hash now: one row read, whatever the size."""
    frontier = _read_log_head(session)
    return LogState(tree_size=frontier.size, root_hash=frontier.root())


# One round trip for a whole proof: leaves answer under the key a level-0 node
# would have (index << 6), inner nodes under their stored key.
_PROOF_HASHES = union_all(
    select((EVENTS_TABLE.c.leaf_index * 64).label("node_key"), EVENTS_TABLE.c.leaf_hash).where(
        EVENTS_TABLE.c.leaf_index.in_(bindparam("leaves", expanding=True))
    ),
    select(NODES_TABLE.c.node_key, NODES_TABLE.c.hash).where(
        NODES_TABLE.c.node_key.in_(bindparam("inner", expanding=True))
    ),
)


def _store_lookup(session: Session) -> NodeLookup:
    def lookup(nodes: Sequence[NodeId]) -> Mapping[NodeId, bytes]:
        wanted = {node_key(node): node for node in nodes}
        leaves = [node.index for node in nodes if node.level == 0]
        inner = [node_key(node) for node in nodes if node.level > 0]
        rows = session.execute(_PROOF_HASHES, {"leaves": leaves, "inner": inner})
        found = {wanted[key]: value for key, value in rows}
        missing = [node for node in nodes if node not in found]
        if missing:
            raise LogStoreDamaged(f"tree node {missing[0]} is missing")
        return found

    return lookup


def check_tree_size(session: Session, tree_size: int | None) -> int:
    """``tree_size`` if the log has reached it (default: the log's size now)."""
    size = _read_log_head(session).size
    if tree_size is None:
        return size
    if not 0 <= tree_size <= size:
        raise TreeSizeInvalid(
            f"the audit log has {size} entries, so it has no tree of size {tree_size}: "
            f"ask for a size from 0 to {size}"
        )
    return tree_size


def inclusion_proof(session: Session, index: int, tree_size: int | None = None) -> InclusionProof:
    """Proof that entry ``index`` is in the tree of ``tree_size`` entries (default: now).

    The leaf hash in the proof is recomputed from the stored event, so the proof
    vouches for the content a reader is shown, not for a stored hash.
    """
    size = check_tree_size(session, tree_size)
    if not 0 <= index < size:
        raise TreeSizeInvalid(
            f"entry {index} is not in a tree of {size} entries: "
            f"ask for an entry from 0 to {size - 1}"
            if size
            else f"entry {index} is not in the log: the audit log is empty"
        )
    stored = session.execute(
        select(EVENTS_TABLE).where(EVENTS_TABLE.c.leaf_index == index)
    ).one_or_none()
    if stored is None:
        raise LogStoreDamaged(f"entry {index} is missing")
    hashed = leaf_hash(stored_leaf_bytes(stored))
    path = inclusion_path(index, size, _store_lookup(session))
    return InclusionProof(leaf_index=index, tree_size=size, leaf_hash=hashed, path=tuple(path))


def consistency_proof(
    session: Session, old_size: int, new_size: int | None = None
) -> ConsistencyProof:
    """Proof that the log at ``old_size`` is a prefix of the log at ``new_size``."""
    new = check_tree_size(session, new_size)
    if not 0 <= old_size <= new:
        raise TreeSizeInvalid(
            f"no consistency proof from size {old_size} to size {new}: "
            "the old size must be between 0 and the new size"
        )
    path = consistency_path(old_size, new, _store_lookup(session))
    return ConsistencyProof(old_size=old_size, new_size=new, path=tuple(path))
