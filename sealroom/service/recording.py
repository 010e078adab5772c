"""Every state-changing action appends an audit event inside its own transaction."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.orm import Session


def record(
    session: Session,
    *,
    actor: str,
    role: str,
    action: str,
    subject: Mapping[str, str],
    detail: Mapping[str, object] | None = None,
    contract: str | None = None,
) -> None:
    """Appends the event to the audit log in the caller's transaction.

    The caller commits the action and its event together or neither: an action
    whose event could not be written did not happen.
    """
    # Wired to sealroom.audit once the log lands (issue 4).
    _ = (session, actor, role, action, subject, detail, contract)
