"""Handing a released result to a recipient: the copy sealed to its own key.

Only a recipient named by the contract receives anything, and only after the
release; the submitter is not a recipient unless the contract says so. The
recipient opens and verifies the copy on its own side (``open_downloaded``).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from contracts import Role, check_may_receive
from jobs import JobState
from sealroom.errors import NotFound, PermissionDenied, WrongState
from sealroom.service.actors import Actor, acting_party
from sealroom.service.blobs import read_plain_blob
from sealroom.service.context import Sealroom
from sealroom.service.contracts import show_contract
from sealroom.service.job_records import load_job
from sealroom.service.recording import record
from sealroom.store.database import transaction
from sealroom.store.job_records import ReleaseRecord


@dataclass(frozen=True)
class SealedResult:
    job_id: str
    recipient: str
    contract_id: str
    contract_version: int
    sealed: bytes
    receipt: bytes


def download_result(room: Sealroom, actor: Actor, job_id: str) -> SealedResult:
    with transaction(room.sessions) as session:
        rec = load_job(session, job_id)
        view = show_contract(room, rec.contract_id, rec.contract_version)
        try:
            recipient, _ = acting_party(actor, view.contract, (Role.RECIPIENT,))
        except PermissionDenied:
            record(
                session,
                at=room.clock(),
                actor=actor.name,
                role="party",
                action="result.denied",
                subject={"job": job_id},
                contract=rec.contract_id,
                job=job_id,
                detail={"reason": "not a recipient"},
            )
            raise PermissionDenied(
                f"{actor.name} is not a recipient of {view.ref}: results of real runs go only "
                "to the recipients the contract names, sealed to their keys"
            ) from None
        check_may_receive(view.contract, view.status, party=recipient, now=room.clock())
        if rec.state != JobState.RELEASED.value:
            raise WrongState(
                job_id,
                rec.state,
                "released",
                "a result leaves only after the review quorum approves it; check again later "
                "(`sealroom job status`)",
            )
        release = session.scalars(
            select(ReleaseRecord).where(
                ReleaseRecord.job_id == job_id, ReleaseRecord.recipient == recipient
            )
        ).first()
        if release is None:
            raise NotFound("release of", f"{job_id} for {recipient}")
        release.downloaded_at = room.clock()
        record(
            session,
            at=room.clock(),
            actor=actor.name,
            role="recipient",
            action="result.download",
            subject={"job": job_id},
            contract=rec.contract_id,
            job=job_id,
            detail={"recipient": recipient, "sealed_sha256": release.sealed_sha256},
        )
        return SealedResult(
            job_id,
            recipient,
            rec.contract_id,
            rec.contract_version,
            read_plain_blob(room, release.blob_name),
            release.receipt,
        )
