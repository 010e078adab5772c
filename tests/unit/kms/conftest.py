"""Keys shared by the kms unit tests.

Opening a passphrase keyring costs one Argon2id derivation (about 0.2 s), so the
tests that only need *a* data key share one keyring per module.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kms import DataKey, PassphraseKeyring, create_data_key


@pytest.fixture(scope="module")
def shared_keyring(tmp_path_factory: pytest.TempPathFactory) -> PassphraseKeyring:
    path = tmp_path_factory.mktemp("keyring") / "master.key"
    return PassphraseKeyring.create(path, "module-passphrase")


@pytest.fixture(scope="module")
def aes_key(shared_keyring: PassphraseKeyring) -> DataKey:
    return create_data_key(shared_keyring, "aes-256-gcm", b"dataset:customers@1")


@pytest.fixture(scope="module")
def sm4_key(shared_keyring: PassphraseKeyring) -> DataKey:
    return create_data_key(shared_keyring, "sm4-gcm", b"dataset:customers@1")


@pytest.fixture
def keyring_path(tmp_path: Path) -> Path:
    return tmp_path / "keys" / "master.key"
