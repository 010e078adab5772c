"""The kms room's public surface and its error tree, as the service layer relies on them."""

from __future__ import annotations

import inspect
from pathlib import Path

import kms
import kms.errors
from kms import (
    BackupInvalid,
    BadSignature,
    CiphertextCorrupted,
    KeyDeviceUnavailable,
    KeyUnwrapFailed,
    KmsError,
    MasterKeyFileMissing,
    SealedMessageInvalid,
    UnknownMasterKey,
    WrongPassphrase,
)


def test_every_public_name_is_exported_and_exists() -> None:
    assert sorted(kms.__all__) == sorted(set(kms.__all__))
    for name in kms.__all__:
        assert hasattr(kms, name), name
    assert "_primitives" not in kms.__all__


def test_every_error_is_a_kms_error_drawn_in_the_module_docstring() -> None:
    errors = [
        obj
        for _, obj in inspect.getmembers(kms.errors, inspect.isclass)
        if issubclass(obj, Exception) and obj.__module__ == "kms.errors"
    ]
    assert len(errors) >= 15
    for error in errors:
        assert issubclass(error, KmsError)
        assert error.__name__ in (kms.errors.__doc__ or ""), error.__name__


def test_messages_are_full_sentences_equal_to_str() -> None:
    samples: list[KmsError] = [
        WrongPassphrase(Path("/h/master.key")),
        MasterKeyFileMissing(Path("/h/master.key")),
        KeyDeviceUnavailable.token_absent("/lib.so", "hsm"),
        KeyDeviceUnavailable.wrong_pin("hsm"),
        KeyDeviceUnavailable.token_locked("hsm"),
        UnknownMasterKey("mk-1", ["mk-2"]),
        KeyUnwrapFailed("dek-1"),
        CiphertextCorrupted("customers@1", "truncated"),
        SealedMessageInvalid(),
        BadSignature("abcd-ef01"),
        BackupInvalid(Path("/b"), "it was altered after it was written"),
    ]
    for error in samples:
        assert error.message == str(error)
        assert error.message[0].isupper() and error.message.endswith(".")
        assert ": " in error.message  # what happened: what to do next


def test_corrupted_ciphertext_carries_the_dataset_and_reason() -> None:
    error = CiphertextCorrupted("customers@1", "chunk out of order")
    assert (error.label, error.reason) == ("customers@1", "chunk out of order")
    assert "'customers@1'" in error.message and "chunk out of order" in error.message
