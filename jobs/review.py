"""Review bookkeeping: who voted what on one job's outputs, and when it is decided.

The quorum comes from the contract (``contracts.who_must_review``: the k-of-n
reviewers for the output class, without the submitter and the recipients;
the example contract's default is owner + platform, dual authorisation). Any
reject withholds the output; a return-for-changes sends the scientist back to
the code; only ``required`` approvals from distinct eligible reviewers release it,
as in OpenSAFELY's Airlock (two independent checkers, nobody checks their own work).

A ``Review`` is immutable: ``cast`` returns a new one, so the service stores the
vote before it acts on the outcome.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from enum import StrEnum

from contracts import (
    Contract,
    JobKind,
    OutputClass,
    PsiRevealMode,
    ReviewQuorum,
    check_reviewer,
    who_must_review,
)
from jobs.errors import AlreadyVoted, ReasonRequired, ReviewClosed
from jobs.states import JobEvent


class Decision(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"  # the output is withheld for good
    RETURN_FOR_CHANGES = "return_for_changes"  # the scientist should change the code


@dataclass(frozen=True)
class Vote:
    reviewer: str
    decision: Decision
    at: dt.datetime
    reason: str = ""


@dataclass(frozen=True)
class Review:
    job_id: str
    submitter: str
    quorum: ReviewQuorum
    votes: tuple[Vote, ...] = ()

    @property
    def approvals(self) -> tuple[Vote, ...]:
        return tuple(v for v in self.votes if v.decision is Decision.APPROVE)

    @property
    def outcome(self) -> JobEvent | None:
        """The job event the votes so far amount to; ``None`` while undecided."""
        for vote in self.votes:
            if vote.decision is Decision.REJECT:
                return JobEvent.REVIEWER_REJECTED
            if vote.decision is Decision.RETURN_FOR_CHANGES:
                return JobEvent.RETURNED_FOR_CHANGES
        if len(self.approvals) >= self.quorum.required:
            return JobEvent.QUORUM_REACHED
        return None

    @property
    def waiting_for(self) -> tuple[str, ...]:
        """Eligible reviewers who have not voted yet (while undecided)."""
        if self.outcome is not None:
            return ()
        voted = {v.reviewer for v in self.votes}
        return tuple(r for r in self.quorum.reviewers if r not in voted)


def output_class_for(kind: JobKind, reveal: PsiRevealMode | None = None) -> OutputClass:
    """Which quorum a job's result is reviewed under: tables from scripts, PSI results by
    what they reveal, totals from psi_sum and he_aggregate."""
    if kind is JobKind.SCRIPT:
        return OutputClass.TABLE
    if kind is JobKind.PSI:
        if reveal is PsiRevealMode.CARDINALITY:
            return OutputClass.PSI_CARDINALITY
        # Unknown reveal mode: review as the more revealing of the two.
        return OutputClass.PSI_INTERSECTION
    return OutputClass.AGGREGATE


def open_review(
    contract: Contract, job_id: str, submitter: str, output_class: OutputClass = OutputClass.TABLE
) -> Review:
    """An empty review, or ``SelfReviewForbidden`` if the quorum cannot be met without
    the submitter (so the service can say so before the job runs, not after)."""
    return Review(job_id, submitter, who_must_review(contract, output_class, submitter))


def cast(contract: Contract, review: Review, vote: Vote) -> Review:
    """``review`` with ``vote`` recorded, or the reason it cannot be."""
    outcome = review.outcome
    if outcome is not None:
        raise ReviewClosed(review.job_id, outcome.value)
    check_reviewer(
        contract, review.quorum.output_class, reviewer=vote.reviewer, submitter=review.submitter
    )
    if any(v.reviewer == vote.reviewer for v in review.votes):
        raise AlreadyVoted(review.job_id, vote.reviewer)
    if vote.decision is not Decision.APPROVE and not vote.reason.strip():
        raise ReasonRequired(review.job_id, vote.decision.value.replace("_", " "))
    return replace(review, votes=(*review.votes, vote))
