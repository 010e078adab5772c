"""Signed tree heads: the platform's signed statement "the log had this root at this size".

A party that keeps a signed tree head can later hold the platform to it: the log
it is shown must rebuild to that root, and any later head must be consistent with
it. The signature covers a fixed binary encoding behind a domain-separation
prefix, so a signature over a tree head can never be replayed as a signature over
anything else the platform key signs (contract approvals, receipts), nor the other
way round.

The file parties keep is small JSON (``tree_head_to_json``), all binary values in
lower-case hex.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal, Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from sealroom.audit.errors import TreeHeadMalformed, TreeHeadSignatureInvalid
from sealroom.audit.merkle import HASH_SIZE

TREE_HEAD_DOMAIN = b"sealroom/audit/signed-tree-head/v1\x00"
TREE_HEAD_FILE_FORMAT = "sealroom-signed-tree-head/1"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class TreeHeadSigner(Protocol):
    """What signs tree heads: the platform's Ed25519 key, wherever it lives."""

    def public_key(self) -> bytes:
        """The raw 32-byte Ed25519 public key."""
        ...

    def sign(self, message: bytes) -> bytes:
        """A 64-byte Ed25519 signature over ``message``."""
        ...


class Ed25519TreeHeadSigner:
    """A ``TreeHeadSigner`` over an in-memory key (tests, benchmarks, offline tools)."""

    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self._private_key = private_key

    def public_key(self) -> bytes:
        return self._private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)

    def sign(self, message: bytes) -> bytes:
        return self._private_key.sign(message)


@dataclass(frozen=True, slots=True)
class SignedTreeHead:
    tree_size: int
    root_hash: bytes
    timestamp: datetime
    key_fingerprint: str
    signature: bytes


def key_fingerprint(public_key: bytes) -> str:
    """SHA-256 of the raw public key, in hex: names the key in files and messages."""
    return hashlib.sha256(public_key).hexdigest()


def tree_head_message(tree_size: int, root_hash: bytes, timestamp: datetime) -> bytes:
    """The exact bytes signed: domain || size (u64) || root (32) || time (i64 microseconds)."""
    if tree_size < 0 or len(root_hash) != HASH_SIZE:
        raise ValueError("a tree head needs a non-negative size and a 32-byte root hash")
    micros = (timestamp - _EPOCH) // timedelta(microseconds=1)
    return (
        TREE_HEAD_DOMAIN
        + tree_size.to_bytes(8, "big")
        + root_hash
        + micros.to_bytes(8, "big", signed=True)
    )


def sign_head(
    signer: TreeHeadSigner, tree_size: int, root_hash: bytes, now: datetime
) -> SignedTreeHead:
    if now.tzinfo is None:
        raise ValueError("naive datetime given for a tree head: pass an aware UTC datetime")
    timestamp = now.astimezone(UTC)
    signature = signer.sign(tree_head_message(tree_size, root_hash, timestamp))
    return SignedTreeHead(
        tree_size=tree_size,
        root_hash=root_hash,
        timestamp=timestamp,
        key_fingerprint=key_fingerprint(signer.public_key()),
        signature=signature,
    )


def verify_tree_head(head: SignedTreeHead, public_key: bytes) -> None:
    """Raises ``TreeHeadSignatureInvalid`` unless ``public_key`` signed exactly this head."""
    try:
        if head.key_fingerprint != key_fingerprint(public_key):
            raise InvalidSignature
        Ed25519PublicKey.from_public_bytes(public_key).verify(
            head.signature, tree_head_message(head.tree_size, head.root_hash, head.timestamp)
        )
    except (InvalidSignature, ValueError):
        raise TreeHeadSignatureInvalid(head.tree_size) from None


_HEX32 = r"^[0-9a-f]{64}$"


class _TreeHeadFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    format: Literal["sealroom-signed-tree-head/1"]
    tree_size: int = Field(ge=0)
    root_hash: str = Field(pattern=_HEX32)
    timestamp: AwareDatetime
    key_fingerprint: str = Field(pattern=_HEX32)
    signature: str = Field(pattern=r"^[0-9a-f]{128}$")


def tree_head_to_json(head: SignedTreeHead) -> str:
    document = _TreeHeadFile(
        format=TREE_HEAD_FILE_FORMAT,
        tree_size=head.tree_size,
        root_hash=head.root_hash.hex(),
        timestamp=head.timestamp,
        key_fingerprint=head.key_fingerprint,
        signature=head.signature.hex(),
    )
    return document.model_dump_json(indent=2) + "\n"


def tree_head_from_json(text: str | bytes, source: str = "the tree head file") -> SignedTreeHead:
    try:
        document = _TreeHeadFile.model_validate_json(text)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "the document"
        raise TreeHeadMalformed(source, f"{where}: {first['msg']}") from None
    return SignedTreeHead(
        tree_size=document.tree_size,
        root_hash=bytes.fromhex(document.root_hash),
        timestamp=document.timestamp.astimezone(UTC),
        key_fingerprint=document.key_fingerprint,
        signature=bytes.fromhex(document.signature),
    )


def write_tree_head(head: SignedTreeHead, path: Path) -> None:
    path.write_text(tree_head_to_json(head), encoding="utf-8")


def read_tree_head(path: Path) -> SignedTreeHead:
    try:
        text = path.read_bytes()
    except OSError as err:
        raise TreeHeadMalformed(str(path), err.strerror or "unreadable") from None
    return tree_head_from_json(text, str(path))
