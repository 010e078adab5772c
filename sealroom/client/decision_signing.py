"""Signing a vote or a code approval on the decider's own machine, over what they saw.

The message names the contract version by its hash (recomputed here from the
document, never taken from the server), the job, the code by the hash of the
bytes shown (with its interpreter and entry name) and every releasable output
by the hash of the bytes shown. A server that showed one thing and stored
another would hold a signature that verifies over neither. The private key
stays here: only the signature travels.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from datetime import UTC, datetime

from contracts import Contract, OutputClass, contract_hash, load_contract, who_must_review
from jobs import (
    CodeIdentity,
    Decider,
    DecisionKind,
    DecisionSubject,
    code_hash,
    interpreter_for,
    output_digest_pairs,
    sign_decision,
)
from kms import PartyKeyPair
from sealroom.client.errors import ApiError
from sealroom.client.models import (
    CodeApproval,
    ContractInfo,
    DecisionSignatureBody,
    ReviewInfo,
    WhoAmI,
)


class DecisionMismatch(ApiError):
    """What the server shows does not add up: the caller should not sign it."""

    def __init__(self, message: str) -> None:
        super().__init__(message, 0)


def verified_contract_document(info: ContractInfo) -> Contract:
    contract = load_contract(info.document, f"{info.id} v{info.version}")
    if contract_hash(contract) != info.contract_hash:
        raise DecisionMismatch(
            f"the document of {info.id} v{info.version} does not hash to the hash the server "
            "reports: do not sign a decision under it; tell the platform operator"
        )
    return contract


def seat_for(reviewers: Sequence[str], who: WhoAmI) -> str:
    """The quorum seat the caller fills: itself where it sits on the quorum, else its
    organisation (the server picks the same way)."""
    for name in (who.party, who.organisation):
        if name and name in reviewers:
            return name
    raise DecisionMismatch(
        f"{who.party} fills no seat of this quorum ({', '.join(reviewers)}): act as one of them"
    )


def _signature(
    subject: DecisionSubject,
    decision: str,
    reason: str,
    seat: str,
    who: WhoAmI,
    keys: PartyKeyPair,
    now: datetime | None,
) -> DecisionSignatureBody:
    signed_at = now or datetime.now(UTC)
    signed = sign_decision(
        subject, decision, reason, Decider(seat, who.party, who.party), keys, signed_at
    )
    return DecisionSignatureBody(
        seat=seat,
        signed_at=signed_at,
        signature=base64.b64encode(signed.signature).decode("ascii"),
    )


def sign_vote(
    review: ReviewInfo,
    contract: ContractInfo,
    who: WhoAmI,
    decision: str,
    reason: str,
    keys: PartyKeyPair,
    now: datetime | None = None,
) -> DecisionSignatureBody:
    """``who``'s signed vote on the job of ``review``, over the outputs and code it shows."""
    job = review.job
    if (contract.id, contract.version) != (job.contract_id, job.contract_version):
        raise DecisionMismatch(
            f"{job.job_id} runs under {job.contract_id} v{job.contract_version}, not "
            f"{contract.id} v{contract.version}: fetch that version"
        )
    verified_contract_document(contract)
    shown = code_hash(review.code.encode("utf-8"))
    if shown != job.code_hash:
        raise DecisionMismatch(
            f"the code shown for {job.job_id} does not hash to its recorded {job.code_hash[:23]}: "
            "do not approve what you could not read; tell the platform operator"
        )
    outputs = {name: base64.b64decode(data) for name, data in review.outputs.items()}
    subject = DecisionSubject(
        kind=DecisionKind.RELEASE_VOTE,
        contract_id=contract.id,
        contract_version=contract.version,
        contract_hash=contract.contract_hash,
        job_id=job.job_id,
        code=CodeIdentity(shown, job.interpreter, job.code_name),
        outputs=output_digest_pairs(outputs),
    )
    seat = seat_for(review.reviewers, who)
    return _signature(subject, decision, reason, seat, who, keys, now)


def sign_code_approval(
    contract: ContractInfo,
    who: WhoAmI,
    code: bytes,
    entry: str,
    keys: PartyKeyPair,
    now: datetime | None = None,
) -> CodeApproval:
    """``who``'s signed approval of ``code`` as ``entry`` under the contract's version."""
    interpreter = interpreter_for(entry)
    if interpreter is None:
        raise DecisionMismatch(
            f"{entry} is neither a Python file (.py) nor a shell script (.sh): approve the "
            "file under the name it will be submitted with"
        )
    document = verified_contract_document(contract)
    identity = CodeIdentity(code_hash(code), interpreter, entry)
    subject = DecisionSubject(
        kind=DecisionKind.CODE_APPROVAL,
        contract_id=contract.id,
        contract_version=contract.version,
        contract_hash=contract.contract_hash,
        job_id=None,
        code=identity,
    )
    reviewers = who_must_review(document, OutputClass.TABLE, submitter="").reviewers
    seat = seat_for(reviewers, who)
    signed = _signature(subject, "approve", "", seat, who, keys, now)
    return CodeApproval.model_validate(
        {
            "code_hash": identity.sha256,
            "interpreter": interpreter,
            "entry": entry,
            "signed": signed.model_dump(),
        }
    )


def unsigned_code_approval(code: bytes, entry: str) -> CodeApproval:
    """A code approval for the platform's seat, which the service signs itself."""
    interpreter = interpreter_for(entry)
    if interpreter is None:
        raise DecisionMismatch(
            f"{entry} is neither a Python file (.py) nor a shell script (.sh): approve the "
            "file under the name it will be submitted with"
        )
    return CodeApproval.model_validate(
        {"code_hash": code_hash(code), "interpreter": interpreter, "entry": entry}
    )
