from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from kms import BackupInvalid
from sealroom.errors import PermissionDenied
from sealroom.service.actors import Actor
from sealroom.service.context import Sealroom
from sealroom.service.datasets import register_dataset, verify_dataset
from sealroom.service.keys import backup_keys, restore_keys, rotate_master_key
from sealroom.service.service_keys import load_service_key
from sealroom.store.models import DataKeyRecord
from tests.fixtures.tables import write_parquet

from .conftest import ADMIN, PASSPHRASE

pytestmark = pytest.mark.integration
OWNER = Actor("acme-cn", False, None)


def blob_bytes(room: Sealroom) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in room.settings.blob_dir.glob("*.sealed")}


def test_rotation_rewraps_every_data_key_without_touching_the_data(
    room: Sealroom, tmp_path: Path
) -> None:
    register_dataset(room, OWNER, write_parquet(tmp_path / "aa.parquet"), owner="acme-cn")
    register_dataset(
        room, OWNER, write_parquet(tmp_path / "bb.parquet"), owner="acme-cn", algorithm="sm4-gcm"
    )
    before = blob_bytes(room)
    report = rotate_master_key(room, ADMIN)
    assert report.rewrapped == 2
    assert report.new_master_key_id not in report.old_master_key_ids
    with room.sessions() as session:
        masters = set(session.scalars(select(DataKeyRecord.master_key_id)))
        assert masters == {report.new_master_key_id}
        load_service_key(session, room, "platform")  # the service key moved too
    assert blob_bytes(room) == before
    # Reopen from disk: the retired key is gone from the keyring, the data still opens.
    reopened = Sealroom.open(room.settings, lambda: PASSPHRASE)
    assert reopened.keyring().key_ids() == [report.new_master_key_id]
    verify_dataset(reopened, "aa")
    verify_dataset(reopened, "bb")
    reopened.close()


def test_only_the_administrator_rotates(room: Sealroom) -> None:
    with pytest.raises(PermissionDenied):
        rotate_master_key(room, OWNER)


def test_backup_and_restore_bring_back_a_lost_wrapped_key(room: Sealroom, tmp_path: Path) -> None:
    register_dataset(room, OWNER, write_parquet(tmp_path / "cc.parquet"), owner="acme-cn")
    backup = tmp_path / "keys.backup"
    assert backup_keys(room, ADMIN, backup) == 1
    with room.sessions() as session, session.begin():
        rec = session.scalars(select(DataKeyRecord)).one()
        good = rec.wrapped
        rec.wrapped = b"\x00" * len(good)  # a damaged key store
    with pytest.raises(Exception, match=r"cc v1|unwrap|open"):
        verify_dataset(room, "cc")
    assert restore_keys(room, ADMIN, backup) == 1
    verify_dataset(room, "cc")


def test_a_tampered_backup_is_refused(room: Sealroom, tmp_path: Path) -> None:
    register_dataset(room, OWNER, write_parquet(tmp_path / "dd.parquet"), owner="acme-cn")
    backup = tmp_path / "keys.backup"
    backup_keys(room, ADMIN, backup)
    data = bytearray(backup.read_bytes())
    data[len(data) // 2] ^= 0x01
    backup.write_bytes(bytes(data))
    with pytest.raises(BackupInvalid):
        restore_keys(room, ADMIN, backup)
