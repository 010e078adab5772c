"""Tables for jobs, their outputs, reviews, releases, the export ledger and debug samples.

A job's state is written before the effect it announces (queued before a worker
may take it, running before the sandbox starts, released only in the transaction
that stores the sealed results and the ledger rows), so a crash at any point
leaves a job that resumes or fails cleanly.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sealroom.store.base import Base, UtcDateTime


class JobRecord(Base):
    __tablename__ = "jobs"

    job_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    contract_id: Mapped[str] = mapped_column(String(64), index=True)
    contract_version: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    mode: Mapped[str] = mapped_column(String(8))
    submitter: Mapped[str] = mapped_column(ForeignKey("parties.name"))
    code_name: Mapped[str] = mapped_column(String(255))
    interpreter: Mapped[str] = mapped_column(String(8))
    code: Mapped[bytes] = mapped_column(LargeBinary)
    code_hash: Mapped[str] = mapped_column(String(80))
    state: Mapped[str] = mapped_column(String(32), index=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    backend: Mapped[str] = mapped_column(String(16), default="")
    run_record: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    check_report: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    # the data key that encrypts this job's stored outputs
    output_key_id: Mapped[str | None] = mapped_column(ForeignKey("data_keys.key_id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # The process running the job (a worker, or a server for PSI runs) and until when
    # its lease holds; recovered by another only after it expires (``service.leases``).
    lease_owner: Mapped[str | None] = mapped_column(String(96), nullable=True)
    lease_expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class JobOutputRecord(Base):
    """One output file of a run, stored encrypted; ``releasable`` after the checks."""

    __tablename__ = "job_outputs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.job_id"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    blob_name: Mapped[str] = mapped_column(String(128))
    releasable: Mapped[bool] = mapped_column(default=False)


class ReviewVoteRecord(Base):
    __tablename__ = "review_votes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.job_id"), index=True)
    reviewer: Mapped[str] = mapped_column(String(64))
    decision: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(Text, default="")
    voted_by: Mapped[str] = mapped_column(String(64))  # the person who cast it
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    # The decider's signature and what it signed (``jobs.SignedDecision.to_json``):
    # the row alone proves nothing, the signature is checked again at release.
    signed: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class CodeApprovalRecord(Base):
    """A reviewer's approval of code by hash, for contracts that require code review."""

    __tablename__ = "code_approvals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    contract_id: Mapped[str] = mapped_column(String(64), index=True)
    code_hash: Mapped[str] = mapped_column(String(80))
    reviewer: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    # The signed approval (``jobs.SignedDecision.to_json``): it binds the contract
    # version, the code's hash, interpreter and entry name, and the deciding key.
    signed: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class ReleaseRecord(Base):
    """A result sealed to one recipient, with the signed receipt."""

    __tablename__ = "releases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.job_id"), index=True)
    recipient: Mapped[str] = mapped_column(ForeignKey("parties.name"))
    blob_name: Mapped[str] = mapped_column(String(128))
    sealed_sha256: Mapped[str] = mapped_column(String(64))
    receipt: Mapped[bytes] = mapped_column(LargeBinary)
    released_at: Mapped[datetime] = mapped_column(UtcDateTime())
    downloaded_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class ExportLedgerRecord(Base):
    """One export: recipient, contract, purpose, categories, individuals, legal basis."""

    __tablename__ = "export_ledger"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    released_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    job_id: Mapped[str] = mapped_column(String(32))
    contract_id: Mapped[str] = mapped_column(String(64))
    contract_version: Mapped[int] = mapped_column(Integer)
    processor: Mapped[str] = mapped_column(String(64))
    recipient: Mapped[str] = mapped_column(String(64))
    recipient_country: Mapped[str] = mapped_column(String(8))
    purpose: Mapped[str] = mapped_column(Text)
    data_categories: Mapped[list[str]] = mapped_column(JSON)
    individuals: Mapped[int] = mapped_column(BigInteger)
    personal_individuals: Mapped[int] = mapped_column(BigInteger)
    sensitive_individuals: Mapped[int] = mapped_column(BigInteger)
    important_data: Mapped[bool] = mapped_column(default=False)
    legal_basis: Mapped[str] = mapped_column(String(64))
    required_path: Mapped[str] = mapped_column(String(64))
    path_reason: Mapped[str] = mapped_column(Text)
    warnings: Mapped[list[str]] = mapped_column(JSON)


class DebugSampleRecord(Base):
    """The masked sample of one dataset version under one contract version, encrypted."""

    __tablename__ = "debug_samples"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    dataset_name: Mapped[str] = mapped_column(ForeignKey("datasets.name"), index=True)
    dataset_version: Mapped[int] = mapped_column(Integer)
    contract_id: Mapped[str] = mapped_column(String(64))
    contract_version: Mapped[int] = mapped_column(Integer)
    rows: Mapped[int] = mapped_column(Integer)
    blob_name: Mapped[str] = mapped_column(String(128))
    data_key_id: Mapped[str] = mapped_column(ForeignKey("data_keys.key_id"))
    methods: Mapped[dict[str, str]] = mapped_column(JSON)
    notes: Mapped[list[str]] = mapped_column(JSON)
    drift: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
