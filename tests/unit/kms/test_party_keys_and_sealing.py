"""A party's keys: sealed results only its key opens, signatures only its key makes."""

from __future__ import annotations

import pickle
import stat
from pathlib import Path

import pytest

from kms import (
    BadSignature,
    KeyFileExists,
    KmsUsageError,
    PartyKeyFileMissing,
    PartyKeyPair,
    PartyPublicKeys,
    SealedMessageInvalid,
    WrongPassphrase,
    generate_party_keys,
    load_party_key_file,
    open_sealed,
    save_party_key_file,
    seal_for,
    sign,
    verify_signature,
)

RELEASE = b"release:r-42"


@pytest.fixture(scope="module")
def partner() -> PartyKeyPair:
    return generate_party_keys()


@pytest.fixture(scope="module")
def stranger() -> PartyKeyPair:
    return generate_party_keys()


def test_a_sealed_result_opens_only_for_its_recipient(
    partner: PartyKeyPair, stranger: PartyKeyPair
) -> None:
    sealed = seal_for(partner.public, b"total spend: 1234567", RELEASE)
    assert b"1234567" not in sealed
    assert open_sealed(partner, sealed, RELEASE) == b"total spend: 1234567"
    with pytest.raises(SealedMessageInvalid, match="ask the sender to seal it again"):
        open_sealed(stranger, sealed, RELEASE)


def test_a_sealed_result_does_not_open_as_another_release(partner: PartyKeyPair) -> None:
    sealed = seal_for(partner.public, b"result", RELEASE)
    with pytest.raises(SealedMessageInvalid):
        open_sealed(partner, sealed, b"release:r-43")


@pytest.mark.parametrize("offset", [0, 1, 20, 40, 50, -1])
def test_any_flipped_byte_in_a_sealed_result_is_rejected(
    partner: PartyKeyPair, offset: int
) -> None:
    sealed = bytearray(seal_for(partner.public, b"result rows", RELEASE))
    sealed[offset] ^= 0x04
    with pytest.raises(SealedMessageInvalid):
        open_sealed(partner, bytes(sealed), RELEASE)


def test_truncated_or_empty_sealed_results_are_rejected(partner: PartyKeyPair) -> None:
    sealed = seal_for(partner.public, b"result", RELEASE)
    for broken in (b"", sealed[:30], sealed[:-1]):
        with pytest.raises(SealedMessageInvalid):
            open_sealed(partner, broken, RELEASE)


def test_sealing_twice_gives_different_bytes(partner: PartyKeyPair) -> None:
    assert seal_for(partner.public, b"x", RELEASE) != seal_for(partner.public, b"x", RELEASE)


def test_a_signature_verifies_and_a_changed_message_does_not(
    partner: PartyKeyPair, stranger: PartyKeyPair
) -> None:
    contract_hash = b"sha256:" + b"a" * 64
    signature = sign(partner, contract_hash)
    verify_signature(partner.public, contract_hash, signature)
    with pytest.raises(BadSignature, match=partner.public.fingerprint()):
        verify_signature(partner.public, contract_hash + b"!", signature)
    with pytest.raises(BadSignature):
        verify_signature(stranger.public, contract_hash, signature)
    with pytest.raises(BadSignature):
        verify_signature(partner.public, contract_hash, signature[:10])


def test_public_keys_round_trip_through_json_and_keep_their_fingerprint(
    partner: PartyKeyPair,
) -> None:
    restored = PartyPublicKeys.from_json(partner.public.to_json())
    assert restored == partner.public
    assert restored.fingerprint() == partner.public.fingerprint()
    assert len(restored.fingerprint().split("-")) == 8


def test_malformed_public_keys_are_a_caller_mistake() -> None:
    with pytest.raises(KmsUsageError, match="x25519"):
        PartyPublicKeys(x25519=b"short", ed25519=b"\x00" * 32)
    with pytest.raises(KmsUsageError, match="'x25519' and 'ed25519'"):
        PartyPublicKeys.from_json({"x25519": "not base64!"})


def test_private_keys_never_show_in_repr_and_refuse_pickling(partner: PartyKeyPair) -> None:
    assert repr(partner) == f"PartyKeyPair(fingerprint={partner.public.fingerprint()!r})"
    with pytest.raises(TypeError, match="save_party_key_file"):
        pickle.dumps(partner)


def test_party_key_file_round_trips_under_the_passphrase(
    tmp_path: Path, partner: PartyKeyPair
) -> None:
    path = tmp_path / "party.key"
    save_party_key_file(path, partner, "partner passphrase")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    loaded = load_party_key_file(path, "partner passphrase")
    assert loaded.public == partner.public
    sealed = seal_for(partner.public, b"for the partner", RELEASE)
    assert open_sealed(loaded, sealed, RELEASE) == b"for the partner"


def test_party_key_file_refuses_overwrite_wrong_passphrase_and_missing_file(
    tmp_path: Path, partner: PartyKeyPair, stranger: PartyKeyPair
) -> None:
    path = tmp_path / "party.key"
    save_party_key_file(path, partner, "partner passphrase")
    with pytest.raises(KeyFileExists):
        save_party_key_file(path, stranger, "partner passphrase")
    assert load_party_key_file(path, "partner passphrase").public == partner.public
    with pytest.raises(WrongPassphrase, match="party key file"):
        load_party_key_file(path, "guess")
    with pytest.raises(PartyKeyFileMissing, match="sealroom party init"):
        load_party_key_file(tmp_path / "absent.key", "partner passphrase")
