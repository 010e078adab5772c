"""The steps every kind of job takes on its stored record, whatever runs it.

Script jobs, PSI runs and (later) homomorphic-aggregate rounds load their record,
move it along the state table with an audit event, and keep their outputs the
same way: encrypted under a data key of their own, one row per file, marked
releasable or not. The callers' transactions hold each step with its effect.
"""

from __future__ import annotations

from collections.abc import Mapping, Set
from datetime import datetime
from typing import Any
from uuid import uuid4

from sqlalchemy import select
from sqlalchemy.orm import Session

from contracts import Contract, JobKind, RunMode
from jobs import JobEvent, JobState, advance, code_hash
from sealroom.errors import NotFound
from sealroom.service.blobs import load_data_key, read_blob, sha256, write_blob
from sealroom.service.context import Sealroom
from sealroom.service.contract_keys import new_output_key
from sealroom.service.recording import record
from sealroom.store.job_records import JobOutputRecord, JobRecord


def add_job(
    session: Session,
    contract: Contract,
    *,
    kind: JobKind,
    mode: RunMode,
    submitter: str,
    code_name: str,
    interpreter: str,
    code: bytes,
    now: datetime,
) -> JobRecord:
    """Writes a new job's row, ``submitted``, with its code and code hash (flushed).

    The row exists before the gate decides, so a refused attempt stays on record
    and counts nowhere (``admission.runs_used`` skips refusals).
    """
    rec = JobRecord(
        job_id=f"j-{uuid4().hex[:10]}",
        contract_id=contract.id,
        contract_version=contract.version,
        kind=kind.value,
        mode=mode.value,
        submitter=submitter,
        code_name=code_name,
        interpreter=interpreter,
        code=code,
        code_hash=code_hash(code),
        state=JobState.SUBMITTED.value,
        created_at=now,
        updated_at=now,
    )
    session.add(rec)
    session.flush()
    return rec


def load_job(session: Session, job_id: str) -> JobRecord:
    rec = session.get(JobRecord, job_id)
    if rec is None:
        raise NotFound("job", job_id, "list jobs with `sealroom job list`")
    return rec


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


def store_outputs(
    session: Session,
    room: Sealroom,
    rec: JobRecord,
    files: Mapping[str, bytes],
    *,
    releasable: Set[str],
) -> None:
    """Encrypts a run's output files under a new data key of the job's, one row each.

    The key is wrapped under the contract's KEK, so revoking the contract shreds them.
    ``releasable`` names the files that may go to review (those that passed the
    checks); the others are kept for the record but never leave.
    """
    job = rec.job_id
    key = new_output_key(session, room, rec)
    session.flush()
    rec.output_key_id = key.key_id
    for name, data in sorted(files.items()):
        session.add(
            JobOutputRecord(
                job_id=job,
                name=name,
                sha256=sha256(data),
                size=len(data),
                blob_name=write_blob(room, key, f"{job}/{name}", data, f"out-{job}"),
                releasable=name in releasable,
            )
        )


def read_outputs(room: Sealroom, job_id: str, *, releasable_only: bool) -> dict[str, bytes]:
    """The stored outputs of a job, decrypted (for its reviewers, the release, a debug run)."""
    with room.sessions() as session:
        rec = load_job(session, job_id)
        if rec.output_key_id is None:
            return {}
        key = load_data_key(session, room, rec.output_key_id)
        query = select(JobOutputRecord).where(JobOutputRecord.job_id == job_id)
        if releasable_only:
            query = query.where(JobOutputRecord.releasable)
        return {
            o.name: read_blob(room, key, f"{job_id}/{o.name}", o.blob_name)
            for o in session.scalars(query)
        }
