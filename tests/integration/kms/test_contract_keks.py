"""Crypto-shredding, on every provider: a contract's KEK, once destroyed, opens nothing.

Two contracts are granted the same dataset key, each under its own KEK, and each
has an output key under its KEK. Destroying one contract's KEK makes its grant
and its output key unopenable, by this keyring and by one opened afresh from
storage, while the other contract's keys and the dataset's own key still open.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from kms import (
    DataKey,
    KekDestroyed,
    PassphraseKeyring,
    create_data_key,
    decrypt_stream,
    encrypt_stream,
    grant_data_key,
    is_kek_id,
    open_data_key,
    rewrap_data_key,
)
from tests.integration.kms.conftest import KeyringUnderTest

pytestmark = pytest.mark.integration

REVOKED, OTHER = "kek-0000revoked0000", "kek-00000other00000"


def _encrypt(key: DataKey, plaintext: bytes) -> bytes:
    out = io.BytesIO()
    encrypt_stream(io.BytesIO(plaintext), out, key, "customers v1")
    return out.getvalue()


def test_destroying_a_contracts_kek_shreds_its_grants_and_outputs_only(
    provider: KeyringUnderTest,
) -> None:
    keyring = provider.open()
    masters_before = keyring.key_ids()
    dataset_key = create_data_key(keyring, "aes-256-gcm", b"sealroom/dataset/customers/v1")
    ciphertext = _encrypt(dataset_key, b"name,mobile\nWang Wei,13800138000\n")
    grants, outputs = {}, {}
    for kek_id in (REVOKED, OTHER):
        kek = keyring.create_kek(kek_id)
        assert keyring.create_kek(kek_id).key_id == kek.key_id  # made once
        grants[kek_id] = grant_data_key(dataset_key, kek, f"grant/{kek_id}".encode())
        outputs[kek_id] = create_data_key(
            keyring, "aes-256-gcm", f"out/{kek_id}".encode(), under=kek
        ).wrapped
        assert is_kek_id(grants[kek_id].master_key_id)

    assert keyring.destroy_kek(REVOKED) is True
    assert keyring.destroy_kek(REVOKED) is False  # idempotent

    for opened in (keyring, provider.open()):  # this process, and a fresh one from storage
        with pytest.raises(KekDestroyed):
            opened.kek(REVOKED)
        with pytest.raises(KekDestroyed):
            open_data_key(opened, grants[REVOKED], b"grant/" + REVOKED.encode())
        with pytest.raises(KekDestroyed):
            open_data_key(opened, outputs[REVOKED], b"out/" + REVOKED.encode())
        # The other contract's grant still opens the dataset; so does the dataset's own key.
        granted = open_data_key(opened, grants[OTHER], b"grant/" + OTHER.encode())
        plain = io.BytesIO()
        decrypt_stream(io.BytesIO(ciphertext), plain, granted, "customers v1")
        assert b"Wang Wei" in plain.getvalue()
        open_data_key(opened, outputs[OTHER], b"out/" + OTHER.encode())
        open_data_key(opened, dataset_key.wrapped, b"sealroom/dataset/customers/v1")
        assert opened.key_ids() == masters_before  # KEKs are not master keys


def test_rotating_the_master_key_leaves_kek_wrapped_keys_under_their_kek(
    provider: KeyringUnderTest,
) -> None:
    keyring = provider.open()
    old_master = keyring.current().key_id
    kek = keyring.create_kek(OTHER)
    output = create_data_key(keyring, "aes-256-gcm", b"out", under=kek).wrapped
    keyring.rotate()
    # Re-wrapping it under the master key would let it outlive the contract's KEK.
    assert rewrap_data_key(keyring, output, b"out") == output
    keyring.retire(old_master)  # the KEK itself survives the master key it was made under
    assert open_data_key(provider.open(), output, b"out").key_id == output.key_id
    keyring.destroy_kek(OTHER)
    with pytest.raises(KekDestroyed):
        open_data_key(keyring, output, b"out")


def test_a_destroyed_passphrase_kek_leaves_no_file_behind(tmp_path: Path) -> None:
    keyring = PassphraseKeyring.create(tmp_path / "master.key", "pass")
    keyring.create_kek(REVOKED)
    kek_files = list((tmp_path / "master.key.keks").iterdir())
    assert [p.name for p in kek_files] == [f"{REVOKED}.kek"]
    assert kek_files[0].stat().st_mode & 0o077 == 0  # readable by the service alone
    keyring.destroy_kek(REVOKED)
    assert list((tmp_path / "master.key.keks").iterdir()) == []
