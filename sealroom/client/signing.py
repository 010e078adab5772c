"""Signing a contract step on the caller's machine, only after checking what is signed.

The server sends the contract and its hash; the caller recomputes the hash and
checks that the key the contract pins for its party is its own before its key
signs anything. The private key never leaves this machine: only the signed step
goes to the server.
"""

from __future__ import annotations

import base64
from datetime import datetime

from contracts import ActionKind, Contract, Role, approval_message, contract_hash, load_contract
from kms import PartyKeyPair, sign
from sealroom.client.errors import ApiError
from sealroom.client.models import ApprovalBody, ContractInfo, SignedStep


class ContractMismatch(ApiError):
    """The contract the server sent is not one the caller should sign."""

    def __init__(self, message: str) -> None:
        super().__init__(message, 0)


def verified_contract(info: ContractInfo, party: str, keys: PartyKeyPair) -> Contract:
    """The contract as the caller will sign it, after checking it locally.

    The hash is recomputed here rather than trusted, and the key the contract
    pinned for ``party`` must be the caller's own: a server that swapped either
    would otherwise collect a signature on something the party never saw.
    """
    contract = load_contract(info.document, f"{info.id} v{info.version}")
    if contract_hash(contract) != info.contract_hash:
        raise ContractMismatch(
            f"the document of {info.id} v{info.version} does not hash to the hash the "
            "server reports: do not sign it; tell the platform operator"
        )
    pinned = contract.party(party)
    own = base64.b64encode(keys.public.ed25519).decode("ascii")
    if pinned is None or pinned.public_key != own:
        raise ContractMismatch(
            f"{info.id} v{info.version} does not pin your signing key for {party}: do not "
            "sign it; compare your key fingerprint with `sealroom party show`"
        )
    sealing = base64.b64encode(keys.public.x25519).decode("ascii")
    if pinned.sealing_key is not None and pinned.sealing_key != sealing:
        # Results are sealed only to the pinned key: signing a contract that pins
        # another one would hand this party's results to whoever holds it.
        raise ContractMismatch(
            f"{info.id} v{info.version} pins a sealing key for {party} that is not yours: do "
            "not sign it; compare your key fingerprint with `sealroom party show`"
        )
    return contract


def signed_step(
    contract: Contract,
    action: ActionKind | str,
    *,
    party: str,
    role: Role | str,
    keys: PartyKeyPair,
    signed_at: datetime,
) -> SignedStep:
    """``party``'s signature, as ``role``, on ``action`` over the verified ``contract``."""
    step_action, step_role = ActionKind(action), Role(role)
    message = approval_message(
        contract, party=party, role=step_role, action=step_action, signed_at=signed_at
    )
    return SignedStep(
        version=contract.version,
        approval=ApprovalBody(
            party=party,
            role=step_role.value,
            action=step_action.value,
            signed_at=signed_at,
            signature=base64.b64encode(sign(keys, message)).decode("ascii"),
        ),
    )
