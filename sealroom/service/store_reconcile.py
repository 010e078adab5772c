"""Reconciling the store with the audit log and with the signatures it holds.

The audit log is tamper-evident; the store's tables are not. Whoever can write
the database could insert an owner's vote, swap a job's code or a recipient's
key, and the service's own reads would believe them. This walks every decision,
job and pinned key and names each place where the store says something the log
or the signatures do not:

- a vote or code approval with no signed event in the log that carries it;
- a vote or code approval whose signature does not verify (or is missing);
- a job whose stored code does not hash to its recorded hash;
- a registered key of a contract's party that is not the key the contract pins.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from contracts import Contract, contract_hash, load_contract
from jobs import CodeIdentity, DecisionSignatureInvalid, SignedDecision, code_hash, signature_digest
from kms import KmsError
from sealroom.audit.records import AuditEventRecord
from sealroom.errors import SealroomError
from sealroom.service.context import Sealroom
from sealroom.service.decisions import code_subject, verified_decision, vote_subject
from sealroom.store.contract_records import ContractRecord
from sealroom.store.job_records import CodeApprovalRecord, JobRecord, ReviewVoteRecord
from sealroom.store.models import PartyRecord


@dataclass(frozen=True)
class Divergence:
    """One place where the store says what the log or the signatures do not."""

    kind: str  # unsigned-event | bad-signature | code-hash | unpinned-key | unreadable-outputs
    subject: str  # what it is about: a job, a contract, a party
    message: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.subject}: {self.message}"


def reconcile_store(room: Sealroom) -> list[Divergence]:
    """Every divergence between the store, the audit log and the signatures, in order."""
    with room.sessions() as session:
        contracts = _contracts(session)
        signed_events = _signed_events(session)
        found: list[Divergence] = []
        found.extend(_job_code(session))
        found.extend(_votes(session, room, contracts, signed_events))
        found.extend(_code_approvals(session, room, contracts, signed_events))
        found.extend(_pinned_keys(session, contracts))
        return found


def _contracts(session: Session) -> dict[tuple[str, int], tuple[Contract, str]]:
    loaded = {}
    for rec in session.scalars(select(ContractRecord)):
        contract = load_contract(rec.document, f"{rec.contract_id} v{rec.version}")
        loaded[(rec.contract_id, rec.version)] = (contract, contract_hash(contract))
    return loaded


def _signed_events(session: Session) -> set[tuple[str, str]]:
    """(action, signature) of every decision event the log holds."""
    found = set()
    query = select(AuditEventRecord.action, AuditEventRecord.detail).where(
        AuditEventRecord.action.in_(
            ["code.approve", "review.approve", "review.reject", "review.return_for_changes"]
        )
    )
    for action, detail in session.execute(query):
        signed = json.loads(detail).get("signed")
        if isinstance(signed, dict) and isinstance(signed.get("signature_sha256"), str):
            found.add((action, signed["signature_sha256"]))
    return found


def _signature_of(stored: dict[str, object] | None) -> str:
    """The digest the log carries of a stored decision's signature ("" if it has none)."""
    value = (stored or {}).get("signature")
    if not isinstance(value, str):
        return ""
    try:
        return signature_digest(base64.b64decode(value, validate=True))
    except (binascii.Error, ValueError):
        return ""


def _job_code(session: Session) -> Iterator[Divergence]:
    for rec in session.scalars(select(JobRecord).order_by(JobRecord.created_at)):
        found = code_hash(rec.code)
        if found != rec.code_hash:
            yield Divergence(
                "code-hash",
                f"job {rec.job_id}",
                f"its stored code hashes to {found[:23]}…, not the recorded "
                f"{rec.code_hash[:23]}…: the code was swapped in the store; it will not run "
                "or be released",
            )


def _votes(
    session: Session,
    room: Sealroom,
    contracts: dict[tuple[str, int], tuple[Contract, str]],
    signed_events: set[tuple[str, str]],
) -> Iterator[Divergence]:
    rows = session.scalars(select(ReviewVoteRecord).order_by(ReviewVoteRecord.id)).all()
    jobs = {r.job_id for r in rows}
    for job_id in sorted(jobs):
        rec = session.get(JobRecord, job_id)
        if rec is None:
            continue
        contract, _ = contracts[(rec.contract_id, rec.contract_version)]
        try:
            subject = vote_subject(room, rec, contract)
        except (SealroomError, KmsError, OSError) as err:
            yield Divergence(
                "unreadable-outputs",
                f"job {job_id}",
                f"its stored outputs cannot be read to check its votes against ({err})",
            )
            continue
        for row in (r for r in rows if r.job_id == job_id):
            where = f"job {job_id}"
            who = f"the {row.decision} vote for {row.reviewer} by {row.voted_by}"
            if (f"review.{row.decision}", _signature_of(row.signed)) not in signed_events:
                yield Divergence(
                    "unsigned-event",
                    where,
                    f"{who} has no signed event in the audit log: it was written around the "
                    "service",
                )
            try:
                verified_decision(
                    session,
                    contract,
                    row.signed,
                    subject,
                    seat=row.reviewer,
                    decision=row.decision,
                    person=row.voted_by,
                    submitter=rec.submitter,
                )
            except DecisionSignatureInvalid as err:
                yield Divergence("bad-signature", where, f"{who} does not count: {err}")


def _code_approvals(
    session: Session,
    room: Sealroom,
    contracts: dict[tuple[str, int], tuple[Contract, str]],
    signed_events: set[tuple[str, str]],
) -> Iterator[Divergence]:
    for row in session.scalars(select(CodeApprovalRecord).order_by(CodeApprovalRecord.id)):
        where = f"contract {row.contract_id}"
        who = f"the approval of code {row.code_hash[:23]}… for {row.reviewer}"
        if ("code.approve", _signature_of(row.signed)) not in signed_events:
            yield Divergence(
                "unsigned-event",
                where,
                f"{who} has no signed event in the audit log: it was written around the service",
            )
        try:
            if row.signed is None:
                raise DecisionSignatureInvalid("it carries no signature")
            claimed = SignedDecision.from_json(row.signed)
            version = claimed.subject.contract_version
            if (row.contract_id, version) not in contracts:
                raise DecisionSignatureInvalid(f"it names v{version}, which the store lacks")
            contract, digest = contracts[(row.contract_id, version)]
            code = CodeIdentity(
                row.code_hash, claimed.subject.code.interpreter, claimed.subject.code.entry
            )
            verified_decision(
                session,
                contract,
                row.signed,
                code_subject(contract, digest, code),
                seat=row.reviewer,
                decision="approve",
                person=claimed.decider.person,
                submitter=None,
            )
        except DecisionSignatureInvalid as err:
            yield Divergence("bad-signature", where, f"{who} does not count: {err}")


def _pinned_keys(
    session: Session, contracts: dict[tuple[str, int], tuple[Contract, str]]
) -> Iterator[Divergence]:
    latest: dict[str, Contract] = {}
    for (contract_id, _version), (contract, _) in sorted(contracts.items()):
        latest[contract_id] = contract
    for contract in latest.values():
        for party in contract.parties:
            rec = session.get(PartyRecord, party.name)
            if rec is None:
                continue
            pinned = {
                "signing": party.public_key,
                "sealing": party.sealing_key,
            }
            registered = {
                "signing": base64.b64encode(rec.ed25519_public).decode("ascii"),
                "sealing": base64.b64encode(rec.x25519_public).decode("ascii"),
            }
            for use in ("signing", "sealing"):
                if pinned[use] is not None and pinned[use] != registered[use]:
                    yield Divergence(
                        "unpinned-key",
                        f"party {party.name}",
                        f"its registered {use} key is not the one {contract.ref} pins: "
                        "nothing is sealed to or verified with it; if the party rotated its "
                        "key, propose a new contract version that pins it",
                    )
