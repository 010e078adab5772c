"""The export ledger: every release, and the annual data-export report built from it.

Rows are written by the release itself (``reviews``); this module only reads them.
Export logs are kept at least three years (the 2024 rules), so nothing here deletes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from jobs import CountryLine, annual_report
from sealroom.service.context import Sealroom
from sealroom.service.release import ledger_event
from sealroom.store.job_records import ExportLedgerRecord


@dataclass(frozen=True)
class LedgerRow:
    released_at: datetime
    job_id: str
    contract_id: str
    processor: str
    recipient: str
    recipient_country: str
    purpose: str
    data_categories: tuple[str, ...]
    individuals: int
    legal_basis: str
    required_path: str
    path_reason: str
    warnings: tuple[str, ...]


def ledger_rows(room: Sealroom) -> list[LedgerRow]:
    with room.sessions() as session:
        return [
            LedgerRow(
                r.released_at,
                r.job_id,
                r.contract_id,
                r.processor,
                r.recipient,
                r.recipient_country,
                r.purpose,
                tuple(r.data_categories),
                r.individuals,
                r.legal_basis,
                r.required_path,
                r.path_reason,
                tuple(r.warnings),
            )
            for r in session.scalars(select(ExportLedgerRecord).order_by(ExportLedgerRecord.id))
        ]


def export_report(room: Sealroom, year: int) -> tuple[CountryLine, ...]:
    """The figures of the annual data-export report (数据出境安全报告) for ``year``."""
    with room.sessions() as session:
        events = [ledger_event(r) for r in session.scalars(select(ExportLedgerRecord))]
    return annual_report(events, year)
