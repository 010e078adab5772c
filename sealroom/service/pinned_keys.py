"""The keys a result may be sealed to: those the signed contract pins, never the registry's.

The parties table is the store's word, and anyone who can write the store could
swap a recipient's key for their own; the contract's hash (which owner, platform
and recipient signed) commits to the pinned keys. A recipient who rotates or
loses a key therefore receives nothing sealed to the new one until a new
contract version pinning it is approved.
"""

from __future__ import annotations

import base64

from contracts import Contract
from kms import PartyPublicKeys
from sealroom.errors import PermissionDenied


class RecipientKeyNotPinned(PermissionDenied):
    """The contract pins no sealing key for a recipient, so nothing is sealed to it."""


def pinned_recipient_keys(contract: Contract, recipient: str) -> PartyPublicKeys:
    party = contract.party(recipient)
    if party is None or party.public_key is None or party.sealing_key is None:
        raise RecipientKeyNotPinned(
            f"{contract.ref} pins no sealing key for {recipient}, so nothing is sealed to it: "
            "propose a new version of the contract (the service pins the registered keys) and "
            "have it approved and accepted"
        )
    return PartyPublicKeys(
        x25519=base64.b64decode(party.sealing_key), ed25519=base64.b64decode(party.public_key)
    )
