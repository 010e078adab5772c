"""Is the contract in force? One question, asked wherever work happens under it.

The gate asks it when a job is submitted (``contracts.check_active``, through
``jobs.gate``); the same rule is asked again here at every later step: when a
worker claims a job, just before its sandbox starts, at every vote and code
approval, at release, at download and at each PSI message. A contract stops
being in force when a party revokes it or its validity window ends; the
refusal names the step that was refused and what to do next.
"""

from __future__ import annotations

from datetime import datetime

from contracts import ContractNotActive, check_active
from sealroom.service.context import Sealroom
from sealroom.service.contracts import ContractView, show_contract
from sealroom.store.job_records import JobRecord


def require_in_force(view: ContractView, now: datetime, *, doing: str) -> None:
    """Returns if ``view``'s contract is in force at ``now``; otherwise raises the
    ``ContractNotActive`` subclass that says why (``ContractRevoked``,
    ``ContractExpired``...), its message starting with what was refused (``doing``)."""
    try:
        check_active(view.contract, view.status, now)
    except ContractNotActive as refused:
        raise type(refused)(f"cannot {doing}: {refused}") from None


def why_not_in_force(view: ContractView, now: datetime) -> str | None:
    """``None`` while the contract is in force; otherwise the reason, as one sentence."""
    try:
        check_active(view.contract, view.status, now)
    except ContractNotActive as refused:
        return str(refused)
    return None


def require_job_contract_in_force(room: Sealroom, rec: JobRecord, *, doing: str) -> None:
    """``require_in_force`` for the contract version the job ``rec`` runs under."""
    require_in_force(
        show_contract(room, rec.contract_id, rec.contract_version), room.clock(), doing=doing
    )
