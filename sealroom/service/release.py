"""Release: what a full review quorum sets off for a job's checked outputs.

One copy sealed to each recipient's key, the platform-signed receipt that
names the code, inputs, outputs and approvals, and the export-ledger rows the
cross-border rules count, all stored in the transaction that records the
deciding vote, before the job reads ``released``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from contracts import Contract, JobKind, LegalBasis, OutputClass, PsiRevealMode
from jobs import (
    ApprovalRecord,
    ExportEvent,
    InputVersion,
    JobEvent,
    Receipt,
    ResultBundle,
    Review,
    assess_release,
    export_events_for_release,
    output_class_for,
    output_digests,
    output_lineage,
    release_recipients,
    seal_result,
    sign_receipt,
)
from sealroom.service.blobs import sha256, write_plain_blob
from sealroom.service.code_approvals import check_job_code, code_approvals_for
from sealroom.service.context import Sealroom
from sealroom.service.contract_state import require_job_contract_in_force
from sealroom.service.contracts import show_contract
from sealroom.service.datasets import show_dataset
from sealroom.service.decisions import signed_approvals
from sealroom.service.job_records import read_outputs, transition
from sealroom.service.leakage import check_release, record_release
from sealroom.service.pinned_keys import pinned_recipient_keys
from sealroom.service.service_keys import load_service_key
from sealroom.service.setup import PLATFORM
from sealroom.store.job_records import ExportLedgerRecord, JobRecord, ReleaseRecord


def release_result(
    session: Session, room: Sealroom, rec: JobRecord, contract: Contract, review: Review
) -> None:
    """Releases the job's checked outputs, in the transaction of the deciding vote.

    One sealed copy per recipient, the signed receipt and the export-ledger rows
    (with their threshold warnings) are stored, then the job reads ``released``.
    """
    require_job_contract_in_force(room, rec, doing=f"release {rec.job_id}")
    # The store's rows are not trusted: the code is re-hashed against its signed approval
    # and every approval's signature is checked again before anything is sealed.
    check_job_code(session, room, rec, contract)
    decisions = signed_approvals(
        session, room, rec, contract, tuple(v.reviewer for v in review.approvals)
    )
    files = read_outputs(room, rec.job_id, releasable_only=True)
    leakage = check_release(session, rec, contract, files)  # refuses differencing, overspending
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
        code_interpreter=rec.interpreter,
        code_entry=rec.code_name,
        code_approvals=code_approvals_for(session, room, rec, contract),
        image_digest=str(image),
        inputs=inputs,
        outputs=output_digests(files),
        approvals=tuple(
            ApprovalRecord(v.reviewer, v.at, d)
            for v, d in zip(review.approvals, decisions, strict=True)
        ),
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
    public = {name: pinned_recipient_keys(contract, name) for name in recipients}
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
    record_release(session, leakage, receipt.released_at)
    # What the released files come from is what the signed output schemas they matched
    # name as their sources, never what the job says of them.
    lineage = output_lineage(contract, files)
    individuals = sum(
        show_dataset(room, d.name).row_count
        for d in contract.datasets
        if d.name in lineage.datasets
    )
    history = [ledger_event(r) for r in session.scalars(select(ExportLedgerRecord))]
    warnings: list[str] = []
    events = export_events_for_release(contract, receipt, individuals=individuals, lineage=lineage)
    for event in events:
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
