"""Release receipts and sealed results: verified offline, step by step; tampering rejected."""

from __future__ import annotations

import base64
import datetime as dt
import json
from dataclasses import replace

import pytest

from contracts import Contract, contract_hash, pin_party_keys
from jobs.code import code_hash
from jobs.errors import ReceiptInvalid
from jobs.receipt import (
    ApprovalRecord,
    InputVersion,
    Receipt,
    SignedReceipt,
    output_digests,
    released_subject,
    sign_receipt,
    verify_receipt,
)
from jobs.sealed_result import ResultBundle, open_result, release_recipients, seal_result
from jobs.signed_decision import Decider, sign_decision
from kms import PartyKeyPair, generate_party_keys

from .conftest import NOW, load_example

FILES = {"by_segment.csv": b"segment,customers\ngold,120\nsilver,35\n"}


@pytest.fixture(scope="module")
def partner() -> PartyKeyPair:
    return generate_party_keys()


# acme-cn's own key: it signs its approval on its own machine; the contract pins it.
OWNER_KEYS = generate_party_keys()
PLATFORM_KEYS = generate_party_keys()
PARTNER_KEYS = generate_party_keys()


@pytest.fixture(scope="module")
def platform() -> PartyKeyPair:
    return PLATFORM_KEYS


@pytest.fixture
def contract() -> Contract:
    """The example contract with the parties' keys pinned, as the service proposes it."""
    keys = {
        "acme-cn": OWNER_KEYS.public.ed25519,
        "platform": PLATFORM_KEYS.public.ed25519,
        "globex-uk": PARTNER_KEYS.public.ed25519,
        "alice": generate_party_keys().public.ed25519,
    }
    return pin_party_keys(load_example(), keys)


def approval(
    receipt: Receipt,
    seat: str,
    keys: PartyKeyPair,
    *,
    person: str | None = None,
    outputs: tuple[tuple[str, str], ...] | None = None,
    at: dt.datetime = NOW,
) -> ApprovalRecord:
    """``seat``'s approval signed by ``keys`` (as ``person``) over the receipt's output."""
    subject = released_subject(receipt)
    if outputs is not None:
        subject = replace(subject, outputs=outputs)
    signer = "platform" if seat == "platform" else (person or seat)
    decider = Decider(seat, signer, person or seat)
    return ApprovalRecord(seat, at, sign_decision(subject, "approve", "", decider, keys, at))


def make_receipt(contract: Contract) -> Receipt:
    unsigned = replace(_receipt(contract), approvals=())
    return replace(
        unsigned,
        approvals=(
            approval(unsigned, "acme-cn", OWNER_KEYS),
            approval(unsigned, "platform", PLATFORM_KEYS, person="admin", at=LATER),
        ),
    )


LATER = NOW + dt.timedelta(minutes=5)


def _receipt(contract: Contract) -> Receipt:
    return Receipt(
        job_id="j-7",
        submitter="alice",
        contract_id=contract.id,
        contract_version=contract.version,
        contract_hash=contract_hash(contract),
        code_hash=code_hash(b"print('hello')\n"),
        image_digest="sha256:" + "ab" * 32,
        inputs=(InputVersion("customers", "sha256:" + "cd" * 32),),
        outputs=output_digests(FILES),
        approvals=(),
        checks_passed={"by_segment.csv": ("max_bytes", "small_groups")},
        recipients=("globex-uk",),
        released_at=NOW + dt.timedelta(minutes=6),
        code_interpreter="python",
        code_entry="analysis.py",
    )


@pytest.fixture
def signed(contract: Contract, platform: PartyKeyPair) -> bytes:
    return sign_receipt(make_receipt(contract), "platform", platform).to_bytes()


def test_a_genuine_receipt_verifies_offline_with_its_files_and_contract(
    contract: Contract, platform: PartyKeyPair, signed: bytes
) -> None:
    receipt = verify_receipt(
        signed, platform_key=platform.public.ed25519, outputs=FILES, contract=contract
    )
    assert receipt == make_receipt(contract)
    assert [a.reviewer for a in receipt.approvals] == ["acme-cn", "platform"]


def test_the_receipt_is_canonical_json_that_round_trips(contract: Contract, signed: bytes) -> None:
    document = json.loads(signed)
    assert signed == json.dumps(document, sort_keys=True, separators=(",", ":")).encode()
    assert Receipt.from_body(document["receipt"]) == make_receipt(contract)


def tamper(signed: bytes, edit: str, value: object) -> bytes:
    document = json.loads(signed)
    target = document["receipt"]
    *path, last = edit.split(".")
    for key in path:
        target = target[key]
    target[last] = value
    return json.dumps(document).encode()


@pytest.mark.parametrize(
    ("edit", "value"),
    [
        ("code_hash", "sha256:" + "00" * 32),
        ("recipients", ["globex-uk", "alice"]),
        ("contract.version", 2),
        ("approvals", []),
    ],
)
def test_a_tampered_receipt_fails_at_the_signature_step(
    platform: PartyKeyPair, signed: bytes, edit: str, value: object
) -> None:
    with pytest.raises(ReceiptInvalid, match="at step 'signature'") as caught:
        verify_receipt(tamper(signed, edit, value), platform_key=platform.public.ed25519)
    assert caught.value.step == "signature"


def test_a_receipt_signed_by_another_key_fails_at_the_signer_step(
    contract: Contract, platform: PartyKeyPair
) -> None:
    impostor = sign_receipt(make_receipt(contract), "platform", generate_party_keys()).to_bytes()
    with pytest.raises(ReceiptInvalid) as caught:
        verify_receipt(impostor, platform_key=platform.public.ed25519)
    assert caught.value.step == "signer"


def test_a_receipt_whose_signer_key_was_swapped_fails_at_the_signature_step(
    platform: PartyKeyPair, partner: PartyKeyPair, signed: bytes
) -> None:
    document = json.loads(signed)
    document["signature"]["ed25519"] = base64.b64encode(platform.public.ed25519).decode()
    document["signature"]["value"] = base64.b64encode(b"\x00" * 64).decode()
    with pytest.raises(ReceiptInvalid) as caught:
        verify_receipt(json.dumps(document).encode(), platform_key=platform.public.ed25519)
    assert caught.value.step == "signature"


def test_garbage_fails_at_the_parse_step(platform: PartyKeyPair) -> None:
    with pytest.raises(ReceiptInvalid) as caught:
        verify_receipt(b"{not json", platform_key=platform.public.ed25519)
    assert caught.value.step == "parse"
    assert "do not trust this result" in caught.value.message


def test_a_changed_output_file_fails_at_the_outputs_step(
    platform: PartyKeyPair, signed: bytes
) -> None:
    changed = {"by_segment.csv": FILES["by_segment.csv"].replace(b"120", b"121")}
    with pytest.raises(ReceiptInvalid, match=r"by_segment\.csv is not the file that was released"):
        verify_receipt(signed, platform_key=platform.public.ed25519, outputs=changed)
    extra = {**FILES, "raw.csv": b"mobile\n+8613800138000\n"}
    with pytest.raises(ReceiptInvalid, match=r"not released: raw\.csv") as caught:
        verify_receipt(signed, platform_key=platform.public.ed25519, outputs=extra)
    assert caught.value.step == "outputs"


def test_a_receipt_for_another_contract_version_fails_at_the_contract_step(
    contract: Contract, platform: PartyKeyPair
) -> None:
    other = replace(make_receipt(contract), contract_hash="f" * 64)
    data = sign_receipt(other, "platform", platform).to_bytes()
    with pytest.raises(ReceiptInvalid, match="is not the hash of contract c-12 v1") as caught:
        verify_receipt(data, platform_key=platform.public.ed25519, contract=contract)
    assert caught.value.step == "contract"


def test_a_receipt_without_the_quorum_fails_at_the_quorum_step(
    contract: Contract, platform: PartyKeyPair
) -> None:
    receipt = make_receipt(contract)
    owner_only = replace(receipt, approvals=receipt.approvals[:1])
    data = sign_receipt(owner_only, "platform", platform).to_bytes()
    with pytest.raises(ReceiptInvalid, match="1 approval\\(s\\) and contract c-12 v1 requires 2"):
        verify_receipt(data, platform_key=platform.public.ed25519, contract=contract)
    by_partner = replace(
        receipt,
        approvals=(receipt.approvals[0], approval(receipt, "globex-uk", PARTNER_KEYS)),
    )
    data = sign_receipt(by_partner, "platform", platform).to_bytes()
    with pytest.raises(ReceiptInvalid, match="approvals by globex-uk, who may not review"):
        verify_receipt(data, platform_key=platform.public.ed25519, contract=contract)


def test_the_partner_opens_and_verifies_its_sealed_result(
    contract: Contract, platform: PartyKeyPair, partner: PartyKeyPair, signed: bytes
) -> None:
    assert release_recipients(contract) == ("globex-uk",)
    sealed = seal_result(ResultBundle(FILES, signed), "j-7", {"globex-uk": partner.public})
    opened = open_result(
        sealed["globex-uk"],
        job_id="j-7",
        recipient="globex-uk",
        keys=partner,
        platform_key=platform.public.ed25519,
        contract=contract,
    )
    assert opened.files == FILES
    assert opened.receipt.job_id == "j-7"
    assert opened.receipt_bytes == signed


def test_a_tampered_sealed_result_is_rejected(
    platform: PartyKeyPair, partner: PartyKeyPair, signed: bytes
) -> None:
    sealed = seal_result(ResultBundle(FILES, signed), "j-7", {"globex-uk": partner.public})
    flipped = bytearray(sealed["globex-uk"])
    flipped[-20] ^= 0x01
    with pytest.raises(ReceiptInvalid) as caught:
        open_result(
            bytes(flipped),
            job_id="j-7",
            recipient="globex-uk",
            keys=partner,
            platform_key=platform.public.ed25519,
        )
    assert caught.value.step == "open"


def test_a_result_sealed_for_the_partner_does_not_open_for_the_scientist(
    platform: PartyKeyPair, partner: PartyKeyPair, signed: bytes
) -> None:
    sealed = seal_result(ResultBundle(FILES, signed), "j-7", {"globex-uk": partner.public})
    with pytest.raises(ReceiptInvalid, match="does not open with this key"):
        open_result(
            sealed["globex-uk"],
            job_id="j-7",
            recipient="globex-uk",
            keys=generate_party_keys(),
            platform_key=platform.public.ed25519,
        )


def test_a_result_sealed_for_one_job_does_not_open_as_another(
    platform: PartyKeyPair, partner: PartyKeyPair, signed: bytes
) -> None:
    sealed = seal_result(ResultBundle(FILES, signed), "j-7", {"globex-uk": partner.public})
    with pytest.raises(ReceiptInvalid) as caught:
        open_result(
            sealed["globex-uk"],
            job_id="j-8",
            recipient="globex-uk",
            keys=partner,
            platform_key=platform.public.ed25519,
        )
    assert caught.value.step == "open"


def test_a_bundle_whose_files_were_swapped_before_sealing_fails_at_outputs(
    platform: PartyKeyPair, partner: PartyKeyPair, signed: bytes
) -> None:
    swapped = ResultBundle({"by_segment.csv": b"segment,customers\ngold,3\n"}, signed)
    sealed = seal_result(swapped, "j-7", {"globex-uk": partner.public})
    with pytest.raises(ReceiptInvalid) as caught:
        open_result(
            sealed["globex-uk"],
            job_id="j-7",
            recipient="globex-uk",
            keys=partner,
            platform_key=platform.public.ed25519,
        )
    assert caught.value.step == "outputs"


def test_signed_receipts_are_values(contract: Contract, platform: PartyKeyPair) -> None:
    one = sign_receipt(make_receipt(contract), "platform", platform)
    assert isinstance(one, SignedReceipt)
    assert one.signer_key == platform.public.ed25519


def test_an_owner_approval_signed_over_other_outputs_fails_at_the_decisions_step(
    contract: Contract, platform: PartyKeyPair
) -> None:
    """The partner checks offline that acme-cn approved this very output, not another."""
    receipt = make_receipt(contract)
    elsewhere = approval(receipt, "acme-cn", OWNER_KEYS, outputs=(("by_segment.csv", "0" * 64),))
    data = sign_receipt(
        replace(receipt, approvals=(elsewhere, receipt.approvals[1])), "platform", platform
    ).to_bytes()
    with pytest.raises(ReceiptInvalid, match="signed another decision") as caught:
        verify_receipt(data, platform_key=platform.public.ed25519, outputs=FILES)
    assert caught.value.step == "decisions"


def test_an_unsigned_approval_fails_at_the_decisions_step(
    contract: Contract, platform: PartyKeyPair
) -> None:
    receipt = make_receipt(contract)
    unsigned = ApprovalRecord("acme-cn", NOW)
    data = sign_receipt(
        replace(receipt, approvals=(unsigned, receipt.approvals[1])), "platform", platform
    ).to_bytes()
    with pytest.raises(ReceiptInvalid, match="acme-cn carries no signature") as caught:
        verify_receipt(data, platform_key=platform.public.ed25519)
    assert caught.value.step == "decisions"


def test_an_owner_approval_by_a_key_the_contract_does_not_pin_fails_at_the_quorum_step(
    contract: Contract, platform: PartyKeyPair
) -> None:
    """A platform that forged acme-cn's approval with a key of its own is caught offline."""
    receipt = make_receipt(contract)
    forged = approval(receipt, "acme-cn", generate_party_keys())
    data = sign_receipt(
        replace(receipt, approvals=(forged, receipt.approvals[1])), "platform", platform
    ).to_bytes()
    verify_receipt(data, platform_key=platform.public.ed25519)  # self-consistent alone
    with pytest.raises(ReceiptInvalid, match="not the one contract c-12 v1 pins for acme-cn"):
        verify_receipt(data, platform_key=platform.public.ed25519, contract=contract)


def test_an_approval_by_the_contracts_scientist_for_her_organisation_does_not_count(
    contract: Contract, platform: PartyKeyPair
) -> None:
    receipt = make_receipt(contract)
    by_alice = approval(receipt, "acme-cn", generate_party_keys(), person="alice")
    data = sign_receipt(
        replace(receipt, approvals=(by_alice, receipt.approvals[1])), "platform", platform
    ).to_bytes()
    with pytest.raises(ReceiptInvalid, match="alice submitted the job or is a scientist"):
        verify_receipt(data, platform_key=platform.public.ed25519, contract=contract)
