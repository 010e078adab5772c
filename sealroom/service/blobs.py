"""Small encrypted blobs beside the database: job outputs, sealed results, debug samples.

Each blob is encrypted under a data key that is stored only wrapped, exactly as
datasets are; writes go to a temporary name and are renamed into place, so a
crash never leaves a half-written blob under a name the store refers to.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from pathlib import Path

from sqlalchemy.orm import Session

from kms import (
    Algorithm,
    DataKey,
    DecryptingReader,
    EncryptingWriter,
    MasterKey,
    WrappedDataKey,
    create_data_key,
    open_data_key,
)
from sealroom.service.context import Sealroom
from sealroom.store.models import DataKeyRecord


def new_data_key(
    session: Session,
    room: Sealroom,
    context: str,
    algorithm: Algorithm | None = None,
    *,
    under: MasterKey | None = None,
) -> DataKey:
    """A fresh data key, its wrapped form added to the caller's transaction.

    It is wrapped under the current master key, or under ``under`` (a contract's KEK).
    """
    key = create_data_key(
        room.keyring(), algorithm or room.settings.default_algorithm, context.encode(), under=under
    )
    session.add(
        DataKeyRecord(
            key_id=key.wrapped.key_id,
            master_key_id=key.wrapped.master_key_id,
            algorithm=key.wrapped.algorithm,
            wrapped=key.wrapped.wrapped,
            context=context,
            created_at=room.clock(),
        )
    )
    return key


def wrapped_key(rec: DataKeyRecord) -> WrappedDataKey:
    """A stored data key as the KMS takes it: wrapped, with the context it is bound to."""
    return WrappedDataKey(
        key_id=rec.key_id,
        master_key_id=rec.master_key_id,
        algorithm=rec.algorithm,  # type: ignore[arg-type]
        wrapped=rec.wrapped,
        context=rec.context.encode(),
    )


def load_data_key(session: Session, room: Sealroom, key_id: str) -> DataKey:
    rec = session.get(DataKeyRecord, key_id)
    assert rec is not None, f"data key {key_id} is referenced but missing"
    return open_data_key(room.keyring(), wrapped_key(rec), rec.context.encode())


def write_blob(room: Sealroom, key: DataKey, label: str, data: bytes, prefix: str) -> str:
    """Encrypts ``data`` into a new blob; returns its name."""
    blob_dir = room.settings.blob_dir
    blob_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    name = f"{prefix}-{uuid.uuid4().hex[:12]}.sealed"
    partial = blob_dir / f".{name}.tmp"
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        writer = EncryptingWriter(out, key, label)
        writer.write(data)
        writer.close()
        out.flush()
        os.fsync(out.fileno())
    partial.replace(blob_dir / name)
    return name


def write_plain_blob(room: Sealroom, data: bytes, prefix: str) -> str:
    """A blob that is already ciphertext (a result sealed to its recipient)."""
    blob_dir = room.settings.blob_dir
    blob_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    name = f"{prefix}-{uuid.uuid4().hex[:12]}.sealed"
    partial = blob_dir / f".{name}.tmp"
    partial.write_bytes(data)
    partial.replace(blob_dir / name)
    return name


def read_blob(room: Sealroom, key: DataKey, label: str, name: str) -> bytes:
    with (room.settings.blob_dir / name).open("rb") as src:
        return DecryptingReader(src, key, label).read()


def read_plain_blob(room: Sealroom, name: str) -> bytes:
    return (room.settings.blob_dir / name).read_bytes()


def decrypt_to_file(room: Sealroom, key: DataKey, label: str, name: str, out: Path) -> str:
    """Streams a blob's plaintext to ``out`` (mode 0600); returns its sha256."""
    digest = hashlib.sha256()
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with (room.settings.blob_dir / name).open("rb") as src, os.fdopen(fd, "wb") as dst:
        reader = DecryptingReader(src, key, label)
        while chunk := reader.read(1 << 20):
            digest.update(chunk)
            dst.write(chunk)
    return digest.hexdigest()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
