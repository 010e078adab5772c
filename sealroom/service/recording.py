"""Every state-changing action appends an audit event inside its own transaction."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy.orm import Session

from sealroom.audit import AuditEvent, append_event
from sealroom.audit.events import JsonValue


def record(
    session: Session,
    *,
    at: datetime,
    actor: str,
    role: str,
    action: str,
    subject: Mapping[str, str],
    detail: Mapping[str, JsonValue] | None = None,
    contract: str | None = None,
    job: str | None = None,
) -> int:
    """Appends the event to the audit log in the caller's transaction; returns its index.

    The caller commits the action and its event together or neither: an action
    whose event could not be written did not happen. ``subject`` names what the
    action touched, as kind -> id (``{"dataset": "customers"}``).
    """
    event = AuditEvent(
        actor=actor,
        role=role,
        action=action,
        timestamp=at,
        contract_id=contract,
        job_id=job,
        subject_ids=tuple(f"{kind}:{ident}" for kind, ident in sorted(subject.items())),
        detail=dict(detail or {}),
    )
    return append_event(session, event)
