"""Inclusion and consistency proofs as values a party can keep, send and check offline.

A proof alone proves nothing: it is checked against signed tree heads, and the
check functions take the platform's public key so a caller cannot forget to
check the heads' signatures first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sealroom.audit.errors import ProofInvalid
from sealroom.audit.merkle import verify_consistency, verify_inclusion
from sealroom.audit.tree_head import SignedTreeHead, verify_tree_head

_HEX32 = r"^[0-9a-f]{64}$"


@dataclass(frozen=True, slots=True)
class InclusionProof:
    """Entry ``leaf_index``, whose leaf hashes to ``leaf_hash``, is in the tree of ``tree_size``."""

    leaf_index: int
    tree_size: int
    leaf_hash: bytes
    path: tuple[bytes, ...]


@dataclass(frozen=True, slots=True)
class ConsistencyProof:
    """The tree of ``old_size`` entries is a prefix of the tree of ``new_size``."""

    old_size: int
    new_size: int
    path: tuple[bytes, ...]


class _InclusionFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    format: Literal["sealroom-inclusion-proof/1"]
    leaf_index: int = Field(ge=0)
    tree_size: int = Field(ge=1)
    leaf_hash: str = Field(pattern=_HEX32)
    path: list[str] = Field(max_length=64)


class _ConsistencyFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    format: Literal["sealroom-consistency-proof/1"]
    old_size: int = Field(ge=0)
    new_size: int = Field(ge=0)
    path: list[str] = Field(max_length=128)


def _hashes(what: str, hexes: list[str]) -> tuple[bytes, ...]:
    try:
        values = tuple(bytes.fromhex(value) for value in hexes)
    except ValueError:
        raise ProofInvalid(what, "a path hash is not hex") from None
    return values


def inclusion_proof_to_json(proof: InclusionProof) -> str:
    return (
        _InclusionFile(
            format="sealroom-inclusion-proof/1",
            leaf_index=proof.leaf_index,
            tree_size=proof.tree_size,
            leaf_hash=proof.leaf_hash.hex(),
            path=[value.hex() for value in proof.path],
        ).model_dump_json(indent=2)
        + "\n"
    )


def inclusion_proof_from_json(text: str | bytes) -> InclusionProof:
    try:
        document = _InclusionFile.model_validate_json(text)
    except ValidationError as err:
        raise ProofInvalid(
            "inclusion proof", f"the file is malformed: {err.errors()[0]['msg']}"
        ) from None
    return InclusionProof(
        leaf_index=document.leaf_index,
        tree_size=document.tree_size,
        leaf_hash=bytes.fromhex(document.leaf_hash),
        path=_hashes("inclusion proof", document.path),
    )


def consistency_proof_to_json(proof: ConsistencyProof) -> str:
    return (
        _ConsistencyFile(
            format="sealroom-consistency-proof/1",
            old_size=proof.old_size,
            new_size=proof.new_size,
            path=[value.hex() for value in proof.path],
        ).model_dump_json(indent=2)
        + "\n"
    )


def consistency_proof_from_json(text: str | bytes) -> ConsistencyProof:
    try:
        document = _ConsistencyFile.model_validate_json(text)
    except ValidationError as err:
        raise ProofInvalid(
            "consistency proof", f"the file is malformed: {err.errors()[0]['msg']}"
        ) from None
    return ConsistencyProof(
        old_size=document.old_size,
        new_size=document.new_size,
        path=_hashes("consistency proof", document.path),
    )


def check_inclusion(proof: InclusionProof, head: SignedTreeHead, public_key: bytes) -> None:
    """Raises unless ``head`` is the platform's and ``proof`` puts the leaf under it."""
    verify_tree_head(head, public_key)
    if proof.tree_size != head.tree_size:
        raise ProofInvalid(
            "inclusion proof",
            f"it is for a tree of {proof.tree_size} entries but the head has {head.tree_size}",
        )
    verify_inclusion(proof.leaf_index, proof.tree_size, proof.leaf_hash, proof.path, head.root_hash)


def check_consistency(
    proof: ConsistencyProof,
    old_head: SignedTreeHead,
    new_head: SignedTreeHead,
    public_key: bytes,
) -> None:
    """Raises unless both heads are the platform's and the old log is a prefix of the new."""
    verify_tree_head(old_head, public_key)
    verify_tree_head(new_head, public_key)
    if (proof.old_size, proof.new_size) != (old_head.tree_size, new_head.tree_size):
        raise ProofInvalid(
            "consistency proof",
            f"it is for sizes {proof.old_size} to {proof.new_size} but the heads have "
            f"{old_head.tree_size} and {new_head.tree_size}",
        )
    verify_consistency(
        proof.old_size, proof.new_size, old_head.root_hash, new_head.root_hash, proof.path
    )
