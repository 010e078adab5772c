"""Pinning party keys into a contract, so its hash commits to them."""

from __future__ import annotations

import base64
from collections.abc import Mapping

from contracts.errors import ContractInvalid, ContractIssue
from contracts.model import Contract
from contracts.names import ED25519_PUBLIC_KEY_BYTES


def pin_party_keys(
    contract: Contract,
    keys: Mapping[str, bytes],
    sealing_keys: Mapping[str, bytes] | None = None,
) -> Contract:
    """A copy of ``contract`` with every party's raw Ed25519 public key pinned
    (and, given ``sealing_keys``, its X25519 key results are sealed to).

    ``keys`` is the party registry (it may hold more parties than the contract).
    A party missing from it, a malformed key, or a pinned key that differs from
    the registry's is refused: the service would otherwise propose a contract
    whose signatures nobody can verify, or quietly swap a party's key.
    """
    issues: list[ContractIssue] = []
    parties = []
    for index, party in enumerate(contract.parties):
        path = f"parties[{index}].public_key"
        raw = keys.get(party.name)
        if raw is None:
            issues.append(
                ContractIssue(path, f"no public key for {party.name} in the party registry")
            )
            parties.append(party)
            continue
        if len(raw) != ED25519_PUBLIC_KEY_BYTES:
            issues.append(
                ContractIssue(path, f"the registry key for {party.name} is not an Ed25519 key")
            )
            parties.append(party)
            continue
        encoded = base64.b64encode(raw).decode("ascii")
        if party.public_key is not None and party.public_key != encoded:
            issues.append(
                ContractIssue(
                    path,
                    f"the key pinned for {party.name} differs from the registry's: "
                    "remove it or register the right key",
                )
            )
        update = {"public_key": encoded}
        sealing = (sealing_keys or {}).get(party.name)
        if sealing is not None:
            sealing_encoded = base64.b64encode(sealing).decode("ascii")
            if party.sealing_key is not None and party.sealing_key != sealing_encoded:
                issues.append(
                    ContractIssue(
                        f"parties[{index}].sealing_key",
                        f"the sealing key pinned for {party.name} differs from the registry's: "
                        "remove it or register the right key",
                    )
                )
            update["sealing_key"] = sealing_encoded
        parties.append(party.model_copy(update=update))
    if issues:
        raise ContractInvalid(f"{contract.ref}", issues)
    return contract.model_copy(update={"parties": tuple(parties)})
