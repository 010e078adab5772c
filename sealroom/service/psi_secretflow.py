"""The owner's side of a ``psi`` run whose contract names the secretflow engine.

Two partner messages, both through the REST API (``docs/protocols.md``, "secretflow"):

1. ``PsiRequest`` with the partner's link offer: the owner takes its key column, staged
   for its party when the run opened (or made ahead, ``psi_ahead``), answers with a
   ``PsiSetup`` carrying its own offer, and its party joins the link at once.
   Everything the contract requires was checked before this, at the gate: the
   partner reads its result straight off the link, so nothing can be reviewed after
   the owner joins.
2. ``LinkReport``: the intersection size the partner says it got. The owner waits for
   its own party to end and records the run's leakage; a party that failed fails the
   run, and nothing is recorded as released.

The owner's session lives in this process only, like the PSI-sum state in ``psi``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

from contracts import PsiRevealMode, PsiRules
from jobs.psi import PsiLimits, PsiRequest
from jobs.psi.secretflow import (
    LinkReport,
    LinkSettings,
    SecretflowEngine,
    SecretflowOwnerSession,
    StagedSet,
)

# Owner sessions between the partner's request and its report, by job id.
_OWNERS: dict[str, SecretflowOwnerSession] = {}
_LOCK = threading.Lock()


def secretflow_step(
    job_id: str,
    rules: PsiRules,
    message: bytes,
    owner_ids: Callable[[], Sequence[str] | StagedSet],
) -> tuple[bytes | None, dict[str, Any] | None]:
    """The owner's answer to one partner message, and the leakage once the run is over."""
    with _LOCK:
        owner = _OWNERS.pop(job_id, None)
    if owner is None:
        return _join(job_id, rules, message, owner_ids), None
    try:
        report = LinkReport.from_bytes(message)
        if report.session_id != job_id:
            owner.abort()
            raise ValueError(f"the link report names run {report.session_id}, not {job_id}")
        owner_size = owner.wait()
    except Exception:
        owner.abort()
        raise
    partner_size = owner.partner_set_size
    return None, {
        "engine": "secretflow",
        "protocol": rules.secretflow_protocol.value,
        "owner_set_size": owner_size,
        "partner_set_size": partner_size,
        "mode": PsiRevealMode.INTERSECTION.value,
        "reported_intersection_size": report.intersection_size,
        "intersection_size_bound": min(owner_size, partner_size),
        "partner_learns": "which of its rows match (from the link), and the owner set size",
        "owner_learns": "the partner set size, and the intersection size the partner reports",
    }


def _join(
    job_id: str,
    rules: PsiRules,
    message: bytes,
    owner_ids: Callable[[], Sequence[str] | StagedSet],
) -> bytes:
    request = PsiRequest.from_bytes(message)
    engine = SecretflowEngine(rules.secretflow_protocol.value, LinkSettings.for_owner())
    owner = engine.owner_session(job_id, PsiLimits.from_rules(rules))
    try:
        setup = owner.setup(owner_ids(), request.size, request.mode)
        owner.process_request(request)
    except Exception:
        owner.abort()
        raise
    with _LOCK:
        _OWNERS[job_id] = owner
    return setup.to_bytes()


def abandon(job_id: str) -> None:
    """Kills the owner's party of a run that failed or was aborted; idempotent."""
    with _LOCK:
        owner = _OWNERS.pop(job_id, None)
    if owner is not None:
        owner.abort()
