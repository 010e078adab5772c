"""Script jobs as a party sees them: submission, status, logs, cancellation, debug outputs.

A job's row is written with its code and code hash before the gate decides
(``admission``); the decision (queued, or rejected with its reason) is persisted
and audited in the same transaction. Running is the worker's (``job_runner``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePath
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from contracts import JobKind, Role, RunMode
from jobs import JobEvent, JobState
from sealroom.audit.events import JsonValue
from sealroom.errors import ConfigError, PermissionDenied
from sealroom.service.actors import Actor, acting_party, party_in_role
from sealroom.service.admission import admit
from sealroom.service.context import Sealroom
from sealroom.service.contracts import ContractView, show_contract
from sealroom.service.duties import check_may_read_real_logs
from sealroom.service.job_disclosure import REVIEWING_ROLES as REVIEWING_ROLES  # noqa: PLC0414 (re-export)
from sealroom.service.job_disclosure import as_seen_by
from sealroom.service.job_records import add_job, load_job, read_outputs, transition
from sealroom.service.recording import record
from sealroom.store.database import transaction
from sealroom.store.job_records import JobOutputRecord, JobRecord

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
    interpreter: str
    state: JobState
    reason: str
    attempts: int
    backend: str
    created_at: datetime
    updated_at: datetime
    run_record: dict[str, Any] | None
    check_report: dict[str, Any] | None
    outputs: tuple[OutputView, ...]
    details_withheld: bool = False  # see ``job_disclosure``: a real run, before its release


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
        interpreter=rec.interpreter,
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
    with transaction(room.sessions) as session:
        rec = add_job(
            session,
            view.contract,
            kind=kind,
            mode=mode,
            submitter=submitter,
            code_name=PurePath(code_name).name,
            interpreter=INTERPRETERS[suffix],
            code=code,
            now=now,
        )
        job_id = rec.job_id
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
        decision = admit(session, room, rec, view, actor="sealroom", role="gate")
        result = job_view(session, rec)
    decision.raise_if_refused()
    return result


def _may_see(actor: Actor, rec: JobRecord, view: ContractView) -> None:
    if actor.speaks_for(rec.submitter) or actor.is_admin:
        return
    if party_in_role(actor, view.contract, REVIEWING_ROLES) is not None:
        return
    raise PermissionDenied(
        f"{actor.name} is neither the submitter of {rec.job_id} nor an owner, platform or "
        f"reviewer of {rec.contract_id}: ask one of them"
    )


def _full_job(room: Sealroom, actor: Actor, job_id: str) -> tuple[JobView, ContractView]:
    with room.sessions() as session:
        rec = load_job(session, job_id)
        contract = show_contract(room, rec.contract_id, rec.contract_version)
        _may_see(actor, rec, contract)
        return job_view(session, rec), contract


def job_status(room: Sealroom, actor: Actor, job_id: str) -> JobView:
    """The job as the actor may see it: a real run's details only to its reviewers."""
    view, contract = _full_job(room, actor, job_id)
    return as_seen_by(actor, contract.contract, view)


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
    view, contract_view = _full_job(room, actor, job_id)
    if view.mode == RunMode.REAL.value:
        check_may_read_real_logs(actor, contract_view.contract, view.submitter, job_id)
    run = (view.run_record or {}).get("run", {})
    out, err = run.get("stdout") or {}, run.get("stderr") or {}
    return JobLogs(
        job_id=job_id,
        stdout=str(out.get("text", "")),
        stdout_truncated=bool(out.get("truncated")),
        stderr=str(err.get("text", "")),
        stderr_truncated=bool(err.get("truncated")),
    )


def list_jobs(
    room: Sealroom, contract_id: str | None = None, *, viewer: Actor | None = None
) -> list[JobView]:
    """Jobs, oldest first, as ``viewer`` may see them (``None``: real runs' details withheld)."""
    with room.sessions() as session:
        query = select(JobRecord).order_by(JobRecord.created_at)
        if contract_id:
            query = query.where(JobRecord.contract_id == contract_id)
        records = list(session.scalars(query))
        views = [job_view(session, rec) for rec in records]
    contracts = {
        (v.contract_id, v.contract_version): show_contract(
            room, v.contract_id, v.contract_version
        ).contract
        for v in views
    }
    return [as_seen_by(viewer, contracts[(v.contract_id, v.contract_version)], v) for v in views]


def cancel_job(room: Sealroom, actor: Actor, job_id: str) -> JobView:
    with transaction(room.sessions) as session:
        rec = load_job(session, job_id)
        if not actor.speaks_for(rec.submitter):
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
        view = job_view(session, rec)
    contract = show_contract(room, view.contract_id, view.contract_version).contract
    return as_seen_by(actor, contract, view)


def debug_outputs(room: Sealroom, actor: Actor, job_id: str) -> dict[str, bytes]:
    """A debug run's outputs, for its submitter: they came from the masked sample only."""
    with transaction(room.sessions) as session:
        rec = load_job(session, job_id)
        if rec.mode != RunMode.DEBUG.value:
            raise PermissionDenied(
                f"{job_id} is a real run: its outputs go to review and then only to the "
                "contract's recipients (`sealroom result download`)"
            )
        if not actor.speaks_for(rec.submitter):
            raise PermissionDenied(f"only {rec.submitter}, who submitted {job_id}, sees them")
        if rec.output_key_id is None:
            return {}
        files = read_outputs(room, job_id, releasable_only=False)
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
