"""Signed tree heads: what is signed, who signed it, and the file parties keep."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from sealroom.audit.errors import TreeHeadMalformed, TreeHeadSignatureInvalid
from sealroom.audit.tree_head import (
    TREE_HEAD_DOMAIN,
    Ed25519TreeHeadSigner,
    SignedTreeHead,
    key_fingerprint,
    read_tree_head,
    sign_head,
    tree_head_from_json,
    tree_head_message,
    tree_head_to_json,
    verify_tree_head,
    write_tree_head,
)

NOW = datetime(2026, 11, 23, 8, 0, 0, 250000, tzinfo=UTC)
ROOT = hashlib.sha256(b"a root").digest()


@pytest.fixture(scope="module")
def platform() -> Ed25519TreeHeadSigner:
    return Ed25519TreeHeadSigner(Ed25519PrivateKey.generate())


@pytest.fixture(scope="module")
def head(platform: Ed25519TreeHeadSigner) -> SignedTreeHead:
    return sign_head(platform, 42, ROOT, NOW)


def test_a_head_verifies_against_the_key_that_signed_it(
    platform: Ed25519TreeHeadSigner, head: SignedTreeHead
) -> None:
    verify_tree_head(head, platform.public_key())
    assert head.key_fingerprint == hashlib.sha256(platform.public_key()).hexdigest()


@pytest.mark.parametrize(
    "forged",
    [
        {"tree_size": 43},
        {"root_hash": hashlib.sha256(b"another root").digest()},
        {"timestamp": NOW + timedelta(microseconds=1)},
        {"signature": bytes(64)},
    ],
)
def test_changing_any_signed_field_breaks_the_signature(
    platform: Ed25519TreeHeadSigner, head: SignedTreeHead, forged: dict[str, object]
) -> None:
    with pytest.raises(TreeHeadSignatureInvalid, match="does not verify against the platform key"):
        verify_tree_head(replace(head, **forged), platform.public_key())  # type: ignore[arg-type]


def test_a_head_signed_by_another_key_is_refused_even_with_the_right_fingerprint(
    platform: Ed25519TreeHeadSigner,
) -> None:
    forger = Ed25519TreeHeadSigner(Ed25519PrivateKey.generate())
    forged = replace(
        sign_head(forger, 42, ROOT, NOW), key_fingerprint=key_fingerprint(platform.public_key())
    )
    with pytest.raises(TreeHeadSignatureInvalid):
        verify_tree_head(forged, platform.public_key())


def test_the_signed_message_is_domain_separated_and_fixed_length() -> None:
    message = tree_head_message(1, ROOT, NOW)
    assert message.startswith(TREE_HEAD_DOMAIN)
    assert len(message) == len(TREE_HEAD_DOMAIN) + 8 + 32 + 8


def test_the_kept_file_round_trips_exactly(head: SignedTreeHead, tmp_path: Path) -> None:
    path = tmp_path / "head.json"
    write_tree_head(head, path)
    assert read_tree_head(path) == head
    assert tree_head_from_json(tree_head_to_json(head)) == head


def test_a_damaged_head_file_is_refused_naming_the_field(head: SignedTreeHead) -> None:
    damaged = tree_head_to_json(head).replace(head.root_hash.hex(), "zz" * 32)
    with pytest.raises(TreeHeadMalformed, match=r"in kept\.json cannot be read \(root_hash"):
        tree_head_from_json(damaged, "kept.json")


def test_a_missing_head_file_says_so(tmp_path: Path) -> None:
    with pytest.raises(TreeHeadMalformed, match="fetch a fresh copy"):
        read_tree_head(tmp_path / "absent.json")
