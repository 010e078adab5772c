"""Master-key rotation and backup/restore of the wrapped key store."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from kms import is_kek_id, read_backup, rewrap_data_key, write_backup
from sealroom.service.actors import Actor, require_admin
from sealroom.service.blobs import wrapped_key
from sealroom.service.context import Sealroom
from sealroom.service.recording import record
from sealroom.service.service_keys import rewrap_service_keys
from sealroom.store.database import transaction
from sealroom.store.models import DataKeyRecord


@dataclass(frozen=True)
class RotationReport:
    old_master_key_ids: tuple[str, ...]
    new_master_key_id: str
    rewrapped: int
    retired: tuple[str, ...]


def rotate_master_key(room: Sealroom, actor: Actor, *, retire_old: bool = True) -> RotationReport:
    """A new master key; every data key re-wrapped under it; the data files untouched.

    The re-wrap commits in one transaction. Old master keys are retired only after
    that commit, so a failure at any point leaves every data key openable.
    """
    require_admin(actor, "rotate the master key")
    keyring = room.keyring()
    old_ids = tuple(keyring.key_ids())
    new_key = keyring.rotate()
    with transaction(room.sessions) as session:
        rows = session.scalars(select(DataKeyRecord)).all()
        for rec in rows:
            fresh = rewrap_data_key(keyring, wrapped_key(rec), rec.context.encode())
            rec.master_key_id = fresh.master_key_id
            rec.wrapped = fresh.wrapped
            rec.rewrapped_at = room.clock()
        service_keys = rewrap_service_keys(session, room)
        record(
            session,
            at=room.clock(),
            actor=actor.name,
            role=actor.role,
            action="keys.rotate",
            subject={"master_key": new_key.key_id},
            detail={
                "previous": list(old_ids),
                "rewrapped": len(rows),
                "service_keys": service_keys,
            },
        )
    retired: tuple[str, ...] = ()
    if retire_old:
        for key_id in old_ids:
            keyring.retire(key_id)
        retired = old_ids
    return RotationReport(old_ids, new_key.key_id, len(rows), retired)


def backup_keys(room: Sealroom, actor: Actor, path: Path) -> int:
    require_admin(actor, "back up the key store")
    with transaction(room.sessions) as session:
        rows = session.scalars(select(DataKeyRecord).order_by(DataKeyRecord.key_id)).all()
        # Keys under a contract's KEK are not the backup's: the KEK lives in the keyring,
        # and once it is destroyed (revocation) nothing may bring what it wrapped back.
        master_wrapped = [wrapped_key(r) for r in rows if not is_kek_id(r.master_key_id)]
        write_backup(path, room.keyring(), master_wrapped)
        record(
            session,
            at=room.clock(),
            actor=actor.name,
            role=actor.role,
            action="keys.backup",
            subject={"file": path.name},
            detail={"data_keys": len(rows)},
        )
    return len(rows)


def restore_keys(room: Sealroom, actor: Actor, path: Path) -> int:
    """Puts the wrapped data keys of a backup back; every one is checked to open first."""
    require_admin(actor, "restore the key store")
    restored = 0
    keys = read_backup(path, room.keyring())
    with transaction(room.sessions) as session:
        for key in keys:
            rec = session.get(DataKeyRecord, key.key_id)
            if rec is None:
                continue  # a key this store never had: no dataset refers to it
            rec.master_key_id = key.master_key_id
            rec.wrapped = key.wrapped
            restored += 1
        record(
            session,
            at=room.clock(),
            actor=actor.name,
            role=actor.role,
            action="keys.restore",
            subject={"file": path.name},
            detail={"data_keys": restored, "in_backup": len(keys)},
        )
    return restored
