"""Submitting jobs: the gate, the queue, status, logs, cancellation, debug outputs.

A job's row is written with its code and code hash before the gate decides;
the decision (queued, or rejected with its reason) is persisted and audited in
the same transaction. Running is the worker's (``job_runner``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePath
from typing import Any
from uuid import uuid4

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from contracts import JobKind, OutputClass, Role, RunMode, who_must_review
from jobs import (
    JobEvent,
    JobState,
    Submission,
    advance,
    code_hash,
    decide,
)
from sealroom.audit.events import JsonValue
from sealroom.errors import ConfigError, NotFound, PermissionDenied
from sealroom.service.actors import Actor
from sealroom.service.blobs import load_data_key, read_blob
from sealroom.service.context import Sealroom
from sealroom.service.contracts import ContractView, acting_party, show_contract
from sealroom.service.recording import record
from sealroom.store.database import transaction
from sealroom.store.job_records import CodeApprovalRecord, JobOutputRecord, JobRecord

MAX_CODE_BYTES = 1 << 20
INTERPRETERS = {".py": "python", ".sh": "sh"}


@dataclass(frozen=True)
class OutputView:
    name: str
    sha256: str
    size: int
    releasable: bool


@dataclass(frozen=True)
class JobView:
    job_id: str
    contract_id: str
    contract_version: int
    kind: str
    mode: str
    submitter: str
    code_name: str
    code_hash: str
    state: JobState
    reason: str
    attempts: int
    backend: str
    created_at: datetime
    updated_at: datetime
    run_record: dict[str, Any] | None
    check_report: dict[str, Any] | None
    outputs: tuple[OutputView, ...]


def job_view(session: Session, rec: JobRecord) -> JobView:
    outputs = session.scalars(
        select(JobOutputRecord)
        .where(JobOutputRecord.job_id == rec.job_id)
        .order_by(JobOutputRecord.name)
    )
    return JobView(
        job_id=rec.job_id,
        contract_id=rec.contract_id,
        contract_version=rec.contract_version,
        kind=rec.kind,
        mode=rec.mode,
        submitter=rec.submitter,
        code_name=rec.code_name,
        code_hash=rec.code_hash,
        state=JobState(rec.state),
        reason=rec.reason,
        attempts=rec.attempts,
        backend=rec.backend,
        created_at=rec.created_at,
        updated_at=rec.updated_at,
        run_record=rec.run_record,
        check_report=rec.check_report,
        outputs=tuple(OutputView(o.name, o.sha256, o.size, o.releasable) for o in outputs),
    )


def transition(
    session: Session,
    room: Sealroom,
    rec: JobRecord,
    event: JobEvent,
    *,
    actor: str,
    role: str,
    reason: str = "",
    detail: dict[str, Any] | None = None,
) -> JobState:
    """Moves the job along the table and audits the step, in the caller's transaction."""
    state = advance(rec.job_id, RunMode(rec.mode), JobState(rec.state), event)
    previous = rec.state
    rec.state = state.value
    rec.reason = reason
    rec.updated_at = room.clock()
    record(
        session,
        at=room.clock(),
        actor=actor,
        role=role,
        action=f"job.{event.value}",
        subject={"job": rec.job_id},
        contract=rec.contract_id,
        job=rec.job_id,
        detail={"from": previous, "to": state.value, "reason": reason, **(detail or {})},
    )
    return state


def runs_used(session: Session, contract_id: str, kind: JobKind, mode: RunMode) -> int:
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


def approved_code_hashes(session: Session, view: ContractView) -> frozenset[str]:
    """Code hashes with approvals from a full review quorum of the contract."""
    quorum = who_must_review(view.contract, OutputClass.TABLE, submitter="")
    rows = session.execute(
        select(CodeApprovalRecord.code_hash, CodeApprovalRecord.reviewer).where(
            CodeApprovalRecord.contract_id == view.contract.id
        )
    ).all()
    voters: dict[str, set[str]] = {}
    for digest, reviewer in rows:
        if reviewer in quorum.reviewers:
            voters.setdefault(digest, set()).add(reviewer)
    return frozenset(d for d, who in voters.items() if len(who) >= quorum.required)


def submit_job(
    room: Sealroom,
    actor: Actor,
    contract_id: str,
    code: bytes,
    code_name: str,
    mode: RunMode,
    kind: JobKind = JobKind.SCRIPT,
) -> JobView:
    """Stores the job with its code, runs the gate, and queues it or refuses it.

    A refusal is committed (the attempt is on record) and then raised as the gate's
    typed error, whose message says what to do.
    """
    suffix = PurePath(code_name).suffix
    if suffix not in INTERPRETERS:
        raise ConfigError(
            f"{code_name} is neither a Python file (.py) nor a shell script (.sh): "
            "submit one of those"
        )
    if len(code) > MAX_CODE_BYTES:
        raise ConfigError(
            f"{code_name} is over {MAX_CODE_BYTES:,} bytes: submit the analysis code only, not data"
        )
    view = show_contract(room, contract_id)
    submitter, _ = acting_party(actor, view.contract, (Role.SCIENTIST,))
    now = room.clock()
    job_id = f"j-{uuid4().hex[:10]}"
    with transaction(room.sessions) as session:
        rec = JobRecord(
            job_id=job_id,
            contract_id=view.contract.id,
            contract_version=view.contract.version,
            kind=kind.value,
            mode=mode.value,
            submitter=submitter,
            code_name=PurePath(code_name).name,
            interpreter=INTERPRETERS[suffix],
            code=code,
            code_hash=code_hash(code),
            state=JobState.SUBMITTED.value,
            created_at=now,
            updated_at=now,
        )
        session.add(rec)
        session.flush()
        record(
            session,
            at=now,
            actor=actor.name,
            role="scientist",
            action="job.submit",
            subject={"job": job_id},
            contract=view.contract.id,
            job=job_id,
            detail={
                "kind": kind.value,
                "mode": mode.value,
                "code_hash": rec.code_hash,
                "code_name": rec.code_name,
            },
        )
        decision = decide(
            view.contract,
            view.status,
            Submission(job_id, submitter, kind, mode, rec.code_hash),
            now=now,
            runs_used={kind: runs_used(session, view.contract.id, kind, mode) - 1},
            approved_code_hashes=approved_code_hashes(session, view),
        )
        transition(
            session,
            room,
            rec,
            decision.event,
            actor="sealroom",
            role="gate",
            reason=decision.reason,
        )
        result = job_view(session, rec)
    decision.raise_if_refused()
    return result


def _load(session: Session, job_id: str) -> JobRecord:
    rec = session.get(JobRecord, job_id)
    if rec is None:
        raise NotFound("job", job_id, "list jobs with `sealroom job list`")
    return rec


def _may_see(actor: Actor, rec: JobRecord, view: ContractView) -> None:
    names = {actor.name, actor.organisation}
    if rec.submitter in names or actor.is_admin:
        return
    for role in (Role.OWNER, Role.PLATFORM, Role.REVIEWER):
        if any(
            view.contract.party(n) and view.contract.party(n).has_role(role)  # type: ignore[union-attr]
            for n in names
            if n
        ):
            return
    raise PermissionDenied(
        f"{actor.name} is neither the submitter of {rec.job_id} nor an owner, platform or "
        f"reviewer of {rec.contract_id}: ask one of them"
    )


def job_status(room: Sealroom, actor: Actor, job_id: str) -> JobView:
    with room.sessions() as session:
        rec = _load(session, job_id)
        _may_see(actor, rec, show_contract(room, rec.contract_id, rec.contract_version))
        return job_view(session, rec)


@dataclass(frozen=True)
class JobLogs:
    job_id: str
    stdout: str
    stdout_truncated: bool
    stderr: str
    stderr_truncated: bool


def job_logs(room: Sealroom, actor: Actor, job_id: str) -> JobLogs:
    """What the job printed; a real run's logs only to those who review its outputs.

    A real run printed from the full data, so its logs are an output like any
    file: the submitter sees them only after review, never straight from here.
    """
    view = job_status(room, actor, job_id)
    if view.mode == RunMode.REAL.value and not actor.is_admin:
        contract = show_contract(room, view.contract_id, view.contract_version).contract
        names = [n for n in (actor.name, actor.organisation) if n]
        reviewing = (Role.OWNER, Role.PLATFORM, Role.REVIEWER)
        if not any(
            (party := contract.party(n)) is not None and any(party.has_role(r) for r in reviewing)
            for n in names
        ):
            raise PermissionDenied(
                f"{job_id} ran on the real data, so what it printed is an output: only the "
                "owner, platform and reviewers see it; run in debug mode to see your own"
            )
    run = (view.run_record or {}).get("run", {})
    out, err = run.get("stdout") or {}, run.get("stderr") or {}
    return JobLogs(
        job_id=job_id,
        stdout=str(out.get("text", "")),
        stdout_truncated=bool(out.get("truncated")),
        stderr=str(err.get("text", "")),
        stderr_truncated=bool(err.get("truncated")),
    )


def list_jobs(room: Sealroom, contract_id: str | None = None) -> list[JobView]:
    with room.sessions() as session:
        query = select(JobRecord).order_by(JobRecord.created_at)
        if contract_id:
            query = query.where(JobRecord.contract_id == contract_id)
        return [job_view(session, rec) for rec in session.scalars(query)]


def cancel_job(room: Sealroom, actor: Actor, job_id: str) -> JobView:
    with transaction(room.sessions) as session:
        rec = _load(session, job_id)
        if rec.submitter not in (actor.name, actor.organisation):
            raise PermissionDenied(f"only {rec.submitter}, who submitted {job_id}, may cancel it")
        transition(
            session,
            room,
            rec,
            JobEvent.CANCEL,
            actor=actor.name,
            role="scientist",
            reason=f"cancelled by {actor.name}",
        )
        return job_view(session, rec)


def debug_outputs(room: Sealroom, actor: Actor, job_id: str) -> dict[str, bytes]:
    """A debug run's outputs, for its submitter: they came from the masked sample only."""
    with transaction(room.sessions) as session:
        rec = _load(session, job_id)
        if rec.mode != RunMode.DEBUG.value:
            raise PermissionDenied(
                f"{job_id} is a real run: its outputs go to review and then only to the "
                "contract's recipients (`sealroom result download`)"
            )
        if rec.submitter not in (actor.name, actor.organisation):
            raise PermissionDenied(f"only {rec.submitter}, who submitted {job_id}, sees them")
        if rec.output_key_id is None:
            return {}
        key = load_data_key(session, room, rec.output_key_id)
        files = {
            o.name: read_blob(room, key, f"{job_id}/{o.name}", o.blob_name)
            for o in session.scalars(
                select(JobOutputRecord).where(JobOutputRecord.job_id == job_id)
            )
        }
        record(
            session,
            at=room.clock(),
            actor=actor.name,
            role="scientist",
            action="job.debug_outputs",
            subject={"job": job_id},
            contract=rec.contract_id,
            job=job_id,
            detail={"files": list[JsonValue](sorted(files))},
        )
        return files
