"""Review of real-run outputs and code, and the release that a full quorum triggers.

The quorum comes from the contract (default owner + platform: dual authorisation);
nobody reviews their own job. Release happens in the transaction that records the
deciding vote: sealed copies for each recipient, the signed receipt and the export
ledger rows are all stored before the job reads ``released``.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from contracts import (
    Contract,
    JobKind,
    LegalBasis,
    OutputClass,
    PsiRevealMode,
    Role,
    SelfReviewForbidden,
    who_must_review,
)
from jobs import (
    ApprovalRecord,
    Decision,
    InputVersion,
    JobEvent,
    JobState,
    Receipt,
    ResultBundle,
    Review,
    Vote,
    assess_release,
    cast,
    export_events_for_release,
    open_review,
    output_class_for,
    output_digests,
    release_recipients,
    seal_result,
    sign_receipt,
)
from jobs.ledger import ExportEvent
from kms import PartyPublicKeys
from sealroom.errors import NotFound, PermissionDenied, WrongState
from sealroom.service.actors import Actor
from sealroom.service.blobs import sha256, write_plain_blob
from sealroom.service.context import Sealroom
from sealroom.service.contracts import acting_party, show_contract
from sealroom.service.datasets import show_dataset
from sealroom.service.job_runner import output_files
from sealroom.service.jobs import JobView, job_view, transition
from sealroom.service.recording import record
from sealroom.service.service_keys import load_service_key
from sealroom.service.setup import PLATFORM
from sealroom.store.database import transaction
from sealroom.store.job_records import (
    CodeApprovalRecord,
    ExportLedgerRecord,
    JobRecord,
    ReleaseRecord,
    ReviewVoteRecord,
)
from sealroom.store.models import PartyRecord

REVIEWING_ROLES = (Role.REVIEWER, Role.OWNER, Role.PLATFORM)


@dataclass(frozen=True)
class ReviewView:
    job: JobView
    reviewers: tuple[str, ...]
    required: int
    votes: tuple[Vote, ...]
    waiting_for: tuple[str, ...]
    outputs: dict[str, bytes]
    check_report: dict[str, Any] | None
    code: str
    code_diff: str


def _review(session: Session, contract: Contract, rec: JobRecord) -> Review:
    review = open_review(contract, rec.job_id, rec.submitter, output_class_for_job(rec))
    for row in session.scalars(
        select(ReviewVoteRecord)
        .where(ReviewVoteRecord.job_id == rec.job_id)
        .order_by(ReviewVoteRecord.id)
    ):
        review = cast(
            contract, review, Vote(row.reviewer, Decision(row.decision), row.at, row.reason)
        )
    return review


def _reviewer_party(actor: Actor, contract: Contract, review: Review) -> str:
    if review.submitter in (actor.name, actor.organisation):
        # A person may act for an organisation that reviews, but never on their own job.
        raise SelfReviewForbidden(
            f"{actor.name} submitted {review.job_id} and may not review it, not even for "
            f"{actor.organisation or actor.name}: ask another reviewer of {contract.ref}"
        )
    for name in (actor.name, actor.organisation):
        if name and name in review.quorum.reviewers:
            return name
    party, _ = acting_party(actor, contract, REVIEWING_ROLES)
    return party


def _load(session: Session, job_id: str) -> JobRecord:
    rec = session.get(JobRecord, job_id)
    if rec is None:
        raise NotFound("job", job_id, "list jobs with `sealroom job list`")
    return rec


def list_reviews(room: Sealroom, actor: Actor) -> list[JobView]:
    """Jobs awaiting review on which the actor's party sits on the quorum."""
    with room.sessions() as session:
        waiting = session.scalars(
            select(JobRecord).where(JobRecord.state == JobState.AWAITING_REVIEW.value)
        ).all()
        mine = []
        for rec in waiting:
            contract = show_contract(room, rec.contract_id, rec.contract_version).contract
            review = _review(session, contract, rec)
            if {actor.name, actor.organisation} & set(review.waiting_for):
                mine.append(job_view(session, rec))
        return mine


def _last_released_code(session: Session, rec: JobRecord) -> str:
    previous = session.scalars(
        select(JobRecord)
        .where(
            JobRecord.contract_id == rec.contract_id,
            JobRecord.state == JobState.RELEASED.value,
            JobRecord.job_id != rec.job_id,
        )
        .order_by(JobRecord.updated_at.desc())
    ).first()
    return previous.code.decode("utf-8", "replace") if previous else ""


def show_review(room: Sealroom, actor: Actor, job_id: str) -> ReviewView:
    """What a reviewer sees: outputs (after checks), the check report, the code and its diff."""
    with transaction(room.sessions) as session:
        rec = _load(session, job_id)
        contract = show_contract(room, rec.contract_id, rec.contract_version).contract
        review = _review(session, contract, rec)
        party = _reviewer_party(actor, contract, review)
        if party not in review.quorum.reviewers:
            raise PermissionDenied(f"{actor.name} is not on the review quorum of {job_id}")
        code = rec.code.decode("utf-8", "replace")
        diff = "".join(
            difflib.unified_diff(
                _last_released_code(session, rec).splitlines(keepends=True),
                code.splitlines(keepends=True),
                "last released",
                rec.code_name,
            )
        )
        view = job_view(session, rec)
        record(
            session,
            at=room.clock(),
            actor=actor.name,
            role="reviewer",
            action="review.open",
            subject={"job": job_id},
            contract=rec.contract_id,
            job=job_id,
            detail={"party": party},
        )
    return ReviewView(
        view,
        review.quorum.reviewers,
        review.quorum.required,
        review.votes,
        review.waiting_for,
        output_files(room, job_id, releasable_only=True),
        view.check_report,
        code,
        diff,
    )


def vote(
    room: Sealroom, actor: Actor, job_id: str, decision: Decision, reason: str = ""
) -> JobView:
    """Records one reviewer's vote; the vote that completes the quorum releases the result."""
    with transaction(room.sessions) as session:
        rec = _load(session, job_id)
        contract = show_contract(room, rec.contract_id, rec.contract_version).contract
        review = _review(session, contract, rec)
        party = _reviewer_party(actor, contract, review)
        # A vote on a job still running (or already decided) would sit in the store
        # and count when nobody meant it to.
        if rec.state != JobState.AWAITING_REVIEW.value:
            raise WrongState(
                job_id, rec.state, "awaiting review", "vote once its real run has finished"
            )
        review = cast(contract, review, Vote(party, decision, room.clock(), reason))
        session.add(
            ReviewVoteRecord(
                job_id=job_id,
                reviewer=party,
                decision=decision.value,
                reason=reason,
                voted_by=actor.name,
                at=room.clock(),
            )
        )
        record(
            session,
            at=room.clock(),
            actor=actor.name,
            role="reviewer",
            action=f"review.{decision.value}",
            subject={"job": job_id},
            contract=rec.contract_id,
            job=job_id,
            detail={"party": party, "reason": reason},
        )
        outcome = review.outcome
        if outcome is JobEvent.QUORUM_REACHED:
            _release(session, room, rec, contract, review)
        elif outcome is not None:
            transition(
                session, room, rec, outcome, actor=actor.name, role="reviewer", reason=reason
            )
        return job_view(session, rec)


def _release(
    session: Session, room: Sealroom, rec: JobRecord, contract: Contract, review: Review
) -> None:
    files = output_files(room, rec.job_id, releasable_only=True)
    recipients = release_recipients(contract)
    run = rec.run_record or {}
    described = run.get("backend", {})
    image = described.get("image") or f"runtime:{described.get('runtime_key', 'unknown')}"
    inputs = tuple(
        InputVersion(d.name, show_dataset(room, d.name).content_sha256) for d in contract.datasets
    )
    receipt = Receipt(
        job_id=rec.job_id,
        submitter=rec.submitter,
        contract_id=contract.id,
        contract_version=contract.version,
        contract_hash=show_contract(room, contract.id, contract.version).contract_hash,
        code_hash=rec.code_hash,
        image_digest=str(image),
        inputs=inputs,
        outputs=output_digests(files),
        approvals=tuple(ApprovalRecord(v.reviewer, v.at) for v in review.approvals),
        checks_passed={
            name: tuple(passed)
            for name, passed in _checks_passed(rec.check_report).items()
            if name in files
        },
        recipients=recipients,
        released_at=room.clock(),
        output_class=output_class_for_job(rec).value,
    )
    signed = sign_receipt(receipt, PLATFORM, load_service_key(session, room, PLATFORM))
    receipt_bytes = signed.to_bytes()
    public = {name: _public_keys(session, name) for name in recipients}
    sealed = seal_result(ResultBundle(files, receipt_bytes), rec.job_id, public)
    for recipient, blob in sealed.items():
        session.add(
            ReleaseRecord(
                job_id=rec.job_id,
                recipient=recipient,
                blob_name=write_plain_blob(room, blob, f"result-{rec.job_id}-{recipient}"),
                sealed_sha256=sha256(blob),
                receipt=receipt_bytes,
                released_at=receipt.released_at,
            )
        )
    individuals = sum(show_dataset(room, d.name).row_count for d in contract.datasets)
    history = [ledger_event(r) for r in session.scalars(select(ExportLedgerRecord))]
    warnings: list[str] = []
    for event in export_events_for_release(contract, receipt, individuals=individuals):
        assessment = assess_release(history, event)
        warnings.extend(w.message for w in assessment.warnings)
        session.add(
            ExportLedgerRecord(
                released_at=event.released_at,
                job_id=event.job_id,
                contract_id=event.contract_id,
                contract_version=event.contract_version,
                processor=event.processor,
                recipient=event.recipient,
                recipient_country=event.recipient_country,
                purpose=event.purpose,
                data_categories=list(event.data_categories),
                individuals=event.individuals,
                personal_individuals=event.personal_individuals,
                sensitive_individuals=event.sensitive_individuals,
                important_data=event.important_data,
                legal_basis=event.legal_basis.value,
                required_path=assessment.required.value,
                path_reason=assessment.reason,
                warnings=[w.message for w in assessment.warnings],
            )
        )
        history.append(event)
    transition(
        session,
        room,
        rec,
        JobEvent.QUORUM_REACHED,
        actor="sealroom",
        role="release",
        reason="the review quorum approved",
        detail={
            "recipients": list(recipients),
            "outputs": sorted(files),
            "receipt_sha256": sha256(receipt_bytes),
            "ledger_warnings": warnings,
        },
    )


def output_class_for_job(rec: JobRecord) -> OutputClass:
    kind = JobKind(rec.kind)
    if kind is JobKind.PSI:
        # The run's protocol line names its reveal mode: "psi:<mode>:<key column>".
        mode = rec.code.decode("utf-8", "replace").split(":")[1]
        return output_class_for(kind, PsiRevealMode(mode))
    return output_class_for(kind)


def _checks_passed(report: dict[str, Any] | None) -> dict[str, list[str]]:
    if not report:
        return {}
    return {str(f["name"]): [str(c) for c in f.get("passed", [])] for f in report["files"]}


def _public_keys(session: Session, name: str) -> PartyPublicKeys:
    party = session.get(PartyRecord, name)
    if party is None:
        raise NotFound("party", name, "the contract names a recipient the registry lacks")
    return PartyPublicKeys(x25519=party.x25519_public, ed25519=party.ed25519_public)


def ledger_event(row: ExportLedgerRecord) -> ExportEvent:
    return ExportEvent(
        released_at=row.released_at,
        job_id=row.job_id,
        contract_id=row.contract_id,
        contract_version=row.contract_version,
        processor=row.processor,
        recipient=row.recipient,
        recipient_country=row.recipient_country,
        purpose=row.purpose,
        data_categories=tuple(row.data_categories),
        individuals=row.individuals,
        personal_individuals=row.personal_individuals,
        sensitive_individuals=row.sensitive_individuals,
        important_data=row.important_data,
        legal_basis=LegalBasis(row.legal_basis),
    )


def approve_code(room: Sealroom, actor: Actor, contract_id: str, code_hash: str) -> int:
    """A reviewer approves code by hash (contracts with code review); returns approvals so far."""
    view = show_contract(room, contract_id)
    quorum = who_must_review(view.contract, OutputClass.TABLE, submitter="")
    party, _ = acting_party(actor, view.contract, REVIEWING_ROLES)
    if party not in quorum.reviewers:
        raise PermissionDenied(f"{party} is not a reviewer of {view.ref}")
    with transaction(room.sessions) as session:
        session.add(
            CodeApprovalRecord(
                contract_id=contract_id, code_hash=code_hash, reviewer=party, at=room.clock()
            )
        )
        record(
            session,
            at=room.clock(),
            actor=actor.name,
            role="reviewer",
            action="code.approve",
            subject={"code": code_hash},
            contract=contract_id,
            detail={"party": party},
        )
        return len(
            session.scalars(
                select(CodeApprovalRecord).where(
                    CodeApprovalRecord.contract_id == contract_id,
                    CodeApprovalRecord.code_hash == code_hash,
                )
            ).all()
        )
