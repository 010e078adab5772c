"""Key backups: a new machine is restored from the backup file and the passphrase alone."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest

from kms import (
    BackupInvalid,
    KeyFileExists,
    PassphraseKeyring,
    WrongPassphrase,
    create_data_key,
    decrypt_stream,
    encrypt_stream,
    open_data_key,
    read_backup,
    restore_keyring_file,
    write_backup,
)

PASSPHRASE = "owner passphrase"


@pytest.fixture
def keyring(tmp_path: Path) -> PassphraseKeyring:
    return PassphraseKeyring.create(tmp_path / "old-machine" / "master.key", PASSPHRASE)


def test_a_new_machine_restores_keys_and_decrypts_the_data(
    keyring: PassphraseKeyring, tmp_path: Path
) -> None:
    key = create_data_key(keyring, "aes-256-gcm", b"dataset:customers@1")
    plaintext = os.urandom(5000)
    sealed = io.BytesIO()
    encrypt_stream(io.BytesIO(plaintext), sealed, key, "customers@1", chunk_size=1000)
    backup = tmp_path / "keys.backup"
    write_backup(backup, keyring, [key.wrapped])

    restored_keyring = restore_keyring_file(
        backup, tmp_path / "new-machine" / "master.key", PASSPHRASE
    )
    [wrapped] = read_backup(backup, restored_keyring)
    out = io.BytesIO()
    decrypt_stream(
        io.BytesIO(sealed.getvalue()),
        out,
        open_data_key(restored_keyring, wrapped, b"dataset:customers@1"),
        "customers@1",
    )
    assert out.getvalue() == plaintext


def test_restoring_with_the_wrong_passphrase_writes_nothing(
    keyring: PassphraseKeyring, tmp_path: Path
) -> None:
    backup = tmp_path / "keys.backup"
    write_backup(backup, keyring, [])
    destination = tmp_path / "new-machine" / "master.key"
    with pytest.raises(WrongPassphrase):
        restore_keyring_file(backup, destination, "not the passphrase")
    assert not destination.exists()


def test_backups_and_restores_never_overwrite(keyring: PassphraseKeyring, tmp_path: Path) -> None:
    backup = tmp_path / "keys.backup"
    write_backup(backup, keyring, [])
    with pytest.raises(KeyFileExists):
        write_backup(backup, keyring, [])
    with pytest.raises(KeyFileExists):
        restore_keyring_file(backup, keyring.path, PASSPHRASE)


def _tamper(backup: Path, change: str) -> None:
    document = json.loads(backup.read_text())
    if change == "authenticator":
        raw = bytearray(document["authenticator"].encode())
        raw[10] = ord("A") if raw[10] != ord("A") else ord("B")
        document["authenticator"] = raw.decode()
    elif change == "wrapped key":
        document["wrapped_keys"][0]["context"] = "ZXZpbA=="
    elif change == "dropped key":
        document["wrapped_keys"].pop()
    elif change == "provider":
        document["provider"] = "pkcs11"
    backup.write_text(json.dumps(document))


@pytest.mark.parametrize("change", ["authenticator", "wrapped key", "dropped key", "provider"])
def test_a_tampered_backup_is_rejected(
    keyring: PassphraseKeyring, tmp_path: Path, change: str
) -> None:
    keys = [create_data_key(keyring, "aes-256-gcm", f"ds:{i}".encode()) for i in range(2)]
    backup = tmp_path / "keys.backup"
    write_backup(backup, keyring, [key.wrapped for key in keys])
    _tamper(backup, change)
    with pytest.raises(BackupInvalid, match="altered after it was written"):
        read_backup(backup, keyring)


def test_a_backup_from_another_keyring_says_to_restore_the_keyring_first(
    keyring: PassphraseKeyring, tmp_path: Path
) -> None:
    backup = tmp_path / "keys.backup"
    write_backup(backup, keyring, [])
    stranger = PassphraseKeyring.create(tmp_path / "other" / "master.key", PASSPHRASE)
    with pytest.raises(BackupInvalid, match="restore the keyring first"):
        read_backup(backup, stranger)


def test_files_that_are_not_backups_are_named(keyring: PassphraseKeyring, tmp_path: Path) -> None:
    with pytest.raises(BackupInvalid, match="does not exist"):
        read_backup(tmp_path / "absent.backup", keyring)
    with pytest.raises(BackupInvalid, match="not a sealroom key backup"):
        read_backup(keyring.path, keyring)
