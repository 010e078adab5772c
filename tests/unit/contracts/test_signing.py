"""Approvals are Ed25519 signatures over the contract hash; the signed file verifies offline."""

from __future__ import annotations

import base64
import datetime as dt
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from contracts import (
    ActionKind,
    Approval,
    Contract,
    ContractExpired,
    ContractInvalid,
    IllegalTransition,
    Role,
    RoleNotGranted,
    SignatureInvalid,
    State,
    approval_message,
    contract_hash,
    dump_signed_contract,
    load_contract,
    load_signed_contract,
    load_signed_contract_file,
    pin_party_keys,
    sign_approval,
    signed_contract,
    verify_approval,
    verify_signed_contract,
)
from tests.unit.contracts.conftest import NOW, raw_public

Keys = dict[str, Ed25519PrivateKey]
SIGNED_AT = dt.datetime(2025, 12, 20, 10, 0, tzinfo=dt.UTC)


def sign(
    contract: Contract, keys: Keys, party: str, role: Role, action: ActionKind, minutes: int = 0
) -> Approval:
    return sign_approval(
        contract,
        keys[party],
        party=party,
        role=role,
        action=action,
        signed_at=SIGNED_AT + dt.timedelta(minutes=minutes),
    )


def full_approvals(contract: Contract, keys: Keys) -> list[Approval]:
    return [
        sign(contract, keys, "acme-cn", Role.OWNER, ActionKind.APPROVE, 0),
        sign(contract, keys, "platform", Role.PLATFORM, ActionKind.APPROVE, 1),
        sign(contract, keys, "globex-uk", Role.RECIPIENT, ActionKind.ACCEPT, 2),
    ]


def test_pinning_keys_commits_the_hash_to_them(example: Contract, party_keys: Keys) -> None:
    pinned = pin_party_keys(example, {n: raw_public(k) for n, k in party_keys.items()})
    assert all(p.public_key for p in pinned.parties)
    assert contract_hash(pinned) != contract_hash(example)
    other = Ed25519PrivateKey.from_private_bytes(b"\x42" * 32)
    swapped = {n: raw_public(k) for n, k in party_keys.items()} | {"alice": raw_public(other)}
    assert contract_hash(pin_party_keys(example, swapped)) != contract_hash(pinned)


def test_pinning_refuses_missing_and_conflicting_keys(pinned: Contract, party_keys: Keys) -> None:
    registry = {n: raw_public(k) for n, k in party_keys.items() if n != "alice"}
    with pytest.raises(ContractInvalid, match="no public key for alice in the party registry"):
        pin_party_keys(pinned, registry)
    registry["alice"] = raw_public(Ed25519PrivateKey.from_private_bytes(b"\x07" * 32))
    with pytest.raises(ContractInvalid, match="the key pinned for alice differs from the registry"):
        pin_party_keys(pinned, registry)


def test_a_fully_signed_contract_verifies_as_active(pinned: Contract, party_keys: Keys) -> None:
    verification = verify_signed_contract(
        signed_contract(pinned, full_approvals(pinned, party_keys)), NOW
    )
    assert verification.state is State.ACTIVE
    assert verification.status.approvals == {"acme-cn", "platform"}
    assert verification.contract_hash == contract_hash(pinned)


def test_owner_signature_alone_leaves_it_proposed(pinned: Contract, party_keys: Keys) -> None:
    approvals = [sign(pinned, party_keys, "acme-cn", Role.OWNER, ActionKind.APPROVE)]
    assert verify_signed_contract(signed_contract(pinned, approvals), NOW).state is State.PROPOSED


def test_signed_file_round_trips_and_verifies_offline(
    pinned: Contract, party_keys: Keys, tmp_path: Path
) -> None:
    path = tmp_path / "c-12-v1.signed.json"
    path.write_text(
        dump_signed_contract(signed_contract(pinned, full_approvals(pinned, party_keys)))
    )
    loaded = load_signed_contract_file(path)
    assert verify_signed_contract(loaded, NOW).state is State.ACTIVE


def test_editing_the_contract_in_the_signed_file_is_detected(
    pinned: Contract, party_keys: Keys
) -> None:
    text = dump_signed_contract(signed_contract(pinned, full_approvals(pinned, party_keys)))
    document = json.loads(text)
    document["contract"]["output"]["min_group_size"] = 2
    with pytest.raises(SignatureInvalid, match="was changed after it was hashed"):
        verify_signed_contract(load_signed_contract(json.dumps(document)), NOW)
    # Restating the hash does not help: the signatures cover the original.
    edited = load_signed_contract(json.dumps(document))
    rehashed = edited.model_copy(update={"contract_hash": contract_hash(edited.contract)})
    with pytest.raises(SignatureInvalid) as caught:
        verify_signed_contract(rehashed, NOW)
    assert caught.value.message == (
        "the approve signature by acme-cn on contract c-12 v1 does not verify: the contract or "
        "the approval was altered, or signed with another key; ask acme-cn to sign again"
    )


def test_a_signature_does_not_carry_over_to_a_new_version(
    pinned: Contract, party_keys: Keys
) -> None:
    approval = sign(pinned, party_keys, "acme-cn", Role.OWNER, ActionKind.APPROVE)
    v2 = pinned.model_copy(update={"version": 2})
    with pytest.raises(SignatureInvalid):
        verify_approval(v2, approval)


@pytest.mark.parametrize(
    "field",
    [
        {"action": ActionKind.REVOKE},
        {"signed_at": SIGNED_AT + dt.timedelta(days=1)},
    ],
)
def test_a_signature_covers_action_and_time(
    pinned: Contract, party_keys: Keys, field: dict[str, object]
) -> None:
    approval = sign(pinned, party_keys, "acme-cn", Role.OWNER, ActionKind.APPROVE)
    with pytest.raises(SignatureInvalid):
        verify_approval(pinned, approval.model_copy(update=field))


def test_signature_by_another_key_is_refused(pinned: Contract, party_keys: Keys) -> None:
    forged = sign_approval(
        pinned,
        party_keys["globex-uk"],  # the partner signing as the owner
        party="acme-cn",
        role=Role.OWNER,
        action=ActionKind.APPROVE,
        signed_at=SIGNED_AT,
    )
    with pytest.raises(SignatureInvalid):
        verify_approval(pinned, forged)


def test_partner_cannot_sign_an_approval(pinned: Contract, party_keys: Keys) -> None:
    with pytest.raises(RoleNotGranted) as caught:
        sign(pinned, party_keys, "globex-uk", Role.RECIPIENT, ActionKind.APPROVE)
    assert caught.value.message == (
        "a recipient cannot approve contract c-12 v1; that is signed by owner or platform"
    )


def test_unpinned_party_cannot_be_verified(example: Contract, party_keys: Keys) -> None:
    approval = sign(example, party_keys, "acme-cn", Role.OWNER, ActionKind.APPROVE)
    with pytest.raises(SignatureInvalid, match="pins no public key for acme-cn"):
        verify_approval(example, approval)


def test_acceptance_before_dual_approval_fails_the_lifecycle_step(
    pinned: Contract, party_keys: Keys
) -> None:
    approvals = [
        sign(pinned, party_keys, "acme-cn", Role.OWNER, ActionKind.APPROVE, 0),
        sign(pinned, party_keys, "globex-uk", Role.RECIPIENT, ActionKind.ACCEPT, 1),
        sign(pinned, party_keys, "platform", Role.PLATFORM, ActionKind.APPROVE, 2),
    ]
    with pytest.raises(IllegalTransition, match="a recipient cannot accept it now"):
        verify_signed_contract(signed_contract(pinned, approvals), NOW)


def test_verification_reports_a_revocation_and_expiry(pinned: Contract, party_keys: Keys) -> None:
    approvals = [
        *full_approvals(pinned, party_keys),
        sign(pinned, party_keys, "platform", Role.PLATFORM, ActionKind.REVOKE, 10),
    ]
    verification = verify_signed_contract(signed_contract(pinned, approvals), NOW)
    assert verification.state is State.REVOKED
    assert verification.status.revoked_by == "platform"
    late = dt.datetime(2028, 3, 1, tzinfo=dt.UTC)
    assert (
        verify_signed_contract(
            signed_contract(pinned, full_approvals(pinned, party_keys)), late
        ).state
        is State.EXPIRED
    )


def test_approval_signed_after_expiry_is_refused(pinned: Contract, party_keys: Keys) -> None:
    late = sign_approval(
        pinned,
        party_keys["acme-cn"],
        party="acme-cn",
        role=Role.OWNER,
        action=ActionKind.APPROVE,
        signed_at=dt.datetime(2028, 1, 2, tzinfo=dt.UTC),
    )
    with pytest.raises(ContractExpired):
        verify_signed_contract(signed_contract(pinned, [late]), NOW)


def test_message_is_domain_separated_and_names_every_bound_field(pinned: Contract) -> None:
    message = approval_message(
        pinned, party="acme-cn", role=Role.OWNER, action=ActionKind.APPROVE, signed_at=SIGNED_AT
    )
    prefix = b"sealroom/contract-approval/v1\x00"
    assert message.startswith(prefix)
    body = json.loads(message[len(prefix) :])
    assert body == {
        "action": "approve",
        "contract_hash": contract_hash(pinned),
        "contract_id": "c-12",
        "party": "acme-cn",
        "role": "owner",
        "signed_at": "2025-12-20T10:00:00.000000+00:00",
        "version": 1,
    }


def test_signed_time_in_another_zone_is_the_same_instant(
    pinned: Contract, party_keys: Keys
) -> None:
    approval = sign(pinned, party_keys, "acme-cn", Role.OWNER, ActionKind.APPROVE)
    shanghai = approval.signed_at.astimezone(dt.timezone(dt.timedelta(hours=8)))
    verify_approval(pinned, approval.model_copy(update={"signed_at": shanghai}))


def test_malformed_signed_file_is_located(pinned: Contract, party_keys: Keys) -> None:
    document = json.loads(
        dump_signed_contract(signed_contract(pinned, full_approvals(pinned, party_keys)))
    )
    document["approvals"][1]["signature"] = base64.b64encode(b"short").decode()
    document["contract"]["validity"]["end"] = "2025-01-01"
    text = json.dumps(document, indent=2)
    with pytest.raises(ContractInvalid) as caught:
        load_signed_contract(text, "c-12.signed.json")
    issue = caught.value.issues[0]
    assert issue.path == "approvals[1].signature"
    assert issue.line is not None
    assert "signature must decode to 64 bytes" in issue.message


def test_contract_inside_a_signed_file_gets_the_same_checks(pinned: Contract) -> None:
    document = json.loads(dump_signed_contract(signed_contract(pinned)))
    document["contract"]["validity"]["end"] = "2025-01-01"
    with pytest.raises(ContractInvalid) as caught:
        load_signed_contract(json.dumps(document, indent=2), "c-12.signed.json")
    assert [i.path for i in caught.value.issues] == ["contract.validity.end"]


def test_signed_file_contract_is_the_loaded_yaml(pinned: Contract) -> None:
    text = dump_signed_contract(signed_contract(pinned))
    assert load_signed_contract(text).contract == pinned
    assert load_contract(json.dumps(json.loads(text)["contract"])) == pinned
