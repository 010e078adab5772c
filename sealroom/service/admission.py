"""Admission: the one place a new job of any kind passes the gate or is refused.

A script job, a PSI run and (later) a homomorphic-aggregate round each write their
job row first, then ask ``admit``: the gate (``jobs.gate.decide``) judges the
submission against the contract, the runs already used and the approved code,
and its decision is recorded as the job's first transition, with the reason, in
the caller's transaction. The caller raises the refusal once that transaction
has committed, so a refused attempt stays on record.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from contracts import JobKind, RunMode
from jobs import GateDecision, JobState, PsiAsk, Submission, decide
from sealroom.service.code_approvals import code_is_approved, job_code
from sealroom.service.context import Sealroom
from sealroom.service.contracts import ContractView
from sealroom.service.job_records import transition
from sealroom.store.job_records import JobRecord


def runs_used(session: Session, contract_id: str, kind: JobKind, mode: RunMode) -> int:
    """Runs of ``kind`` in ``mode`` under the contract that the gate let in (any version)."""
    return int(
        session.scalar(
            select(func.count())
            .select_from(JobRecord)
            .where(
                JobRecord.contract_id == contract_id,
                JobRecord.kind == kind.value,
                JobRecord.mode == mode.value,
                JobRecord.state != JobState.REJECTED_BY_GATE.value,
            )
        )
        or 0
    )


def approved_code_hashes(
    session: Session, room: Sealroom, view: ContractView, rec: JobRecord
) -> frozenset[str]:
    """The job's code hash, if a full review quorum signed an approval of exactly this
    code, interpreter and entry name under the contract version it runs under."""
    code = job_code(rec)
    if code_is_approved(session, room, view.contract, code):
        return frozenset({code.sha256})
    return frozenset()


def admit(
    session: Session,
    room: Sealroom,
    rec: JobRecord,
    view: ContractView,
    *,
    actor: str,
    role: str,
    psi: PsiAsk | None = None,
    detail: dict[str, Any] | None = None,
) -> GateDecision:
    """Runs the gate on the job ``rec`` (added and flushed) and records its decision.

    ``actor`` and ``role`` are who the audit event names as deciding; ``psi`` is a
    PSI run's ask, which the gate judges by the contract's PSI rules; ``detail``
    goes into the event. The job is ``queued`` or ``rejected_by_gate`` afterwards;
    the caller commits, then calls ``raise_if_refused()`` on the decision.
    """
    kind, mode = JobKind(rec.kind), RunMode(rec.mode)
    # Only a script brings code to approve; for other kinds the review quorum is not
    # asked at all (``who_must_review`` could refuse where the gate would not).
    approved = (
        approved_code_hashes(session, room, view, rec) if kind is JobKind.SCRIPT else frozenset()
    )
    decision = decide(
        view.contract,
        view.status,
        Submission(rec.job_id, rec.submitter, kind, mode, rec.code_hash, psi),
        now=rec.created_at,  # judged as of the moment it was submitted
        # The job's own row is already flushed and counted: the gate asks about the others.
        runs_used={kind: runs_used(session, view.contract.id, kind, mode) - 1},
        approved_code_hashes=approved,
    )
    transition(
        session,
        room,
        rec,
        decision.event,
        actor=actor,
        role=role,
        reason=decision.reason,
        detail=detail,
    )
    return decision
