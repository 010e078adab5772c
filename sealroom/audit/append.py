"""Appending events to the audit log, inside the caller's transaction.

Nothing here commits: an action and the event recording it commit or roll back
together, so an action whose event could not be written did not happen.
Concurrent appends serialise on the log head row.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from operator import itemgetter
from typing import Any

from sqlalchemy import LargeBinary, Table, insert, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sealroom.audit.errors import EventInvalid
from sealroom.audit.events import AuditEvent, leaf_bytes
from sealroom.audit.merkle import CompactRange, leaf_hash
from sealroom.audit.records import (
    EVENTS_TABLE,
    HEAD_ROW,
    HEAD_TABLE,
    NODES_TABLE,
    AuditLogHeadRecord,
    node_key,
)

_LOCK_HEAD = (
    update(HEAD_TABLE)
    .where(HEAD_TABLE.c.id == HEAD_ROW)
    .values(tree_size=HEAD_TABLE.c.tree_size)
    .returning(HEAD_TABLE.c.tree_size, HEAD_TABLE.c.frontier)
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
    values = {"id": HEAD_ROW, "tree_size": 0, "frontier": b""}
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
        _insert_many(connection, EVENTS_TABLE, event_rows)
    except IntegrityError:
        # The transaction is spoilt either way; the caller's rollback undoes the
        # action too, which is the point.
        raise EventInvalid(
            "an event with one of these event ids is already in the log: "
            "give each event an id of its own"
        ) from None
    if node_rows:
        _insert_many(connection, NODES_TABLE, node_rows)
    connection.execute(
        update(HEAD_TABLE)
        .where(HEAD_TABLE.c.id == HEAD_ROW)
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
