"""The audit log in the metadata store: tables, appends, proofs, export and queries.

Four tables. ``audit_events`` holds one row per event, its primary key the leaf
index, with the fields the event is made of and its leaf hash. ``audit_nodes``
holds every *perfect* subtree hash (level >= 1) as it completes, about one per
append; perfect subtrees never change, so any proof is O(log n) stored hashes.
``audit_log_head`` is a single row with the log's size and its compact range
(the O(log n) frontier the next append extends); locking it serialises appends.
``audit_tree_heads`` keeps every tree head the platform signed.

Nothing here commits. Appends run inside the caller's transaction, so an action
and the event recording it commit or roll back together: an action whose event
could not be written did not happen (issue 4).

The event's content is stored as fields, not as the hashed bytes: an export
rebuilds the leaf bytes from the fields, so a change to any stored field shows up
as a leaf that no longer matches its stored hash, at its own position.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from operator import itemgetter
from typing import Any, TextIO, cast

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    bindparam,
    insert,
    select,
    union_all,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Dialect, Row
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from sealroom.audit.errors import EventInvalid, EventNotFound, LogStoreDamaged, TreeSizeInvalid
from sealroom.audit.events import AuditEvent, LoggedEvent, leaf_bytes, leaf_bytes_of_fields
from sealroom.audit.merkle import (
    CompactRange,
    NodeId,
    NodeLookup,
    consistency_path,
    inclusion_path,
    leaf_hash,
)
from sealroom.audit.proofs import ConsistencyProof, InclusionProof
from sealroom.audit.tree_head import SignedTreeHead, TreeHeadSigner, sign_head
from sealroom.store.base import Base, UtcDateTime

_HEAD_ROW = 1
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
    __table_args__ = (CheckConstraint(f"id = {_HEAD_ROW}", name="single_row"),)

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


_EVENTS = cast(Table, AuditEventRecord.__table__)
_NODES = cast(Table, AuditNodeRecord.__table__)
_HEAD = cast(Table, AuditLogHeadRecord.__table__)
_TREE_HEADS = cast(Table, SignedTreeHeadRecord.__table__)
AUDIT_TABLES = (_EVENTS, _NODES, _HEAD, _TREE_HEADS)


@dataclass(frozen=True, slots=True)
class LogState:
    tree_size: int
    root_hash: bytes


# --- appending ---------------------------------------------------------------------


_LOCK_HEAD = (
    update(_HEAD)
    .where(_HEAD.c.id == _HEAD_ROW)
    .values(tree_size=_HEAD.c.tree_size)
    .returning(_HEAD.c.tree_size, _HEAD.c.frontier)
)


def _lock_log_head(session: Session) -> CompactRange:
    """Locks the log head row for this transaction and returns the compact range.

    The lock is an UPDATE, not a SELECT: PostgreSQL locks the row exactly as
    SELECT ... FOR UPDATE would, and SQLite takes its write lock *before* reading,
    so no other writer can commit between our read and our write (a plain SELECT
    first would read outside any write transaction on SQLite).
    """
    connection = session.connection()
    row = connection.execute(_LOCK_HEAD).one_or_none()
    if row is None:
        _create_log_head(session)
        row = connection.execute(_LOCK_HEAD).one()
    return CompactRange.from_bytes(row.tree_size, row.frontier)


def _create_log_head(session: Session) -> None:
    values = {"id": _HEAD_ROW, "tree_size": 0, "frontier": b""}
    # Two first appends may race to create the row; the loser's insert does nothing
    # and its UPDATE then waits on the winner's lock.
    if session.get_bind().dialect.name == "postgresql":
        statement: Any = postgresql.insert(AuditLogHeadRecord).on_conflict_do_nothing()
    else:
        statement = sqlite.insert(AuditLogHeadRecord).on_conflict_do_nothing()
    session.execute(statement.values(values))


def _event_row(event: AuditEvent, index: int, hashed: bytes) -> dict[str, Any]:
    return {
        "leaf_index": index,
        "event_id": event.event_id,
        "timestamp": event.timestamp,
        "actor": event.actor,
        "role": event.role,
        "action": event.action,
        "contract_id": event.contract_id,
        "job_id": event.job_id,
        "subject_ids": event.subject_ids_json,
        "detail": event.detail_json,
        "leaf_hash": hashed,
    }


def append_events(session: Session, events: Sequence[AuditEvent]) -> list[int]:
    """Appends events in order inside the caller's transaction; returns their leaf indices.

    Does not commit: the caller commits the events together with the action they
    record, or rolls both back. Concurrent appends serialise on the log head row.
    """
    if not events:
        return []
    ids = [event.event_id for event in events]
    if len(set(ids)) != len(ids):
        raise EventInvalid("two events in one append share an event id: give each its own")
    frontier = _lock_log_head(session)
    first = frontier.size
    event_rows: list[dict[str, Any]] = []
    node_rows: list[dict[str, Any]] = []
    for offset, event in enumerate(events):
        index = first + offset
        hashed = leaf_hash(leaf_bytes(event, index))
        for node, value in frontier.append(hashed):
            node_rows.append({"node_key": node_key(node), "hash": value})
        event_rows.append(_event_row(event, index, hashed))
    connection = session.connection()
    try:
        _insert_many(connection, _EVENTS, event_rows)
    except IntegrityError:
        # The transaction is spoilt either way; the caller's rollback undoes the
        # action too, which is the point.
        raise EventInvalid(
            "an event with one of these event ids is already in the log: "
            "give each event an id of its own"
        ) from None
    if node_rows:
        _insert_many(connection, _NODES, node_rows)
    connection.execute(
        update(_HEAD)
        .where(_HEAD.c.id == _HEAD_ROW)
        .values(tree_size=frontier.size, frontier=frontier.to_bytes())
    )
    return list(range(first, frontier.size))


@dataclass(frozen=True, slots=True)
class _DriverInsert:
    sql: str
    order: tuple[str, ...] | None  # column order for positional drivers, None for named
    processors: tuple[tuple[str, Callable[[Any], Any]], ...]


@lru_cache(maxsize=16)
def _driver_insert(table: Table, dialect: Dialect) -> _DriverInsert:
    compiled = insert(table).compile(dialect=dialect)
    processors = []
    for column in table.columns:
        if isinstance(column.type, LargeBinary):
            continue  # both drivers take bytes as they are; wrapping them costs more
        process = column.type.dialect_impl(dialect).bind_processor(dialect)
        if process is not None:
            processors.append((column.name, process))
    order = tuple(compiled.positiontup or ()) if compiled.positional else None
    return _DriverInsert(str(compiled), order, tuple(processors))


def _insert_many(connection: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """An executemany straight to the driver, with each column's own bind processing.

    SQLAlchemy's per-row parameter handling costs more than the rest of an
    append together; this keeps the types' conversions (UTC timestamps) and drops
    the rest, which is what lets a batch reach tens of thousands of rows a second.
    """
    plan = _driver_insert(table, connection.dialect)
    for name, process in plan.processors:
        for row in rows:
            row[name] = process(row[name])
    if plan.order is None:
        connection.exec_driver_sql(plan.sql, rows)
    else:
        pick = itemgetter(*plan.order)
        connection.exec_driver_sql(plan.sql, [pick(row) for row in rows])


def append_event(session: Session, event: AuditEvent) -> int:
    """Appends one event inside the caller's transaction; returns its leaf index."""
    return append_events(session, [event])[0]


# --- reading the tree -----------------------------------------------------------


def _read_log_head(session: Session) -> CompactRange:
    row = session.execute(
        select(AuditLogHeadRecord.tree_size, AuditLogHeadRecord.frontier).where(
            AuditLogHeadRecord.id == _HEAD_ROW
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
    select((_EVENTS.c.leaf_index * 64).label("node_key"), _EVENTS.c.leaf_hash).where(
        _EVENTS.c.leaf_index.in_(bindparam("leaves", expanding=True))
    ),
    select(_NODES.c.node_key, _NODES.c.hash).where(
        _NODES.c.node_key.in_(bindparam("inner", expanding=True))
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


def _check_tree_size(session: Session, tree_size: int | None) -> int:
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
    size = _check_tree_size(session, tree_size)
    if not 0 <= index < size:
        raise TreeSizeInvalid(
            f"entry {index} is not in a tree of {size} entries: "
            f"ask for an entry from 0 to {size - 1}"
            if size
            else f"entry {index} is not in the log: the audit log is empty"
        )
    stored = session.execute(select(_EVENTS).where(_EVENTS.c.leaf_index == index)).one_or_none()
    if stored is None:
        raise LogStoreDamaged(f"entry {index} is missing")
    hashed = leaf_hash(_stored_leaf_bytes(stored))
    path = inclusion_path(index, size, _store_lookup(session))
    return InclusionProof(leaf_index=index, tree_size=size, leaf_hash=hashed, path=tuple(path))


def consistency_proof(
    session: Session, old_size: int, new_size: int | None = None
) -> ConsistencyProof:
    """Proof that the log at ``old_size`` is a prefix of the log at ``new_size``."""
    new = _check_tree_size(session, new_size)
    if not 0 <= old_size <= new:
        raise TreeSizeInvalid(
            f"no consistency proof from size {old_size} to size {new}: "
            "the old size must be between 0 and the new size"
        )
    path = consistency_path(old_size, new, _store_lookup(session))
    return ConsistencyProof(old_size=old_size, new_size=new, path=tuple(path))


# --- signed tree heads ------------------------------------------------------------


def sign_tree_head(session: Session, signer: TreeHeadSigner, now: datetime) -> SignedTreeHead:
    """Signs the log's current head and keeps the signed head in the store (no commit)."""
    state = current_root(session)
    head = sign_head(signer, state.tree_size, state.root_hash, now)
    session.execute(
        insert(SignedTreeHeadRecord).values(
            tree_size=head.tree_size,
            root_hash=head.root_hash,
            timestamp=head.timestamp,
            key_fingerprint=head.key_fingerprint,
            signature=head.signature,
        )
    )
    return head


def latest_tree_head(session: Session) -> SignedTreeHead | None:
    record = session.scalars(
        select(SignedTreeHeadRecord)
        .order_by(SignedTreeHeadRecord.tree_size.desc(), SignedTreeHeadRecord.id.desc())
        .limit(1)
    ).one_or_none()
    if record is None:
        return None
    return SignedTreeHead(
        tree_size=record.tree_size,
        root_hash=record.root_hash,
        timestamp=record.timestamp,
        key_fingerprint=record.key_fingerprint,
        signature=record.signature,
    )


# --- reading events ---------------------------------------------------------------


def _logged(record: AuditEventRecord) -> LoggedEvent:
    try:
        event = AuditEvent(
            actor=record.actor,
            role=record.role,
            action=record.action,
            timestamp=record.timestamp,
            contract_id=record.contract_id,
            job_id=record.job_id,
            subject_ids=tuple(json.loads(record.subject_ids)),
            detail=json.loads(record.detail),
            event_id=record.event_id,
        )
    except (ValueError, TypeError, EventInvalid) as err:
        raise LogStoreDamaged(f"entry {record.leaf_index} cannot be read: {err}") from None
    return LoggedEvent(index=record.leaf_index, event=event, leaf_hash=record.leaf_hash)


def event_at(session: Session, index: int) -> LoggedEvent:
    record = session.get(AuditEventRecord, index)
    if record is None:
        raise EventNotFound(f"at index {index}")
    return _logged(record)


def find_event(session: Session, event_id: str) -> LoggedEvent:
    record = session.scalars(
        select(AuditEventRecord).where(AuditEventRecord.event_id == event_id)
    ).one_or_none()
    if record is None:
        raise EventNotFound(repr(event_id))
    return _logged(record)


def query_events(
    session: Session,
    *,
    contract: str | None = None,
    job: str | None = None,
    actor: str | None = None,
    action: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int | None = None,
) -> list[LoggedEvent]:
    """Events in log order matching every filter given; ``since`` inclusive, ``until`` not."""
    statement = select(AuditEventRecord)
    record = AuditEventRecord
    for column, value in (
        (record.contract_id, contract),
        (record.job_id, job),
        (record.actor, actor),
        (record.action, action),
    ):
        if value is not None:
            statement = statement.where(column == value)
    if since is not None:
        statement = statement.where(record.timestamp >= since)
    if until is not None:
        statement = statement.where(record.timestamp < until)
    statement = statement.order_by(record.leaf_index).limit(limit)
    return [_logged(found) for found in session.scalars(statement)]


# --- export -----------------------------------------------------------------------


def export_line(index: int, data: bytes, hashed: bytes) -> bytes:
    """One line of the export: the leaf bytes verbatim, its index and its stored hash.

    The line is itself canonical JSON (keys ``event`` < ``index`` < ``leaf_hash``).
    """
    return b'{"event":%s,"index":%d,"leaf_hash":"%s"}\n' % (data, index, hashed.hex().encode())


def _stored_leaf_bytes(row: Row[Any]) -> bytes:
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


def export_log(session: Session, out: TextIO, tree_size: int | None = None) -> int:
    """Writes the first ``tree_size`` entries (default: all) as JSON Lines; returns the count.

    Each line is rebuilt from the stored fields exactly as they are, without
    validating them, and carries the leaf hash *as stored*: a tampered field shows
    up offline as an entry whose content no longer matches its hash, at its own
    position, instead of stopping the export.
    """
    size = _check_tree_size(session, tree_size)
    rows = session.execute(
        select(_EVENTS)
        .where(_EVENTS.c.leaf_index < size)
        .order_by(_EVENTS.c.leaf_index)
        .execution_options(yield_per=5000)
    )
    written = 0
    for row in rows:
        line = export_line(row.leaf_index, _stored_leaf_bytes(row), row.leaf_hash)
        out.write(line.decode("utf-8"))
        written += 1
    return written
