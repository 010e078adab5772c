"""Service views to wire models: the one place the API decides what leaves the server."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable
from datetime import datetime

from contracts import dump_contract_yaml
from kms import PartyPublicKeys
from sealroom.audit import LoggedEvent, timeline_json_lines
from sealroom.client.models import (
    AuditEventInfo,
    AuditExportInfo,
    ColumnInfo,
    ContractInfo,
    ContractPartyInfo,
    DatasetInfo,
    DecisionSignatureBody,
    JobInfo,
    JobLogs,
    LeakageEntryInfo,
    LeakageLedgerInfo,
    OutputInfo,
    OutputTableInfo,
    PartyInfo,
    PublicKeysInfo,
    ReviewInfo,
    SealedResultInfo,
    StepInfo,
    StreamCapture,
    TokenInfo,
    VoteInfo,
    WhoAmI,
)
from sealroom.service.actors import Actor
from sealroom.service.audit_log import AuditExport
from sealroom.service.contracts import ContractView
from sealroom.service.datasets import DatasetView
from sealroom.service.decisions import OfferedSignature
from sealroom.service.jobs import JobLogs as JobLogsView
from sealroom.service.jobs import JobView
from sealroom.service.leakage import LeakageLedger
from sealroom.service.parties import PartyView
from sealroom.service.results import SealedResult
from sealroom.service.reviews import ReviewView
from sealroom.service.tokens import TokenView


def public_keys_info(keys: PartyPublicKeys) -> PublicKeysInfo:
    return PublicKeysInfo(**keys.to_json())


def who_am_i(actor: Actor, *, token_id: str = "", scopes: Iterable[str] = ()) -> WhoAmI:
    """The acting party, with the token it acts by (none on the store's own machine)."""
    return WhoAmI(
        party=actor.name,
        organisation=actor.organisation,
        is_admin=actor.is_admin,
        token_id=token_id,
        scopes=sorted(scopes),
    )


def party_info(view: PartyView) -> PartyInfo:
    return PartyInfo(
        name=view.name,
        kind=view.kind,
        organisation=view.organisation,
        display_name=view.display_name,
        is_admin=view.is_admin,
        key_origin=view.key_origin,
        x25519_fingerprint=view.x25519_fingerprint,
        ed25519_fingerprint=view.ed25519_fingerprint,
        public_keys=public_keys_info(view.public_keys),
    )


def dataset_info(view: DatasetView) -> DatasetInfo:
    return DatasetInfo(
        name=view.name,
        owner=view.owner,
        version=view.version,
        source_name=view.source_name,
        source_format=view.source_format,
        source_encoding=view.source_encoding,
        source_bytes=view.source_bytes,
        stored_bytes=view.stored_bytes,
        row_count=view.row_count,
        columns=[
            ColumnInfo(
                name=c.name,
                physical_type=c.physical_type,
                level=c.level,
                detector=c.detector,
                confidence=c.confidence,
                decided_by=c.decided_by,
            )
            for c in view.columns
        ],
        content_sha256=view.content_sha256,
        data_key_id=view.data_key_id,
        algorithm=view.algorithm,
        registered_by=view.registered_by,
    )


def contract_info(view: ContractView) -> ContractInfo:
    """The contract with its document, as the parties download and sign it."""
    c = view.contract
    return ContractInfo(
        id=c.id,
        version=c.version,
        title=c.title,
        purpose=c.purpose,
        state=view.state.value,
        contract_hash=view.contract_hash,
        parties=[
            ContractPartyInfo(
                name=p.name, roles=[r.value for r in p.roles], public_key=p.public_key
            )
            for p in c.parties
        ],
        datasets=[d.name for d in c.datasets],
        job_kinds=[k.value for k in c.job_kinds.allowed()],
        steps=[
            StepInfo(
                party=s.party,
                role=s.role.value,
                action=s.action.value,
                signed_at=s.signed_at,
                signature=s.signature,
            )
            for s in view.steps
        ],
        proposed_by=view.proposed_by,
        proposed_at=view.proposed_at,
        document=dump_contract_yaml(c),
    )


def token_info(view: TokenView, now: datetime) -> TokenInfo:
    return TokenInfo(
        token_id=view.token_id,
        party=view.party,
        scopes=list(view.scopes),
        label=view.label,
        created_at=view.created_at,
        expires_at=view.expires_at,
        revoked_at=view.revoked_at,
        last_used_at=view.last_used_at,
        state=view.state(now),
    )


def job_info(view: JobView) -> JobInfo:
    return JobInfo(
        job_id=view.job_id,
        contract_id=view.contract_id,
        contract_version=view.contract_version,
        kind=view.kind,
        mode=view.mode,
        submitter=view.submitter,
        code_name=view.code_name,
        code_hash=view.code_hash,
        interpreter=view.interpreter,
        state=view.state.value,
        reason=view.reason,
        attempts=view.attempts,
        backend=view.backend,
        created_at=view.created_at,
        updated_at=view.updated_at,
        outputs=[
            OutputInfo(name=o.name, sha256=o.sha256, size=o.size, releasable=o.releasable)
            for o in view.outputs
        ],
        check_report=view.check_report,
        details_withheld=view.details_withheld,
    )


def files_b64(files: dict[str, bytes]) -> dict[str, str]:
    return {name: base64.b64encode(data).decode("ascii") for name, data in files.items()}


def review_info(view: ReviewView) -> ReviewInfo:
    return ReviewInfo(
        job=job_info(view.job),
        reviewers=list(view.reviewers),
        required=view.required,
        votes=[
            VoteInfo(reviewer=v.reviewer, decision=v.decision.value, at=v.at, reason=v.reason)
            for v in view.votes
        ],
        waiting_for=list(view.waiting_for),
        outputs=files_b64(view.outputs),
        check_report=view.check_report,
        code=view.code,
        code_diff=view.code_diff,
        tables=[
            OutputTableInfo(
                name=t.name,
                columns=list(t.columns),
                types=list(t.types),
                total_rows=t.total_rows,
                first_row=t.first_row,
                rows=[list(row) for row in t.rows],
                unreadable=t.unreadable,
            )
            for t in view.tables
        ],
        logs=logs_info(view.logs) if view.logs is not None else None,
    )


def logs_info(view: JobLogsView) -> JobLogs:
    return JobLogs(
        job_id=view.job_id,
        stdout=StreamCapture(text=view.stdout, truncated=view.stdout_truncated),
        stderr=StreamCapture(text=view.stderr, truncated=view.stderr_truncated),
    )


def sealed_result_info(sealed: SealedResult) -> SealedResultInfo:
    return SealedResultInfo(
        job_id=sealed.job_id,
        recipient=sealed.recipient,
        contract_id=sealed.contract_id,
        contract_version=sealed.contract_version,
        sealed=base64.b64encode(sealed.sealed).decode("ascii"),
        receipt=base64.b64encode(sealed.receipt).decode("ascii"),
    )


def audit_event_infos(events: Iterable[LoggedEvent]) -> list[AuditEventInfo]:
    """Events in the form of their JSON Lines export, which the API sends too."""
    return [AuditEventInfo(**json.loads(line)) for line in timeline_json_lines(events)]


def audit_export_info(written: AuditExport) -> AuditExportInfo:
    """The three files `sealroom audit export` writes, as text, with the head's size."""
    return AuditExportInfo(
        log=written.log.read_text("utf-8"),
        tree_head=written.head.read_text("utf-8"),
        platform_key=written.public_key.read_text("utf-8"),
        tree_size=written.head_value.tree_size,
    )


def leakage_ledger_info(ledger: LeakageLedger) -> LeakageLedgerInfo:
    return LeakageLedgerInfo(
        contract_id=ledger.contract_id,
        min_group_size=ledger.min_group_size,
        budget_epsilon=ledger.budget_epsilon,
        budget_delta=ledger.budget_delta,
        spent_epsilon=ledger.spent_epsilon,
        spent_delta=ledger.spent_delta,
        entries=[
            LeakageEntryInfo(
                release_id=e.release_id,
                contract_version=e.contract_version,
                released_at=e.released_at,
                entry=e.entry,
                file=e.file,
                key=[(c, v) for c, v in e.key],
                count=e.count,
                statistics=dict(e.statistics),
                noised=e.noised,
                epsilon=e.epsilon,
                delta=e.delta,
                detail=dict(e.detail),
            )
            for e in ledger.entries
        ],
    )


def offered_signature(body: DecisionSignatureBody | None) -> OfferedSignature | None:
    """The signature a client sent, as the service takes it."""
    if body is None:
        return None
    return OfferedSignature(body.seat, body.signed_at, body.signature)
