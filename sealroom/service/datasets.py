"""Registering a dataset: classify it, encrypt it under a fresh data key, store it.

Registration either completes or leaves nothing behind: the encrypted blob is
written under a temporary name, the wrapped data key and the dataset rows are
committed in one transaction, and any failure before the commit removes the
blob. Nothing of the data is ever written in clear.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kms import (
    Algorithm,
    DataKey,
    DecryptingReader,
    EncryptingWriter,
    StreamSummary,
    WrappedDataKey,
    create_data_key,
)
from sealroom.audit.events import JsonValue
from sealroom.datasets import TableLimits, TableProfile, inspect_table, text_encoding_named
from sealroom.datasets.classify import ColumnClassification, apply_overrides, classify_table
from sealroom.datasets.tabular import iter_record_batches
from sealroom.errors import (
    DatasetIntegrityError,
    DatasetTooLarge,
    NotFound,
    PermissionDenied,
)
from sealroom.service.actors import Actor
from sealroom.service.blobs import load_data_key
from sealroom.service.context import Sealroom
from sealroom.service.names import file_stem_for, validate_name
from sealroom.service.recording import record
from sealroom.store.database import transaction
from sealroom.store.models import (
    DataKeyRecord,
    DatasetRecord,
    DatasetVersionRecord,
    PartyRecord,
)

PARTIAL_MARK = ".partial-"


@dataclass(frozen=True)
class ColumnView:
    name: str
    physical_type: str
    level: str
    detector: str | None
    confidence: float
    decided_by: str


@dataclass(frozen=True)
class DatasetView:
    """What anyone may see of a dataset: its shape and handling, never its values."""

    name: str
    owner: str
    version: int
    source_name: str
    source_format: str
    source_encoding: str | None
    source_bytes: int
    stored_bytes: int
    row_count: int
    columns: tuple[ColumnView, ...]
    content_sha256: str
    data_key_id: str
    algorithm: str
    master_key_id: str
    registered_by: str

    @property
    def label(self) -> str:
        return f"{self.name} v{self.version}"


def _key_context(name: str, version: int) -> bytes:
    return f"sealroom/dataset/{name}/v{version}".encode()


def register_dataset(
    room: Sealroom,
    actor: Actor,
    source: Path,
    *,
    owner: str,
    name: str | None = None,
    classify: Mapping[str, str] | None = None,
    algorithm: Algorithm | None = None,
    encoding: str | None = None,
) -> DatasetView:
    """Registers FILE (Parquet or CSV) as the next version of dataset NAME.

    ``encoding`` names a CSV's text encoding (utf-8, gbk, gb18030); without it the
    file is read as UTF-8 (with or without a byte-order mark), else as GB18030.
    """
    text_encoding = None if encoding is None else text_encoding_named(encoding)
    name = name or source.stem.lower().replace("_", "-")
    validate_name("dataset", name)
    with room.sessions() as session:
        _check_may_register(session, actor, owner)
        version = _next_version(session, name, owner)

    limits = TableLimits(
        max_bytes=room.settings.limits.max_dataset_bytes,
        max_rows=room.settings.limits.max_dataset_rows,
    )
    profile = inspect_table(source, limits, text_encoding)
    columns = apply_overrides(classify_table(profile), dict(classify or {}))
    algorithm = algorithm or room.settings.default_algorithm
    context = _key_context(name, version)
    data_key = create_data_key(room.keyring(), algorithm, context)

    blob_dir = room.settings.blob_dir
    blob_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    sweep_abandoned_uploads(room)
    blob_name = f"{file_stem_for(name)}-v{version}-{uuid.uuid4().hex[:12]}.sealed"
    partial = blob_dir / f"{blob_name}{PARTIAL_MARK}{os.getpid()}"
    try:
        stored, rows = _write_encrypted_parquet(
            source, profile, partial, data_key, f"{name} v{version}", limits.max_rows
        )
        with transaction(room.sessions) as session:
            # Checked again inside the transaction: another registration may have won.
            if _next_version(session, name, owner) != version:
                raise PermissionDenied(
                    f"dataset {name} changed while this upload ran: register it again"
                )
            view = _insert_version(
                session,
                room,
                actor,
                name=name,
                owner=owner,
                version=version,
                source=source,
                profile_format=profile.format,
                encoding=profile.encoding,
                source_bytes=profile.size_bytes,
                stored_bytes=stored.plaintext_bytes,
                rows=rows,
                columns=columns,
                physical_types=dict(profile.schema),
                content_sha256=stored.plaintext_sha256,
                blob_name=blob_name,
                wrapped=data_key.wrapped,
                context=context,
            )
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    # The blob was complete and synced before the commit; a crash before this rename
    # is rolled forward by the next sweep, which finds the committed row.
    _publish(partial, blob_dir / blob_name)
    return view


def _publish(partial: Path, final: Path) -> None:
    partial.replace(final)
    dir_fd = os.open(final.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep_abandoned_uploads(room: Sealroom) -> list[str]:
    """Finishes or removes uploads whose process died (killed mid-upload, power loss).

    A partial blob whose row was committed is published (rolled forward); one
    without a row never became a dataset and is deleted. Uploads of live
    processes are left alone.
    """
    blob_dir = room.settings.blob_dir
    if not blob_dir.exists():
        return []
    swept = []
    for partial in blob_dir.glob(f"*{PARTIAL_MARK}*"):
        blob_name, _, pid_text = partial.name.rpartition(PARTIAL_MARK)
        if not pid_text.isdigit() or _process_alive(int(pid_text)):
            continue
        with transaction(room.sessions) as session:
            committed = session.scalar(
                select(DatasetVersionRecord.id).where(DatasetVersionRecord.blob_name == blob_name)
            )
            outcome = "published" if committed is not None else "deleted"
            record(
                session,
                at=room.clock(),
                actor="sealroom",
                role="service",
                action="dataset.upload_recovered",
                subject={"blob": blob_name},
                detail={"outcome": outcome, "process": int(pid_text)},
            )
            if committed is not None:
                _publish(partial, blob_dir / blob_name)
            else:
                partial.unlink(missing_ok=True)
        swept.append(partial.name)
    return swept


def _check_may_register(session: Session, actor: Actor, owner: str) -> None:
    owner_rec = session.get(PartyRecord, owner)
    if owner_rec is None or owner_rec.kind != "organisation":
        raise NotFound(
            "organisation",
            owner,
            "register the owner with `sealroom party add NAME --kind organisation`",
        )
    if not actor.is_admin and not actor.speaks_for(owner):
        raise PermissionDenied(
            f"{actor.name} does not act for {owner} and may not register its data: "
            f"act as {owner} or one of its people"
        )


def _next_version(session: Session, name: str, owner: str) -> int:
    existing = session.get(DatasetRecord, name)
    if existing is not None and existing.owner != owner:
        raise PermissionDenied(
            f"dataset {name} belongs to {existing.owner}: choose another name with --name"
        )
    latest = session.scalar(
        select(func.max(DatasetVersionRecord.version)).where(
            DatasetVersionRecord.dataset_name == name
        )
    )
    return int(latest or 0) + 1


def _write_encrypted_parquet(
    source: Path,
    profile: TableProfile,
    partial: Path,
    data_key: DataKey,
    label: str,
    max_rows: int,
) -> tuple[StreamSummary, int]:
    """Streams the table as canonical Parquet through the encryptor into ``partial``."""
    rows = 0
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as blob:
        encryptor = EncryptingWriter(blob, data_key, label)
        writer: pq.ParquetWriter | None = None
        for batch in iter_record_batches(source, profile):
            rows += batch.num_rows
            if rows > max_rows:
                raise DatasetTooLarge(
                    f"{source.name} has more than {max_rows:,} rows, the configured limit: "
                    "split it, or raise SEALROOM_MAX_DATASET_ROWS"
                )
            if writer is None:
                writer = pq.ParquetWriter(encryptor, batch.schema, compression="zstd")
            writer.write_batch(batch)
        if writer is None:
            writer = pq.ParquetWriter(encryptor, pa.schema([]), compression="zstd")
        writer.close()
        encryptor.close()  # seals the last chunk (a no-op if the Parquet writer closed it)
        blob.flush()
        os.fsync(blob.fileno())
    return encryptor.summary, rows


def _insert_version(
    session: Session,
    room: Sealroom,
    actor: Actor,
    *,
    name: str,
    owner: str,
    version: int,
    source: Path,
    profile_format: str,
    encoding: str | None,
    source_bytes: int,
    stored_bytes: int,
    rows: int,
    columns: list[ColumnClassification],
    physical_types: dict[str, str],
    content_sha256: str,
    blob_name: str,
    wrapped: WrappedDataKey,
    context: bytes,
) -> DatasetView:
    now = room.clock()
    if session.get(DatasetRecord, name) is None:
        session.add(DatasetRecord(name=name, owner=owner, created_at=now))
    session.add(
        DataKeyRecord(
            key_id=wrapped.key_id,
            master_key_id=wrapped.master_key_id,
            algorithm=wrapped.algorithm,
            wrapped=wrapped.wrapped,
            context=context.decode(),
            created_at=now,
        )
    )
    version_rec = DatasetVersionRecord(
        dataset_name=name,
        version=version,
        source_name=source.name,
        source_format=profile_format,
        source_encoding=encoding,
        source_bytes=source_bytes,
        stored_bytes=stored_bytes,
        row_count=rows,
        columns=[_column_json(c, physical_types.get(c.column, "")) for c in columns],
        content_sha256=content_sha256,
        blob_name=blob_name,
        data_key_id=wrapped.key_id,
        registered_by=actor.name,
        created_at=now,
    )
    session.add(version_rec)
    session.flush()
    overridden: list[JsonValue] = [
        c.column for c in sorted(columns, key=lambda c: c.column) if c.decided_by == "owner"
    ]
    record(
        session,
        at=room.clock(),
        actor=actor.name,
        role=actor.role,
        action="dataset.register",
        subject={"dataset": name, "version": str(version)},
        detail={
            "owner": owner,
            "rows": rows,
            "content_sha256": content_sha256,
            "data_key": wrapped.key_id,
            "algorithm": wrapped.algorithm,
            "classification": {c.column: str(c.level) for c in columns},
            "overridden": overridden,
        },
    )
    return _view(version_rec, owner, wrapped.algorithm, wrapped.master_key_id)


def _column_json(c: ColumnClassification, physical_type: str) -> dict[str, Any]:
    return {
        "name": c.column,
        "physical_type": physical_type,
        "level": str(c.level),
        "detected_level": str(c.detected_level),
        "detector": str(c.detector) if c.detector else None,
        "confidence": round(c.confidence, 3),
        "decided_by": str(c.decided_by),
    }


def _view(rec: DatasetVersionRecord, owner: str, algorithm: str, master: str) -> DatasetView:
    return DatasetView(
        name=rec.dataset_name,
        owner=owner,
        version=rec.version,
        source_name=rec.source_name,
        source_format=rec.source_format,
        source_encoding=rec.source_encoding,
        source_bytes=rec.source_bytes,
        stored_bytes=rec.stored_bytes,
        row_count=rec.row_count,
        columns=tuple(
            ColumnView(
                name=c["name"],
                physical_type=c["physical_type"],
                level=c["level"],
                detector=c.get("detector"),
                confidence=float(c.get("confidence", 0.0)),
                decided_by=c["decided_by"],
            )
            for c in rec.columns
        ),
        content_sha256=rec.content_sha256,
        data_key_id=rec.data_key_id,
        algorithm=algorithm,
        master_key_id=master,
        registered_by=rec.registered_by,
    )


def _load_version(
    session: Session, name: str, version: int | None
) -> tuple[DatasetVersionRecord, DataKeyRecord, str]:
    dataset = session.get(DatasetRecord, name)
    if dataset is None or not dataset.versions:
        raise NotFound("dataset", name, "list the datasets with `sealroom dataset list`")
    if version is None:
        rec = dataset.versions[-1]
    else:
        matches = [v for v in dataset.versions if v.version == version]
        if not matches:
            raise NotFound("dataset version", f"{name} v{version}")
        rec = matches[0]
    key = session.get(DataKeyRecord, rec.data_key_id)
    assert key is not None, "a dataset version always references its data key"
    return rec, key, dataset.owner


def list_datasets(room: Sealroom) -> list[DatasetView]:
    with room.sessions() as session:
        names = session.scalars(select(DatasetRecord.name).order_by(DatasetRecord.name)).all()
        views = []
        for name in names:
            rec, key, owner = _load_version(session, name, None)
            views.append(_view(rec, owner, key.algorithm, key.master_key_id))
        return views


def show_dataset(room: Sealroom, name: str, version: int | None = None) -> DatasetView:
    with room.sessions() as session:
        rec, key, owner = _load_version(session, name, version)
        return _view(rec, owner, key.algorithm, key.master_key_id)


def open_dataset_reader(
    room: Sealroom, view: DatasetView, *, key: DataKey | None = None
) -> tuple[DecryptingReader, BinaryIO]:
    """A streaming reader of the plaintext canonical Parquet (callers close both).

    ``key`` is the dataset's data key as a contract's grant opened it; without it the
    master-wrapped key is used (the owner's own checks, not a contract's runs).
    """
    with room.sessions() as session:
        data_key = key or load_data_key(session, room, view.data_key_id)
        rec, _, _ = _load_version(session, view.name, view.version)
    blob = (room.settings.blob_dir / rec.blob_name).open("rb")
    return DecryptingReader(blob, data_key, view.label), blob


def verify_dataset(room: Sealroom, name: str, version: int | None = None) -> DatasetView:
    """Decrypts the stored blob end to end and checks it is exactly what was registered."""
    view = show_dataset(room, name, version)
    reader, blob = open_dataset_reader(room, view)
    digest, size = hashlib.sha256(), 0
    try:
        while chunk := reader.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    finally:
        blob.close()
    if digest.hexdigest() != view.content_sha256 or size != view.stored_bytes:
        raise DatasetIntegrityError(
            f"dataset {view.label} decrypts, but not to the content that was registered: "
            "restore it from a backup"
        )
    return view
