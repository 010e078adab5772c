"""Separation of duties, by person: who may never decide on a job, whatever their organisation.

Roles belong to persons. A scientist of the owner's own organisation (the
README's alice, a person of acme-cn) speaks for the owner in many things, but
whoever submitted a job, or is a scientist of the contract, never approves its
code, votes on its results or reads what its real run printed: otherwise the
author's word plus the platform's would meet a dual-authorisation quorum alone,
and the full-data logs would bypass checks and review.
"""

from __future__ import annotations

from contracts import Contract, OutputClass, Role, SelfReviewForbidden, who_must_review
from sealroom.errors import PermissionDenied
from sealroom.service.actors import Actor


def is_scientist_of(name: str, contract: Contract) -> bool:
    """Does the contract name ``name`` itself (a person, or an organisation) as a scientist?"""
    party = contract.party(name)
    return party is not None and party.has_role(Role.SCIENTIST)


def conflict_of_duties(actor: Actor, contract: Contract, submitter: str | None) -> str | None:
    """Why ``actor`` may not decide on the job ``submitter`` submitted (``None``: it may).

    ``submitter`` is ``None`` for a decision on the contract's code as a whole.
    """
    if submitter and (actor.name == submitter or actor.speaks_for(submitter)):
        return f"{actor.name} submitted the job"
    if is_scientist_of(actor.name, contract):
        return f"{actor.name} is a scientist of {contract.ref}"
    return None


def check_no_conflict(actor: Actor, contract: Contract, submitter: str | None, doing: str) -> None:
    """Raise ``SelfReviewForbidden`` when ``actor`` may not do ``doing`` on this job or code."""
    conflict = conflict_of_duties(actor, contract, submitter)
    if conflict is not None:
        acting_for = f", not even for {actor.organisation}" if actor.organisation else ""
        raise SelfReviewForbidden(
            f"{conflict}, so {actor.name} may not {doing}{acting_for}: ask another "
            f"reviewer of {contract.ref} who neither wrote nor submitted the code"
        )


def may_review(actor: Actor, contract: Contract, submitter: str | None) -> bool:
    """Does ``actor`` fill a seat of the contract's review quorum, free of any conflict?"""
    if conflict_of_duties(actor, contract, submitter) is not None:
        return False
    quorum = who_must_review(contract, OutputClass.TABLE, submitter=submitter or "")
    return any(actor.speaks_for(seat) for seat in quorum.reviewers)


def check_may_read_real_logs(actor: Actor, contract: Contract, submitter: str, job_id: str) -> None:
    """A real run printed from the full data: its logs go to the owner's reviewers only."""
    if not may_review(actor, contract, submitter):
        raise PermissionDenied(
            f"{job_id} ran on the real data, so what it printed is an output: only the "
            f"reviewers of {contract.ref} who neither wrote nor submitted it see it; run in "
            "debug mode to see your own"
        )
