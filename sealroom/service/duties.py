"""Separation of duties, by person: who may never decide on a job, whatever their organisation.

Roles belong to persons. A scientist of the owner's own organisation (the
README's alice, a person of acme-cn) speaks for the owner in many things, but
whoever submitted a job, or is a scientist of the contract, never approves its
code, votes on its results or reads what its real run printed: otherwise the
author's word plus the platform's would meet a dual-authorisation quorum alone,
and the full-data logs would bypass checks and review.
"""

from __future__ import annotations

from contracts import Contract, Role, SelfReviewForbidden
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
