"""Which code a contract's reviewers approved: signed approvals of hash, interpreter and entry.

An approval counts only while its signature verifies over the contract version
it was given under and the code exactly as it runs: the same bytes submitted
under another name or interpreter (``analysis.sh`` for an approved
``analysis.py``) are not approved, and a row written around the service never
counts. The check runs at admission, before the sandbox starts and at release.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from contracts import Contract, OutputClass, who_must_review
from jobs import (
    CodeChanged,
    CodeIdentity,
    CodeNotApproved,
    DecisionSignatureInvalid,
    SignedDecision,
    code_hash,
)
from sealroom.service.context import Sealroom
from sealroom.service.contracts import show_contract
from sealroom.service.decisions import code_subject, verified_decision
from sealroom.store.job_records import CodeApprovalRecord, JobRecord


def verified_code_approvals(
    session: Session, room: Sealroom, contract: Contract, code: CodeIdentity
) -> list[tuple[CodeApprovalRecord, SignedDecision]]:
    """The approval rows of ``code`` whose signatures verify over it and ``contract``."""
    subject = code_subject(
        contract, show_contract(room, contract.id, contract.version).contract_hash, code
    )
    rows = session.scalars(
        select(CodeApprovalRecord)
        .where(
            CodeApprovalRecord.contract_id == contract.id,
            CodeApprovalRecord.code_hash == code.sha256,
        )
        .order_by(CodeApprovalRecord.id)
    )
    verified = []
    for row in rows:
        try:
            signed = verified_decision(
                session,
                contract,
                row.signed,
                subject,
                seat=row.reviewer,
                decision="approve",
                person=str((row.signed or {}).get("person", "")),
                submitter=None,
            )
        except DecisionSignatureInvalid:
            continue
        verified.append((row, signed))
    return verified


def approving_seats(
    session: Session, room: Sealroom, contract: Contract, code: CodeIdentity
) -> set[str]:
    """The quorum seats whose signed approval of ``code`` under ``contract`` verifies."""
    quorum = who_must_review(contract, OutputClass.TABLE, submitter="")
    return {
        row.reviewer
        for row, _ in verified_code_approvals(session, room, contract, code)
        if row.reviewer in quorum.reviewers
    }


def code_is_approved(
    session: Session, room: Sealroom, contract: Contract, code: CodeIdentity
) -> bool:
    quorum = who_must_review(contract, OutputClass.TABLE, submitter="")
    return len(approving_seats(session, room, contract, code)) >= quorum.required


def job_code(rec: JobRecord) -> CodeIdentity:
    return CodeIdentity(rec.code_hash, rec.interpreter, rec.code_name)


def check_job_code(session: Session, room: Sealroom, rec: JobRecord, contract: Contract) -> None:
    """Re-hash the stored code and, for a real run under code review, re-check its signed
    approval: swapped code or a forged approval row never runs and is never released."""
    check_code_unchanged_here(rec)
    reviewed = rec.mode == "real" and rec.kind == "script" and contract.review.code_review_required
    if reviewed and not code_is_approved(session, room, contract, job_code(rec)):
        raise CodeNotApproved(contract.ref, rec.code_hash)


def code_refusal(
    session: Session, room: Sealroom, rec: JobRecord, contract: Contract
) -> str | None:
    """Why the job's stored code may not run now (``None``: it may), for the worker,
    which fails the job with this reason instead of running it."""
    try:
        check_job_code(session, room, rec, contract)
    except (CodeChanged, CodeNotApproved) as refusal:
        return str(refusal)
    return None


def check_code_unchanged_here(rec: JobRecord) -> None:
    found = code_hash(rec.code)
    if found != rec.code_hash:
        raise CodeChanged(rec.job_id, rec.code_hash, found)


def code_approvals_for(
    session: Session, room: Sealroom, rec: JobRecord, contract: Contract
) -> tuple[SignedDecision, ...]:
    """The verified signed approvals of the job's code, for its receipt (none for jobs
    whose contract does not review code, or that are no scripts)."""
    if rec.kind != "script" or not contract.review.code_review_required:
        return ()
    return tuple(
        signed for _, signed in verified_code_approvals(session, room, contract, job_code(rec))
    )
