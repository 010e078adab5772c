"""The passphrase keyring's file: sealed, owner-only, never overwritten, tamper-evident."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from kms import (
    KeyFileCorrupted,
    KeyFileExists,
    MasterKeyFileMissing,
    PassphraseKeyring,
    WrongPassphrase,
)


def test_key_file_is_owner_only_and_holds_no_key_in_clear(keyring_path: Path) -> None:
    keyring = PassphraseKeyring.create(keyring_path, "correct horse")
    assert stat.S_IMODE(keyring_path.stat().st_mode) == 0o600
    material = keyring.current().material
    assert material not in keyring_path.read_bytes()
    assert material.hex().encode() not in keyring_path.read_bytes()


def test_reopening_with_the_passphrase_gives_the_same_keys(keyring_path: Path) -> None:
    created = PassphraseKeyring.create(keyring_path, "correct horse")
    created.rotate()
    reopened = PassphraseKeyring.open(keyring_path, "correct horse")
    assert reopened.key_ids() == created.key_ids()
    assert reopened.current().material == created.current().material


def test_wrong_passphrase_names_the_file_and_the_variable(keyring_path: Path) -> None:
    PassphraseKeyring.create(keyring_path, "correct horse")
    with pytest.raises(WrongPassphrase) as caught:
        PassphraseKeyring.open(keyring_path, "battery staple")
    assert caught.value.message == (
        f"The passphrase does not open the master key file {keyring_path}: check "
        "SEALROOM_PASSPHRASE (or the passphrase you typed) and try again."
    )


def test_missing_file_says_run_sealroom_init(keyring_path: Path) -> None:
    with pytest.raises(MasterKeyFileMissing, match="run `sealroom init`") as caught:
        PassphraseKeyring.open(keyring_path, "anything")
    assert str(keyring_path) in caught.value.message


def test_create_refuses_to_overwrite_an_existing_key_file(keyring_path: Path) -> None:
    first = PassphraseKeyring.create(keyring_path, "correct horse")
    before = keyring_path.read_bytes()
    with pytest.raises(KeyFileExists, match="never overwrites"):
        PassphraseKeyring.create(keyring_path, "another")
    assert keyring_path.read_bytes() == before
    assert PassphraseKeyring.open(keyring_path, "correct horse").key_ids() == first.key_ids()


def test_changing_the_passphrase_keeps_the_keys_and_drops_the_old_passphrase(
    keyring_path: Path,
) -> None:
    keyring = PassphraseKeyring.create(keyring_path, "old passphrase")
    keyring.change_passphrase("new passphrase")
    reopened = PassphraseKeyring.open(keyring_path, "new passphrase")
    assert reopened.current().material == keyring.current().material
    with pytest.raises(WrongPassphrase):
        PassphraseKeyring.open(keyring_path, "old passphrase")


def test_weakening_the_key_derivation_in_the_file_makes_it_fail_to_open(
    keyring_path: Path,
) -> None:
    PassphraseKeyring.create(keyring_path, "correct horse")
    document = json.loads(keyring_path.read_text())
    document["kdf"]["iterations"] = 1
    keyring_path.write_text(json.dumps(document))
    with pytest.raises(WrongPassphrase):
        PassphraseKeyring.open(keyring_path, "correct horse")


def test_a_file_that_is_not_a_key_file_is_reported_as_corrupted(keyring_path: Path) -> None:
    keyring_path.parent.mkdir(parents=True)
    keyring_path.write_text("not json at all")
    with pytest.raises(KeyFileCorrupted, match="restore it from a backup"):
        PassphraseKeyring.open(keyring_path, "correct horse")


def test_a_party_key_file_is_not_accepted_as_a_master_key_file(tmp_path: Path) -> None:
    from kms import generate_party_keys, save_party_key_file

    path = tmp_path / "party.key"
    save_party_key_file(path, generate_party_keys(), "correct horse")
    with pytest.raises(KeyFileCorrupted, match="sealroom-party-keys"):
        PassphraseKeyring.open(path, "correct horse")


def test_describe_tells_doctor_where_and_what(keyring_path: Path) -> None:
    keyring = PassphraseKeyring.create(keyring_path, "correct horse")
    assert keyring.describe() == {
        "provider": "passphrase",
        "where": str(keyring_path),
        "current_key_id": keyring.current().key_id,
        "algorithm": "aes-256-gcm",
        "key_derivation": "argon2id",
        "keys_held": "1",
    }
    assert "material" not in repr(keyring) and "material" not in repr(keyring.current())


def test_two_holders_rotating_in_turn_keep_each_others_new_keys(keyring_path: Path) -> None:
    first = PassphraseKeyring.create(keyring_path, "correct horse")
    second = PassphraseKeyring.open(keyring_path, "correct horse")
    from_first = first.rotate().key_id
    from_second = second.rotate().key_id
    reopened = PassphraseKeyring.open(keyring_path, "correct horse")
    assert reopened.key_ids()[1:] == [from_first, from_second]
    assert first.current().key_id == from_second


def test_a_deleted_key_file_is_reported_on_next_use(keyring_path: Path) -> None:
    keyring = PassphraseKeyring.create(keyring_path, "correct horse")
    keyring_path.unlink()
    with pytest.raises(MasterKeyFileMissing):
        keyring.current()
