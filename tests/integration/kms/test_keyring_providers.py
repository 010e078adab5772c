"""The keyring contract, run against every provider (passphrase file and SoftHSM2 token).

The story: data is encrypted under data keys wrapped by master key A; the operator
rotates to B, re-wraps every data key, retires A; the data still decrypts to the
same bytes, and the data files were never touched.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
from pathlib import Path

import pytest

from kms import (
    BackupInvalid,
    CurrentMasterKeyRetire,
    KeyUnwrapFailed,
    MasterKey,
    UnknownMasterKey,
    WrappedDataKey,
    create_data_key,
    decrypt_stream,
    encrypt_stream,
    open_data_key,
    read_backup,
    rewrap_data_key,
    write_backup,
)
from tests.integration.kms.conftest import KeyringUnderTest

pytestmark = pytest.mark.integration


def test_a_new_keyring_has_one_current_master_key(provider: KeyringUnderTest) -> None:
    keyring = provider.open()
    assert keyring.provider == provider.provider
    current = keyring.current()
    assert isinstance(current, MasterKey)
    assert current.key_id.startswith("mk-") and keyring.key_ids() == [current.key_id]
    described = keyring.describe()
    assert described["provider"] == provider.provider
    assert described["current_key_id"] == current.key_id
    assert {"where", "algorithm"} <= set(described)


def test_wrap_binds_the_context_and_detects_tampering(provider: KeyringUnderTest) -> None:
    master = provider.open().current()
    secret = os.urandom(32)
    wrapped = master.wrap(secret, b"dataset:customers@1")
    assert secret not in wrapped
    assert master.unwrap(wrapped, b"dataset:customers@1") == secret
    with pytest.raises(KeyUnwrapFailed):
        master.unwrap(wrapped, b"dataset:customers@2")
    tampered = bytearray(wrapped)
    tampered[-1] ^= 0x01
    with pytest.raises(KeyUnwrapFailed):
        master.unwrap(bytes(tampered), b"dataset:customers@1")
    with pytest.raises(KeyUnwrapFailed):
        master.unwrap(wrapped[:10], b"dataset:customers@1")


def test_keys_persist_when_the_keyring_is_opened_again(provider: KeyringUnderTest) -> None:
    first = provider.open()
    first.rotate()
    key = create_data_key(first, "aes-256-gcm", b"ctx")
    again = provider.open()
    assert again.key_ids() == first.key_ids()
    assert open_data_key(again, key.wrapped, b"ctx")._material == key._material


def test_unknown_master_key_lists_the_keys_held(provider: KeyringUnderTest) -> None:
    keyring = provider.open()
    with pytest.raises(UnknownMasterKey, match=keyring.current().key_id):
        keyring.get("mk-00000000")


@pytest.mark.parametrize("algorithm", ["aes-256-gcm", "sm4-gcm"])
def test_rotation_rewrap_and_retirement_leave_the_data_readable_and_untouched(
    provider: KeyringUnderTest, algorithm: str, tmp_path: Path
) -> None:
    keyring = provider.open()
    old_master = keyring.current().key_id
    datasets: dict[str, tuple[WrappedDataKey, bytes, bytes]] = {}
    for name in ("customers@1", "orders@1", "visits@3"):
        context = f"dataset:{name}".encode()
        key = create_data_key(keyring, algorithm, context)  # type: ignore[arg-type]
        plaintext = os.urandom(3000)
        sealed_file = io.BytesIO()
        encrypt_stream(io.BytesIO(plaintext), sealed_file, key, name, chunk_size=1024)
        datasets[name] = (key.wrapped, plaintext, sealed_file.getvalue())

    new_master = keyring.rotate()
    assert new_master.key_id != old_master and keyring.current().key_id == new_master.key_id
    assert keyring.key_ids() == [old_master, new_master.key_id]

    rewrapped: dict[str, WrappedDataKey] = {}
    for name, (wrapped, _, _) in datasets.items():
        # Old keys still open before they are re-wrapped.
        open_data_key(keyring, wrapped, f"dataset:{name}".encode())
        rewrapped[name] = rewrap_data_key(keyring, wrapped, f"dataset:{name}".encode())
        assert rewrapped[name].master_key_id == new_master.key_id
        assert rewrapped[name].key_id == wrapped.key_id

    keyring.retire(old_master)
    assert keyring.key_ids() == [new_master.key_id]
    reopened = provider.open()
    assert reopened.key_ids() == [new_master.key_id]
    for name, (old_wrapped, plaintext, sealed) in datasets.items():
        key = open_data_key(reopened, rewrapped[name], f"dataset:{name}".encode())
        out = io.BytesIO()
        summary = decrypt_stream(io.BytesIO(sealed), out, key, name)
        assert out.getvalue() == plaintext
        assert summary.plaintext_sha256 == hashlib.sha256(plaintext).hexdigest()
        with pytest.raises(UnknownMasterKey, match=old_master):
            open_data_key(reopened, old_wrapped, f"dataset:{name}".encode())


def test_the_current_master_key_cannot_be_retired(provider: KeyringUnderTest) -> None:
    keyring = provider.open()
    current = keyring.current().key_id
    with pytest.raises(CurrentMasterKeyRetire, match="rotate to a new master key"):
        keyring.retire(current)
    with pytest.raises(UnknownMasterKey):
        keyring.retire("mk-00000000")
    assert keyring.key_ids() == [current]


def test_backup_round_trip_returns_every_key_and_each_still_opens(
    provider: KeyringUnderTest, tmp_path: Path
) -> None:
    keyring = provider.open()
    keys = [create_data_key(keyring, "aes-256-gcm", f"ds:{i}".encode()) for i in range(3)]
    keys.append(create_data_key(keyring, "sm4-gcm", b"ds:sm4"))
    backup = tmp_path / "keys.backup"
    write_backup(backup, keyring, [key.wrapped for key in keys])
    restored = read_backup(backup, provider.open())
    assert restored == [key.wrapped for key in keys]
    for key, wrapped in zip(keys, restored, strict=True):
        assert open_data_key(keyring, wrapped, wrapped.context)._material == key._material


def test_a_tampered_backup_is_rejected(provider: KeyringUnderTest, tmp_path: Path) -> None:
    keyring = provider.open()
    keys = [create_data_key(keyring, "aes-256-gcm", f"ds:{i}".encode()) for i in range(2)]
    backup = tmp_path / "keys.backup"
    write_backup(backup, keyring, [key.wrapped for key in keys])
    # Drop the second key from the list: still valid JSON, no longer what was authenticated.
    second = keys[1].wrapped.key_id
    document = json.loads(backup.read_text())
    document["wrapped_keys"] = [k for k in document["wrapped_keys"] if k["key_id"] != second]
    backup.write_text(json.dumps(document))
    with pytest.raises(BackupInvalid, match="altered after it was written"):
        read_backup(backup, keyring)


def test_a_rotation_made_elsewhere_is_seen_before_the_next_wrap(
    provider: KeyringUnderTest,
) -> None:
    """A long-running server and an operator's CLI hold the same keyring."""
    server = provider.open()
    operator = provider.open()
    old = server.current().key_id
    new = operator.rotate().key_id
    key = create_data_key(server, "aes-256-gcm", b"ctx")
    assert key.wrapped.master_key_id == new
    operator.retire(old)
    assert server.key_ids() == [new]
    with pytest.raises(UnknownMasterKey):
        server.get(old)
    assert open_data_key(operator, key.wrapped, b"ctx")._material == key._material
