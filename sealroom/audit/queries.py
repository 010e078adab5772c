"""Reading events back from the audit log: by position, by id, or by filter.

A stored row that no longer makes a valid event is reported as a damaged store,
never passed on as an event.
"""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from sealroom.audit.errors import EventInvalid, EventNotFound, LogStoreDamaged
from sealroom.audit.events import AuditEvent, LoggedEvent
from sealroom.audit.records import AuditEventRecord


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
