"""Approvals: Ed25519 signatures by party keys over the contract hash.

The signed message is domain-separated and names everything the signature
vouches for, so a signature cannot be replayed onto another contract, another
version, another party, another role or another action:

    b"sealroom/contract-approval/v1\\x00" + canonical_json({
        "action", "contract_hash", "contract_id", "party", "role", "signed_at", "version"})
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from typing import Annotated

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from pydantic import AfterValidator, AwareDatetime, Field, StringConstraints, field_validator

from contracts.canonical import canonical_json, contract_hash
from contracts.errors import RoleNotGranted, SignatureInvalid
from contracts.lifecycle import TRANSITIONS, ActionKind
from contracts.model import Contract
from contracts.names import PartyName
from contracts.parties import Role
from contracts.section import Section

APPROVAL_DOMAIN = b"sealroom/contract-approval/v1\x00"
ED25519_SIGNATURE_BYTES = 64

#: Which roles may sign which action, read from the lifecycle table (``propose``
#: is the service's step, not a signed one).
SIGNING_ROLES: dict[ActionKind, frozenset[Role]] = {
    action: frozenset(t.role for t in TRANSITIONS if t.action is action)
    for action in (ActionKind.APPROVE, ActionKind.ACCEPT, ActionKind.REVOKE)
}


def _check_signature(value: str) -> str:
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("signature must be standard base64") from exc
    if len(raw) != ED25519_SIGNATURE_BYTES:
        raise ValueError(f"signature must decode to {ED25519_SIGNATURE_BYTES} bytes")
    return value


SignatureB64 = Annotated[str, StringConstraints(strict=True), AfterValidator(_check_signature)]


class Approval(Section):
    """One signed lifecycle step: approve (owner, platform), accept (recipient), revoke."""

    party: PartyName
    role: Role
    action: ActionKind
    signed_at: AwareDatetime
    signature: SignatureB64 = Field(description="Ed25519 over the approval message, base64.")

    @field_validator("action")
    @classmethod
    def _signed_action(cls, value: ActionKind) -> ActionKind:
        if value not in SIGNING_ROLES:
            raise ValueError("signed actions are approve, accept and revoke")
        return value


def approval_message(
    contract: Contract, *, party: str, role: Role, action: ActionKind, signed_at: dt.datetime
) -> bytes:
    """The exact bytes a party signs for one lifecycle step."""
    return APPROVAL_DOMAIN + canonical_json(
        {
            "action": action.value,
            "contract_hash": contract_hash(contract),
            "contract_id": contract.id,
            "party": party,
            "role": role.value,
            "signed_at": signed_at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
            "version": contract.version,
        }
    )


def public_key_b64(private_key: Ed25519PrivateKey) -> str:
    raw = private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return base64.b64encode(raw).decode("ascii")


def sign_approval(
    contract: Contract,
    private_key: Ed25519PrivateKey,
    *,
    party: str,
    role: Role,
    action: ActionKind,
    signed_at: dt.datetime,
) -> Approval:
    """Sign one step as ``party`` in ``role``; refuses steps the role may not sign."""
    _check_signer(contract, party, role, action)
    message = approval_message(contract, party=party, role=role, action=action, signed_at=signed_at)
    signature = base64.b64encode(private_key.sign(message)).decode("ascii")
    return Approval(party=party, role=role, action=action, signed_at=signed_at, signature=signature)


def verify_approval(contract: Contract, approval: Approval) -> None:
    """Raise ``SignatureInvalid`` unless ``approval`` is a valid signature by a pinned key."""
    _check_signer(contract, approval.party, approval.role, approval.action)
    party = contract.party(approval.party)
    assert party is not None
    if party.public_key is None:
        raise SignatureInvalid(
            f"{contract.ref} pins no public key for {party.name}, so its {approval.action.value} "
            "cannot be verified: pin the party keys (propose again) and re-sign"
        )
    key = Ed25519PublicKey.from_public_bytes(base64.b64decode(party.public_key))
    message = approval_message(
        contract,
        party=approval.party,
        role=approval.role,
        action=approval.action,
        signed_at=approval.signed_at,
    )
    try:
        key.verify(base64.b64decode(approval.signature), message)
    except InvalidSignature:
        # Opaque on purpose: which field was altered is not for the reader to learn.
        raise SignatureInvalid(
            f"the {approval.action.value} signature by {approval.party} on {contract.ref} does "
            "not verify: the contract or the approval was altered, or signed with another "
            f"key; ask {approval.party} to sign again"
        ) from None


def _check_signer(contract: Contract, party_name: str, role: Role, action: ActionKind) -> None:
    party = contract.party(party_name)
    if party is None or role not in party.roles:
        raise RoleNotGranted(
            f"{party_name} does not hold the {role.value} role in {contract.ref}: only "
            "parties the contract names may sign for it"
        )
    allowed = SIGNING_ROLES.get(action, frozenset())
    if role not in allowed:
        names = " or ".join(sorted(r.value for r in allowed)) or "nobody"
        raise RoleNotGranted(
            f"a {role.value} cannot {action.value} {contract.ref}; that is signed by {names}"
        )
