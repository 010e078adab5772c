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
    who_must_review,
)
from jobs import (
    CodeIdentity,
    Decision,
    JobEvent,
    JobState,
    Review,
    Vote,
    cast,
    interpreter_for,
    open_review,
)
from sealroom.errors import PermissionDenied, WrongState
from sealroom.service.actors import Actor, acting_party
from sealroom.service.code_approvals import approving_seats
from sealroom.service.context import Sealroom
from sealroom.service.contract_state import require_in_force, require_job_contract_in_force
from sealroom.service.contracts import show_contract
from sealroom.service.decisions import (
    OfferedSignature,
    code_subject,
    counted_votes,
    sign_here_or_check,
    vote_subject,
)
from sealroom.service.duties import check_no_conflict
from sealroom.service.job_disclosure import as_seen_by
from sealroom.service.job_records import load_job, read_outputs, transition
from sealroom.service.jobs import REVIEWING_ROLES, JobLogs, JobView, job_logs, job_view
from sealroom.service.recording import record
from sealroom.service.release import output_class_for_job, release_result
from sealroom.service.review_tables import OutputTable, output_table
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
    tables: tuple[OutputTable, ...] = ()  # the releasable outputs parsed, one window of rows
    logs: JobLogs | None = None


def _verified_review(
    session: Session, room: Sealroom, contract: Contract, rec: JobRecord
) -> Review:
    """The review as its signed votes make it: a vote whose signature does not verify over
    the job as stored now does not count, whatever its row says."""
    review = open_review(contract, rec.job_id, rec.submitter, output_class_for_job(rec))
    for row, _ in counted_votes(session, room, rec, contract):
        review = cast(
            contract, review, Vote(row.reviewer, Decision(row.decision), row.at, row.reason)
        )
    return review


def _reviewer_party(actor: Actor, contract: Contract, review: Review) -> str:
    # A person may act for an organisation that reviews, but never on a job they
    # submitted or under a contract whose scientist they are.
    check_no_conflict(actor, contract, review.submitter, f"review {review.job_id}")
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
            review = _verified_review(session, room, contract, rec)
            if set(actor.parties) & set(review.waiting_for):
                mine.append(as_seen_by(actor, contract, job_view(session, rec)))
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


def show_review(
    room: Sealroom, actor: Actor, job_id: str, *, first_row: int = 1, last_row: int = 50
) -> ReviewView:
    """What a reviewer sees: outputs (after checks) with rows ``first_row``..``last_row`` of
    each parsed as the table that would be released, the check report, the code and its
    diff, and what the run printed."""
    with transaction(room.sessions) as session:
        rec = load_job(session, job_id)
        contract = show_contract(room, rec.contract_id, rec.contract_version).contract
        review = _verified_review(session, room, contract, rec)
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
    outputs = read_outputs(room, job_id, releasable_only=True)
    return ReviewView(
        view,
        review.quorum.reviewers,
        review.quorum.required,
        review.votes,
        review.waiting_for,
        outputs,
        view.check_report,
        code,
        diff,
        tuple(
            output_table(name, data, first_row=first_row, last_row=last_row)
            for name, data in sorted(outputs.items())
        ),
        job_logs(room, actor, job_id),
    )


def vote(
    room: Sealroom,
    actor: Actor,
    job_id: str,
    decision: Decision,
    reason: str = "",
    signature: OfferedSignature | None = None,
) -> JobView:
    """Records one reviewer's signed vote; the vote that completes the quorum releases
    the result. ``signature`` is the decider's own (``None`` only for the platform's
    seat, which the service signs with the platform key)."""
    with transaction(room.sessions) as session:
        rec = load_job(session, job_id)
        contract = show_contract(room, rec.contract_id, rec.contract_version).contract
        require_job_contract_in_force(room, rec, doing=f"vote on {job_id}")
        review = _verified_review(session, room, contract, rec)
        party = _reviewer_party(actor, contract, review)
        # A vote on a job still running (or already decided) would sit in the store
        # and count when nobody meant it to.
        if rec.state != JobState.AWAITING_REVIEW.value:
            raise WrongState(
                job_id, rec.state, "awaiting review", "vote once its real run has finished"
            )
        review = cast(contract, review, Vote(party, decision, room.clock(), reason))
        signed = sign_here_or_check(
            session,
            room,
            actor,
            contract,
            party,
            vote_subject(room, rec, contract),
            decision.value,
            reason,
            signature,
        )
        session.add(
            ReviewVoteRecord(
                job_id=job_id,
                reviewer=party,
                decision=decision.value,
                reason=reason,
                voted_by=actor.name,
                at=room.clock(),
                signed=signed.to_json(),
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
            detail={"party": party, "reason": reason, "signed": signed.as_logged()},
        )
        outcome = review.outcome
        if outcome is JobEvent.QUORUM_REACHED:
            release_result(session, room, rec, contract, review)
        elif outcome is not None:
            transition(
                session, room, rec, outcome, actor=actor.name, role="reviewer", reason=reason
            )
        return job_view(session, rec)


def approve_code(
    room: Sealroom,
    actor: Actor,
    contract_id: str,
    code: CodeIdentity,
    signature: OfferedSignature | None = None,
) -> int:
    """A reviewer's signed approval of ``code`` (hash, interpreter, entry name) for real
    runs under the contract's current version; returns the seats approving it so far."""
    view = show_contract(room, contract_id)
    require_in_force(view, room.clock(), doing=f"approve code under {view.ref}")
    quorum = who_must_review(view.contract, OutputClass.TABLE, submitter="")
    party = next((p for p in actor.parties if p in quorum.reviewers), None)
    if party is None:
        party, _ = acting_party(actor, view.contract, REVIEWING_ROLES)
    if party not in quorum.reviewers:
        raise PermissionDenied(f"{party} is not a reviewer of {view.ref}")
    if interpreter_for(code.entry) != code.interpreter:
        raise PermissionDenied(
            f"{code.entry} does not run as {code.interpreter}: approve the file under the "
            "name it will be submitted with"
        )
    with transaction(room.sessions) as session:
        check_no_conflict(actor, view.contract, None, f"approve code for {view.ref}")
        for submitter in _submitters_of(session, contract_id, code.sha256):
            check_no_conflict(actor, view.contract, submitter, f"approve code for {view.ref}")
        signed = sign_here_or_check(
            session,
            room,
            actor,
            view.contract,
            party,
            code_subject(view.contract, view.contract_hash, code),
            "approve",
            "",
            signature,
        )
        session.add(
            CodeApprovalRecord(
                contract_id=contract_id,
                code_hash=code.sha256,
                reviewer=party,
                at=room.clock(),
                signed=signed.to_json(),
            )
        )
        record(
            session,
            at=room.clock(),
            actor=actor.name,
            role="reviewer",
            action="code.approve",
            subject={"code": code.sha256},
            contract=contract_id,
            detail={"party": party, "signed": signed.as_logged()},
        )
        session.flush()
        return len(approving_seats(session, room, view.contract, code))


def _submitters_of(session: Session, contract_id: str, digest: str) -> set[str]:
    """Who submitted this code under the contract: none of them approves it."""
    return set(
        session.scalars(
            select(JobRecord.submitter).where(
                JobRecord.contract_id == contract_id, JobRecord.code_hash == digest
            )
        )
    )
