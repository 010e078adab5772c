"""The audit log's four tables in the metadata store.

``audit_events`` holds one row per event, its primary key the leaf index, with
the fields the event is made of and its leaf hash. ``audit_nodes`` holds every
*perfect* subtree hash (level >= 1) as it completes, about one per append;
perfect subtrees never change, so any proof is O(log n) stored hashes.
``audit_log_head`` is a single row with the log's size and its compact range
(the O(log n) frontier the next append extends); locking it serialises appends.
``audit_tree_heads`` keeps every tree head the platform signed.

The event's content is stored as fields, not as the hashed bytes: an export or a
proof rebuilds the leaf bytes from the fields (``stored_leaf_bytes``), so a
change to any stored field shows up as a leaf that no longer matches its stored
hash, at its own position.

The log is written by ``append``, its tree read by ``stored_tree``, its events by
``queries``, its signed heads kept by ``signed_heads`` and exported by ``export``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import BigInteger, CheckConstraint, Integer, LargeBinary, String, Table, Text
from sqlalchemy.engine import Row
from sqlalchemy.orm import Mapped, mapped_column

from sealroom.audit.events import leaf_bytes_of_fields
from sealroom.audit.merkle import NodeId
from sealroom.store.base import Base, UtcDateTime

HEAD_ROW = 1  # the id of the one ``audit_log_head`` row
# BIGINT on PostgreSQL; on SQLite exactly INTEGER, so the primary key is the rowid
# itself and the table is stored in log order with no separate key index.
_LOG_POSITION = BigInteger().with_variant(Integer(), "sqlite")


class AuditEventRecord(Base):
    __tablename__ = "audit_events"

    leaf_index: Mapped[int] = mapped_column(_LOG_POSITION, primary_key=True, autoincrement=False)
    event_id: Mapped[str] = mapped_column(String(64), unique=True)
    timestamp: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    actor: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(256))
    action: Mapped[str] = mapped_column(String(256))
    contract_id: Mapped[str | None] = mapped_column(String(256), index=True)
    job_id: Mapped[str | None] = mapped_column(String(256), index=True)
    subject_ids: Mapped[str] = mapped_column(Text)  # canonical JSON list of strings
    detail: Mapped[str] = mapped_column(Text)  # canonical JSON object
    leaf_hash: Mapped[bytes] = mapped_column(LargeBinary(32))


class AuditNodeRecord(Base):
    """The hash of a perfect subtree (level >= 1), keyed ``node_index << 6 | level``.

    One integer key rather than a (level, index) pair: a proof's nodes are then one
    ``IN`` list that both SQLite and PostgreSQL serve from the primary key.
    """

    __tablename__ = "audit_nodes"

    node_key: Mapped[int] = mapped_column(_LOG_POSITION, primary_key=True, autoincrement=False)
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))


def node_key(node: NodeId) -> int:
    return (node.index << 6) | node.level


class AuditLogHeadRecord(Base):
    """The one row every append locks: the log's size and compact range."""

    __tablename__ = "audit_log_head"
    __table_args__ = (CheckConstraint(f"id = {HEAD_ROW}", name="single_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    tree_size: Mapped[int] = mapped_column(BigInteger)
    frontier: Mapped[bytes] = mapped_column(LargeBinary)


class SignedTreeHeadRecord(Base):
    __tablename__ = "audit_tree_heads"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tree_size: Mapped[int] = mapped_column(BigInteger, index=True)
    root_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    timestamp: Mapped[datetime] = mapped_column(UtcDateTime())
    key_fingerprint: Mapped[str] = mapped_column(String(64))
    signature: Mapped[bytes] = mapped_column(LargeBinary(64))


EVENTS_TABLE = cast(Table, AuditEventRecord.__table__)
NODES_TABLE = cast(Table, AuditNodeRecord.__table__)
HEAD_TABLE = cast(Table, AuditLogHeadRecord.__table__)
TREE_HEADS_TABLE = cast(Table, SignedTreeHeadRecord.__table__)
AUDIT_TABLES = (EVENTS_TABLE, NODES_TABLE, HEAD_TABLE, TREE_HEADS_TABLE)


def stored_leaf_bytes(row: Row[Any]) -> bytes:
    """Leaf bytes rebuilt from a stored ``audit_events`` row, exactly as stored."""
    return leaf_bytes_of_fields(
        action=row.action,
        actor=row.actor,
        contract_id=row.contract_id,
        detail_json=row.detail,
        event_id=row.event_id,
        index=row.leaf_index,
        job_id=row.job_id,
        role=row.role,
        subject_ids_json=row.subject_ids,
        timestamp=row.timestamp,
    )
