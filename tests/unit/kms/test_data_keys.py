"""Envelope encryption: data keys exist only wrapped, and the wrap binds their context."""

from __future__ import annotations

import pickle
from dataclasses import replace

import pytest

from kms import (
    KeyUnwrapFailed,
    KmsUsageError,
    PassphraseKeyring,
    UnknownMasterKey,
    UnsupportedAlgorithm,
    WrappedDataKey,
    create_data_key,
    open_data_key,
    rewrap_data_key,
)

CONTEXT = b"dataset:customers@1"


@pytest.mark.parametrize(("algorithm", "size"), [("aes-256-gcm", 32), ("sm4-gcm", 16)])
def test_a_data_key_opens_under_its_context_to_the_same_material(
    shared_keyring: PassphraseKeyring, algorithm: str, size: int
) -> None:
    key = create_data_key(shared_keyring, algorithm, CONTEXT)  # type: ignore[arg-type]
    opened = open_data_key(shared_keyring, key.wrapped, CONTEXT)
    assert opened._material == key._material and len(key._material) == size
    assert key.key_id.startswith("dek-") and key.algorithm == algorithm
    assert key.wrapped.master_key_id == shared_keyring.current().key_id
    assert key._material not in key.wrapped.wrapped


def test_every_data_key_is_fresh(shared_keyring: PassphraseKeyring) -> None:
    first = create_data_key(shared_keyring, "aes-256-gcm", CONTEXT)
    second = create_data_key(shared_keyring, "aes-256-gcm", CONTEXT)
    assert first.key_id != second.key_id and first._material != second._material


def test_a_wrapped_key_moved_to_another_dataset_does_not_open(
    shared_keyring: PassphraseKeyring,
) -> None:
    key = create_data_key(shared_keyring, "aes-256-gcm", CONTEXT)
    with pytest.raises(KeyUnwrapFailed, match=key.key_id):
        open_data_key(shared_keyring, key.wrapped, b"dataset:orders@1")


@pytest.mark.parametrize(
    "change",
    [
        {"algorithm": "sm4-gcm"},
        {"key_id": "dek-0000000000000000"},
        {"wrapped": b"\x01" + b"\x00" * 60},
    ],
    ids=["relabelled algorithm", "renamed key", "altered blob"],
)
def test_a_tampered_wrapped_key_does_not_open(
    shared_keyring: PassphraseKeyring, change: dict[str, object]
) -> None:
    key = create_data_key(shared_keyring, "aes-256-gcm", CONTEXT)
    with pytest.raises(KeyUnwrapFailed):
        open_data_key(shared_keyring, replace(key.wrapped, **change), CONTEXT)  # type: ignore[arg-type]


def test_a_key_naming_an_unknown_master_key_says_which(shared_keyring: PassphraseKeyring) -> None:
    key = create_data_key(shared_keyring, "aes-256-gcm", CONTEXT)
    with pytest.raises(UnknownMasterKey, match="mk-deadbeef") as caught:
        open_data_key(shared_keyring, replace(key.wrapped, master_key_id="mk-deadbeef"), CONTEXT)
    assert shared_keyring.current().key_id in caught.value.message


def test_wrapped_key_survives_json(shared_keyring: PassphraseKeyring) -> None:
    key = create_data_key(shared_keyring, "sm4-gcm", CONTEXT)
    stored = key.wrapped.to_json()
    assert set(stored) == {"key_id", "master_key_id", "algorithm", "wrapped", "context"}
    assert WrappedDataKey.from_json(stored) == key.wrapped
    reopened = open_data_key(shared_keyring, WrappedDataKey.from_json(stored), CONTEXT)
    assert reopened._material == key._material


def test_malformed_json_is_a_caller_mistake() -> None:
    with pytest.raises(KmsUsageError, match="'master_key_id'"):
        WrappedDataKey.from_json({"key_id": "dek-1", "algorithm": "aes-256-gcm", "wrapped": "AA=="})
    with pytest.raises(UnsupportedAlgorithm, match="'des'"):
        WrappedDataKey.from_json(
            {"key_id": "dek-1", "master_key_id": "mk-1", "algorithm": "des", "wrapped": "AA=="}
        )


def test_unsupported_algorithm_names_the_supported_ones(shared_keyring: PassphraseKeyring) -> None:
    with pytest.raises(UnsupportedAlgorithm, match=r"'aes-256-gcm'.*'sm4-gcm'"):
        create_data_key(shared_keyring, "aes-128-cbc", CONTEXT)  # type: ignore[arg-type]


def test_key_material_never_shows_in_repr_or_pickle(shared_keyring: PassphraseKeyring) -> None:
    key = create_data_key(shared_keyring, "aes-256-gcm", CONTEXT)
    assert key._material.hex() not in repr(key) and repr(key._material) not in repr(key)
    assert key.key_id in repr(key)
    with pytest.raises(TypeError, match="WrappedDataKey"):
        pickle.dumps(key)


def test_rewrap_under_the_same_master_key_keeps_the_material(
    shared_keyring: PassphraseKeyring,
) -> None:
    key = create_data_key(shared_keyring, "aes-256-gcm", CONTEXT)
    rewrapped = rewrap_data_key(shared_keyring, key.wrapped, CONTEXT)
    assert rewrapped.key_id == key.key_id and rewrapped.wrapped != key.wrapped.wrapped
    assert open_data_key(shared_keyring, rewrapped, CONTEXT)._material == key._material
