"""Signed decisions on the server: what a vote or code approval must be signed over,
whose key must sign it, and the check every stored decision passes again.

The server never signs for an owner: it rebuilds what the decision is about
from its own records (contract hash, job, code hash with interpreter and entry
name, the digests of the stored releasable outputs) and checks the signature
the decider made on their own machine against their registered key, or the
key the contract pins for them. Only the platform's seat is signed here, with
the platform key the service holds. A stored decision is re-checked the same
way before it counts (``verified_decision``): a row written around the service
does not release anything.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from contracts import Contract
from jobs import (
    CodeIdentity,
    Decider,
    DecisionKind,
    DecisionSignatureInvalid,
    DecisionSubject,
    SignedDecision,
    decision_signature,
    output_digest_pairs,
    sign_decision,
    verify_decision,
)
from sealroom.service.actors import Actor
from sealroom.service.context import Sealroom
from sealroom.service.contracts import show_contract
from sealroom.service.duties import conflict_of_duties
from sealroom.service.job_records import read_outputs
from sealroom.service.service_keys import load_service_key
from sealroom.service.setup import PLATFORM
from sealroom.store.job_records import JobRecord, ReviewVoteRecord
from sealroom.store.models import PartyRecord


@dataclass(frozen=True)
class OfferedSignature:
    """A decider's signature as their client sends it: the seat, the time, the bytes."""

    seat: str
    signed_at: datetime
    signature: str  # base64 Ed25519


def vote_subject(room: Sealroom, rec: JobRecord, contract: Contract) -> DecisionSubject:
    """What a vote on ``rec`` decides, rebuilt from the store as it is now."""
    return DecisionSubject(
        kind=DecisionKind.RELEASE_VOTE,
        contract_id=contract.id,
        contract_version=contract.version,
        contract_hash=show_contract(room, contract.id, contract.version).contract_hash,
        job_id=rec.job_id,
        code=CodeIdentity(rec.code_hash, rec.interpreter, rec.code_name),
        outputs=output_digest_pairs(read_outputs(room, rec.job_id, releasable_only=True)),
    )


def code_subject(contract: Contract, contract_hash: str, code: CodeIdentity) -> DecisionSubject:
    return DecisionSubject(
        kind=DecisionKind.CODE_APPROVAL,
        contract_id=contract.id,
        contract_version=contract.version,
        contract_hash=contract_hash,
        job_id=None,
        code=code,
    )


def signing_key(session: Session, contract: Contract, signer: str) -> bytes:
    """The Ed25519 key ``signer``'s decisions must verify under: the one the contract
    pins for it where it pins one (the store cannot swap it), else the registry's."""
    party = contract.party(signer)
    if party is not None and party.public_key is not None:
        return base64.b64decode(party.public_key)
    record = session.get(PartyRecord, signer)
    if record is None:
        raise DecisionSignatureInvalid(
            f"{signer} is not a registered party, so its decision cannot be checked"
        )
    return bytes(record.ed25519_public)


def sign_here_or_check(
    session: Session,
    room: Sealroom,
    actor: Actor,
    contract: Contract,
    seat: str,
    subject: DecisionSubject,
    decision: str,
    reason: str,
    offered: OfferedSignature | None,
) -> SignedDecision:
    """The signed decision of ``actor`` for ``seat``: checked when the client signed it,
    signed here with the platform key when the platform's seat is filled without one."""
    if offered is None:
        if seat != PLATFORM or not actor.speaks_for(PLATFORM):
            raise DecisionSignatureInvalid(
                f"a {decision} for {seat} must be signed by {actor.name}'s own key on their "
                "machine: pass --key-file (CLI) or keys= (SDK)"
            )
        keys = load_service_key(session, room, PLATFORM)
        return sign_decision(
            subject, decision, reason, Decider(seat, PLATFORM, actor.name), keys, room.clock()
        )
    if offered.seat != seat:
        raise DecisionSignatureInvalid(
            f"{actor.name} signed for {offered.seat}, but decides here for {seat}: sign again "
            f"for {seat}"
        )
    signed = SignedDecision(
        subject,
        decision,
        reason,
        Decider(seat, actor.name, actor.name),
        offered.signed_at,
        signing_key(session, contract, actor.name),
        decision_signature(offered.signature),
    )
    verify_decision(signed)
    return signed


def verified_decision(
    session: Session,
    contract: Contract,
    stored: dict[str, Any] | None,
    subject: DecisionSubject,
    *,
    seat: str,
    decision: str,
    person: str,
    submitter: str | None,
) -> SignedDecision:
    """A stored decision, checked again from scratch; ``DecisionSignatureInvalid`` says why
    it does not count (unsigned, signed over something else, by an ineligible person, or by
    a key that is not the signer's)."""
    if stored is None:
        raise DecisionSignatureInvalid(
            f"the {decision} for {seat} by {person} carries no signature"
        )
    signed = SignedDecision.from_json(stored)
    if signed.subject != subject:
        raise DecisionSignatureInvalid(
            f"the {decision} for {seat} by {person} was signed over other code, outputs or "
            "another contract version than the store now holds"
        )
    if (signed.decision, signed.decider.seat, signed.decider.person) != (decision, seat, person):
        raise DecisionSignatureInvalid(
            f"the stored {decision} for {seat} by {person} is not what its signature says "
            f"({signed.decision} for {signed.decider.seat} by {signed.decider.person})"
        )
    _check_decider(session, contract, signed.decider, submitter)
    verify_decision(signed, signing_key(session, contract, signed.decider.signer))
    return signed


def _check_decider(
    session: Session, contract: Contract, decider: Decider, submitter: str | None
) -> None:
    person = session.get(PartyRecord, decider.person)
    if person is None:
        raise DecisionSignatureInvalid(f"{decider.person} is not a registered party")
    actor = Actor(person.name, person.is_admin, person.organisation)
    conflict = conflict_of_duties(actor, contract, submitter)
    if conflict is not None:
        raise DecisionSignatureInvalid(f"{conflict}: the decision does not count")
    if not actor.speaks_for(decider.seat):
        raise DecisionSignatureInvalid(
            f"{decider.person} does not act for {decider.seat}: the decision does not count"
        )
    if decider.signer not in (decider.person, PLATFORM if decider.seat == PLATFORM else ""):
        raise DecisionSignatureInvalid(
            f"{decider.signer} signed for {decider.person}: only the person itself, or the "
            "platform key for the platform's seat, signs a decision"
        )


def counted_votes(
    session: Session, room: Sealroom, rec: JobRecord, contract: Contract
) -> list[tuple[ReviewVoteRecord, SignedDecision]]:
    """The job's vote rows whose signatures verify over the job as stored now; others
    (forged rows, votes on outputs or code since swapped) never count."""
    rows = session.scalars(
        select(ReviewVoteRecord)
        .where(ReviewVoteRecord.job_id == rec.job_id)
        .order_by(ReviewVoteRecord.id)
    ).all()
    if not rows:
        return []
    subject = vote_subject(room, rec, contract)
    counted = []
    for row in rows:
        try:
            signed = verified_decision(
                session,
                contract,
                row.signed,
                subject,
                seat=row.reviewer,
                decision=row.decision,
                person=row.voted_by,
                submitter=rec.submitter,
            )
        except DecisionSignatureInvalid:
            continue
        counted.append((row, signed))
    return counted


def signed_approvals(
    session: Session, room: Sealroom, rec: JobRecord, contract: Contract, seats: tuple[str, ...]
) -> tuple[SignedDecision, ...]:
    """Release's own check: one verified signed approval per seat in ``seats``, or
    ``DecisionSignatureInvalid`` naming the seat whose approval does not verify."""
    approvals = {
        row.reviewer: signed
        for row, signed in counted_votes(session, room, rec, contract)
        if signed.decision == "approve"
    }
    missing = [seat for seat in seats if seat not in approvals]
    if missing:
        raise DecisionSignatureInvalid(
            f"{rec.job_id} is not released: the approval of {', '.join(missing)} carries no "
            "signature that verifies over this job's contract, code and outputs; run "
            "`sealroom audit verify --store` and ask them to vote again"
        )
    return tuple(approvals[seat] for seat in seats)
