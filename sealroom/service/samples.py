"""Masked debug samples: made once per dataset version and contract version, stored encrypted.

The sample keeps the real data's schema, dtypes, null rates and category sets
but never an identifier or sensitive value in clear (``jobs.masked_sample``); a
schema-drift report tells the scientist where its shape differs from the real
data, never in values. The sample is listed with its dataset.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
from sqlalchemy import select
from sqlalchemy.orm import Session

from contracts import Contract
from sealroom.service.blobs import (
    decrypt_to_file,
    load_data_key,
    new_data_key,
    write_blob,
)
from sealroom.service.context import Sealroom
from sealroom.service.datasets import open_dataset_reader, show_dataset
from sealroom.service.recording import record
from sealroom.store.database import transaction
from sealroom.store.job_records import DebugSampleRecord


@dataclass(frozen=True)
class SampleView:
    dataset: str
    dataset_version: int
    contract_id: str
    contract_version: int
    rows: int
    methods: dict[str, str]
    notes: tuple[str, ...]
    drift: dict[str, Any]
    created_at: datetime


def _view(rec: DebugSampleRecord) -> SampleView:
    return SampleView(
        rec.dataset_name,
        rec.dataset_version,
        rec.contract_id,
        rec.contract_version,
        rec.rows,
        dict(rec.methods),
        tuple(rec.notes),
        dict(rec.drift),
        rec.created_at,
    )


def _find(
    session: Session, dataset: str, version: int, contract: Contract
) -> DebugSampleRecord | None:
    return session.scalars(
        select(DebugSampleRecord).where(
            DebugSampleRecord.dataset_name == dataset,
            DebugSampleRecord.dataset_version == version,
            DebugSampleRecord.contract_id == contract.id,
            DebugSampleRecord.contract_version == contract.version,
        )
    ).first()


def _label(rec: DebugSampleRecord) -> str:
    return f"debug sample of {rec.dataset_name} v{rec.dataset_version} for {rec.contract_id}"


def ensure_debug_sample(room: Sealroom, contract: Contract, dataset: str) -> SampleView:
    from jobs import masked_sample, schema_drift

    view = show_dataset(room, dataset)
    with room.sessions() as session:
        existing = _find(session, dataset, view.version, contract)
        if existing is not None:
            return _view(existing)
    reader, blob = open_dataset_reader(room, view)
    try:
        # Parquet needs a seekable file; samples are made from modest tables (see note).
        real = pq.read_table(io.BytesIO(reader.read()))
    finally:
        blob.close()
    sample = masked_sample(contract, dataset, real, seed=os.urandom(32))
    drift = schema_drift(dataset, real, sample.table)
    out = io.BytesIO()
    pq.write_table(sample.table, out)
    with transaction(room.sessions) as session:
        key = new_data_key(
            session, room, f"sealroom/debug-sample/{dataset}/v{view.version}/{contract.ref}"
        )
        session.flush()
        rec = DebugSampleRecord(
            dataset_name=dataset,
            dataset_version=view.version,
            contract_id=contract.id,
            contract_version=contract.version,
            rows=sample.table.num_rows,
            blob_name="",
            data_key_id=key.key_id,
            methods={column: str(method) for column, method in sample.methods.items()},
            notes=list(sample.notes),
            drift=drift.to_json(),
            created_at=room.clock(),
        )
        rec.blob_name = write_blob(room, key, _label(rec), out.getvalue(), f"sample-{dataset}")
        session.add(rec)
        record(
            session,
            at=room.clock(),
            actor="sealroom",
            role="service",
            action="dataset.debug_sample",
            subject={"dataset": dataset},
            contract=contract.id,
            detail={
                "dataset_version": view.version,
                "rows": rec.rows,
                "methods": dict(rec.methods),
            },
        )
        return _view(rec)


def debug_sample_file(room: Sealroom, contract: Contract, dataset: str, target: Path) -> SampleView:
    """Writes the (cached) masked sample of ``dataset`` to ``target`` for one debug run."""
    sample = ensure_debug_sample(room, contract, dataset)
    view = show_dataset(room, dataset)
    with room.sessions() as session:
        rec = _find(session, dataset, view.version, contract)
        assert rec is not None
        key = load_data_key(session, room, rec.data_key_id)
        decrypt_to_file(room, key, _label(rec), rec.blob_name, target)
    return sample


def list_debug_samples(room: Sealroom, dataset: str) -> list[SampleView]:
    with room.sessions() as session:
        return [
            _view(r)
            for r in session.scalars(
                select(DebugSampleRecord)
                .where(DebugSampleRecord.dataset_name == dataset)
                .order_by(DebugSampleRecord.created_at)
            )
        ]
