"""Review of a job's real-run outputs, and approval of code by its hash.

The quorum comes from the contract (default owner + platform: dual authorisation);
nobody reviews their own job. The vote that completes the quorum releases the
result in its own transaction (``release``).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from contracts import (
    Contract,
    OutputClass,
    SelfReviewForbidden,
    who_must_review,
)
from jobs import (
    Decision,
    JobEvent,
    JobState,
    Review,
    Vote,
    cast,
    open_review,
)
from sealroom.errors import PermissionDenied, WrongState
from sealroom.service.actors import Actor, acting_party
from sealroom.service.context import Sealroom
from sealroom.service.contract_state import require_in_force, require_job_contract_in_force
from sealroom.service.contracts import show_contract
from sealroom.service.job_records import load_job, read_outputs, transition
from sealroom.service.jobs import REVIEWING_ROLES, JobView, job_view
from sealroom.service.recording import record
from sealroom.service.release import output_class_for_job, release_result
from sealroom.store.database import transaction
from sealroom.store.job_records import CodeApprovalRecord, JobRecord, ReviewVoteRecord


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
    if actor.speaks_for(review.submitter):
        # A person may act for an organisation that reviews, but never on their own job.
        raise SelfReviewForbidden(
            f"{actor.name} submitted {review.job_id} and may not review it, not even for "
            f"{actor.organisation or actor.name}: ask another reviewer of {contract.ref}"
        )
    for name in actor.parties:
        if name in review.quorum.reviewers:
            return name
    party, _ = acting_party(actor, contract, REVIEWING_ROLES)
    return party


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
            if set(actor.parties) & set(review.waiting_for):
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
        rec = load_job(session, job_id)
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
        read_outputs(room, job_id, releasable_only=True),
        view.check_report,
        code,
        diff,
    )


def vote(
    room: Sealroom, actor: Actor, job_id: str, decision: Decision, reason: str = ""
) -> JobView:
    """Records one reviewer's vote; the vote that completes the quorum releases the result."""
    with transaction(room.sessions) as session:
        rec = load_job(session, job_id)
        contract = show_contract(room, rec.contract_id, rec.contract_version).contract
        require_job_contract_in_force(room, rec, doing=f"vote on {job_id}")
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
            release_result(session, room, rec, contract, review)
        elif outcome is not None:
            transition(
                session, room, rec, outcome, actor=actor.name, role="reviewer", reason=reason
            )
        return job_view(session, rec)


def approve_code(room: Sealroom, actor: Actor, contract_id: str, code_hash: str) -> int:
    """A reviewer approves code by hash (contracts with code review); returns approvals so far."""
    view = show_contract(room, contract_id)
    require_in_force(view, room.clock(), doing=f"approve code under {view.ref}")
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
