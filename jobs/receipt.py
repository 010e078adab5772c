"""The release receipt: what was released, from what, approved by whom, signed by the platform.

A receipt commits to the output hashes, the contract (id, version, hash), the
code hash, the image digest, the input dataset version hashes, the approvals
and the checks each output passed. It is canonical JSON (``contracts``'
canonical form) signed with the platform's Ed25519 key under a domain prefix,
so a signature over anything else never verifies as a receipt.

Verification runs offline, from files, as numbered steps, each its own function,
so a failure names the step (after sigstore-python's verifier, but with the
steps in code rather than in comments):

    1. parse      the file is a signed receipt in this format
    2. signer     it claims to be signed by the platform key the verifier trusts
    3. signature  the signature verifies over the canonical receipt
    4. contract   it is for the contract the verifier expects (when given)
    5. decisions  every approval is its decider's signature over this very receipt's
                  contract, job, code (hash, interpreter, entry) and output digests
    6. quorum     its approvals meet the contract's quorum, without the submitter or a
                  scientist, each signed by the key the contract pins for its signer
                  (the platform's by the trusted platform key)
    7. outputs    the files in hand are exactly the released ones, byte for byte

A decision signed by a person the contract does not name carries that person's
registered key; the platform's signature over the receipt vouches for it.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from contracts import (
    Contract,
    ContractError,
    OutputClass,
    Role,
    canonical_json,
    contract_hash,
    who_must_review,
)
from jobs.errors import DecisionSignatureInvalid, ReceiptInvalid
from jobs.signed_decision import (
    CodeIdentity,
    DecisionKind,
    DecisionSubject,
    SignedDecision,
    verify_decision,
)
from kms import PartyKeyPair, sign

RECEIPT_FORMAT = "sealroom.release-receipt/v2"
_SIGNING_DOMAIN = b"sealroom-release-receipt-v2\x00"


@dataclass(frozen=True)
class OutputDigest:
    name: str
    sha256: str
    size: int


@dataclass(frozen=True)
class InputVersion:
    dataset: str
    version_hash: str


@dataclass(frozen=True)
class ApprovalRecord:
    reviewer: str  # the quorum seat (an organisation, or a party itself)
    approved_at: dt.datetime
    signed: SignedDecision | None = None  # the decider's signature; required to verify

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "reviewer": self.reviewer,
            "approved_at": self.approved_at.isoformat(),
        }
        if self.signed is not None:
            body["signed"] = self.signed.to_json()
        return body

    @classmethod
    def from_body(cls, body: Mapping[str, Any]) -> ApprovalRecord:
        signed = body.get("signed")
        return cls(
            str(body["reviewer"]),
            dt.datetime.fromisoformat(body["approved_at"]),
            None if signed is None else SignedDecision.from_json(signed),
        )


@dataclass(frozen=True)
class Receipt:
    job_id: str
    submitter: str
    contract_id: str
    contract_version: int
    contract_hash: str
    code_hash: str
    image_digest: str
    inputs: tuple[InputVersion, ...]
    outputs: tuple[OutputDigest, ...]
    approvals: tuple[ApprovalRecord, ...]
    checks_passed: Mapping[str, tuple[str, ...]]
    recipients: tuple[str, ...]
    released_at: dt.datetime
    output_class: str = OutputClass.TABLE.value
    code_interpreter: str = ""
    code_entry: str = ""
    code_approvals: tuple[SignedDecision, ...] = ()

    def body(self) -> dict[str, Any]:
        """The JSON data that is signed."""
        return {
            "format": RECEIPT_FORMAT,
            "job_id": self.job_id,
            "submitter": self.submitter,
            "contract": {
                "id": self.contract_id,
                "version": self.contract_version,
                "hash": self.contract_hash,
            },
            "code_hash": self.code_hash,
            "code_interpreter": self.code_interpreter,
            "code_entry": self.code_entry,
            "code_approvals": [a.to_json() for a in self.code_approvals],
            "image_digest": self.image_digest,
            "inputs": [{"dataset": i.dataset, "version_hash": i.version_hash} for i in self.inputs],
            "outputs": [{"name": o.name, "sha256": o.sha256, "size": o.size} for o in self.outputs],
            "approvals": [a.body() for a in self.approvals],
            "checks_passed": {name: list(checks) for name, checks in self.checks_passed.items()},
            "recipients": list(self.recipients),
            "released_at": self.released_at.isoformat(),
            "output_class": self.output_class,
        }

    @classmethod
    def from_body(cls, body: Mapping[str, Any]) -> Receipt:
        """Inverse of ``body``; KeyError, TypeError or ValueError when malformed."""
        if body["format"] != RECEIPT_FORMAT:
            raise ValueError(f"format is {body['format']!r}, not {RECEIPT_FORMAT}")
        contract = body["contract"]
        return cls(
            job_id=str(body["job_id"]),
            submitter=str(body["submitter"]),
            contract_id=str(contract["id"]),
            contract_version=int(contract["version"]),
            contract_hash=str(contract["hash"]),
            code_hash=str(body["code_hash"]),
            code_interpreter=str(body["code_interpreter"]),
            code_entry=str(body["code_entry"]),
            code_approvals=tuple(SignedDecision.from_json(a) for a in body["code_approvals"]),
            image_digest=str(body["image_digest"]),
            inputs=tuple(InputVersion(i["dataset"], i["version_hash"]) for i in body["inputs"]),
            outputs=tuple(
                OutputDigest(o["name"], o["sha256"], int(o["size"])) for o in body["outputs"]
            ),
            approvals=tuple(ApprovalRecord.from_body(a) for a in body["approvals"]),
            checks_passed={str(k): tuple(v) for k, v in body["checks_passed"].items()},
            recipients=tuple(body["recipients"]),
            released_at=dt.datetime.fromisoformat(body["released_at"]),
            output_class=str(body["output_class"]),
        )


def output_digests(files: Mapping[str, bytes]) -> tuple[OutputDigest, ...]:
    """The digests a receipt records for released ``files``, in name order."""
    return tuple(
        OutputDigest(name, hashlib.sha256(data).hexdigest(), len(data))
        for name, data in sorted(files.items())
    )


@dataclass(frozen=True)
class SignedReceipt:
    receipt: Receipt
    signer: str  # the platform's party name
    signer_key: bytes  # its raw Ed25519 public key
    signature: bytes

    def to_bytes(self) -> bytes:
        """The receipt file: canonical JSON, what ``result verify`` reads."""
        return canonical_json(
            {
                "receipt": self.receipt.body(),
                "signature": {
                    "signer": self.signer,
                    "ed25519": base64.b64encode(self.signer_key).decode("ascii"),
                    "value": base64.b64encode(self.signature).decode("ascii"),
                },
            }
        )


def signed_message(receipt: Receipt) -> bytes:
    return _SIGNING_DOMAIN + canonical_json(receipt.body())


def sign_receipt(receipt: Receipt, platform: str, keys: PartyKeyPair) -> SignedReceipt:
    return SignedReceipt(
        receipt, platform, keys.public.ed25519, sign(keys, signed_message(receipt))
    )


# Verification, one function per step.


def step_parse(data: bytes) -> SignedReceipt:
    """1. The file is a signed receipt in this format."""
    try:
        document = json.loads(data)
        signature = document["signature"]
        return SignedReceipt(
            receipt=Receipt.from_body(document["receipt"]),
            signer=str(signature["signer"]),
            signer_key=base64.b64decode(signature["ed25519"], validate=True),
            signature=base64.b64decode(signature["value"], validate=True),
        )
    except (
        ValueError,
        KeyError,
        TypeError,
        AttributeError,
        binascii.Error,
        DecisionSignatureInvalid,
    ) as err:
        raise ReceiptInvalid(
            "parse", f"the file is not a {RECEIPT_FORMAT} document ({type(err).__name__})"
        ) from err


def step_signer(signed: SignedReceipt, platform_key: bytes) -> None:
    """2. It names the platform key the verifier trusts (from the contract or registry)."""
    if not hmac.compare_digest(signed.signer_key, platform_key):
        raise ReceiptInvalid(
            "signer", f"it is signed by a key that is not the platform's ({signed.signer})"
        )


def step_signature(signed: SignedReceipt) -> None:
    """3. The signature verifies over the canonical receipt (opaque when it does not)."""
    try:
        public = Ed25519PublicKey.from_public_bytes(signed.signer_key)
        public.verify(signed.signature, signed_message(signed.receipt))
    except (InvalidSignature, ValueError) as err:
        raise ReceiptInvalid("signature", "the signature does not match the receipt") from err


def step_contract(receipt: Receipt, contract: Contract) -> None:
    """4. It is for the contract version the verifier holds."""
    expected = contract_hash(contract)
    if (receipt.contract_id, receipt.contract_version) != (contract.id, contract.version):
        raise ReceiptInvalid(
            "contract",
            f"it is for contract {receipt.contract_id} v{receipt.contract_version}, not "
            f"{contract.ref}",
        )
    if receipt.contract_hash != expected:
        raise ReceiptInvalid(
            "contract",
            f"its contract hash {receipt.contract_hash[:16]} is not the hash of "
            f"{contract.ref} ({expected[:16]})",
        )


def released_subject(receipt: Receipt) -> DecisionSubject:
    """What the release votes had to sign: this receipt's contract, job, code and outputs."""
    return DecisionSubject(
        kind=DecisionKind.RELEASE_VOTE,
        contract_id=receipt.contract_id,
        contract_version=receipt.contract_version,
        contract_hash=receipt.contract_hash,
        job_id=receipt.job_id,
        code=CodeIdentity(receipt.code_hash, receipt.code_interpreter, receipt.code_entry),
        outputs=tuple((o.name, o.sha256) for o in receipt.outputs),
    )


def step_decisions(receipt: Receipt) -> None:
    """5. Every approval is its decider's signature over this very output."""
    subject = released_subject(receipt)
    if not receipt.approvals:
        raise ReceiptInvalid("decisions", "it carries no approvals")
    for approval in receipt.approvals:
        signed = approval.signed
        if signed is None:
            raise ReceiptInvalid(
                "decisions", f"the approval of {approval.reviewer} carries no signature"
            )
        who = f"{signed.decider.person} for {approval.reviewer}"
        if signed.subject != subject or signed.decision != "approve":
            raise ReceiptInvalid(
                "decisions", f"{who} signed another decision than the approval of this output"
            )
        if signed.decider.seat != approval.reviewer:
            raise ReceiptInvalid("decisions", f"{who} signed for {signed.decider.seat}")
        try:
            verify_decision(signed)
        except DecisionSignatureInvalid as err:
            raise ReceiptInvalid("decisions", f"the approval by {who} does not verify") from err


def step_deciders(receipt: Receipt, contract: Contract, platform_key: bytes) -> None:
    """6a. Each signer may decide (not the submitter, not a scientist) and signed with the
    key the contract pins for it, or the trusted platform key for the platform's seat."""
    for approval in receipt.approvals:
        signed = approval.signed
        if signed is None:
            continue  # step 5 refuses it
        decider = signed.decider
        for name in {decider.person, decider.signer}:
            party = contract.party(name)
            if name == receipt.submitter or (party is not None and party.has_role(Role.SCIENTIST)):
                raise ReceiptInvalid(
                    "quorum",
                    f"{name} submitted the job or is a scientist of {contract.ref}, and may "
                    "not approve its outputs",
                )
        pinned = contract.party(decider.signer)
        if pinned is not None and pinned.has_role(Role.PLATFORM):
            expected = platform_key
        elif pinned is not None and pinned.public_key is not None:
            expected = base64.b64decode(pinned.public_key)
        elif pinned is not None:
            raise ReceiptInvalid("quorum", f"{contract.ref} pins no key for {decider.signer}")
        else:
            # A person the contract does not name: the platform-signed receipt vouches for
            # its registered key.
            expected = signed.signer_key
        if not hmac.compare_digest(signed.signer_key, expected):
            raise ReceiptInvalid(
                "quorum",
                f"the approval for {approval.reviewer} is signed by a key that is not the one "
                f"{contract.ref} pins for {decider.signer}",
            )


def step_quorum(receipt: Receipt, contract: Contract) -> None:
    """6. Its approvals meet the contract's quorum, from eligible reviewers only."""
    try:
        quorum = who_must_review(contract, OutputClass(receipt.output_class), receipt.submitter)
    except (ContractError, ValueError) as err:
        raise ReceiptInvalid("quorum", f"no valid quorum applies to it ({err})") from err
    reviewers = [a.reviewer for a in receipt.approvals]
    ineligible = sorted({r for r in reviewers if r not in quorum.reviewers})
    if ineligible:
        raise ReceiptInvalid(
            "quorum", f"it counts approvals by {', '.join(ineligible)}, who may not review it"
        )
    distinct = len(set(reviewers))
    if distinct < quorum.required:
        raise ReceiptInvalid(
            "quorum",
            f"it has {distinct} approval(s) and {contract.ref} requires {quorum.required}",
        )


def step_outputs(receipt: Receipt, files: Mapping[str, bytes]) -> None:
    """7. The files in hand are exactly the released ones, byte for byte."""
    expected = {o.name: o for o in receipt.outputs}
    if set(files) != set(expected):
        missing = sorted(set(expected) - set(files))
        extra = sorted(set(files) - set(expected))
        raise ReceiptInvalid(
            "outputs",
            f"the files do not match the receipt (missing: {', '.join(missing) or 'none'}; "
            f"not released: {', '.join(extra) or 'none'})",
        )
    for name, data in sorted(files.items()):
        if hashlib.sha256(data).hexdigest() != expected[name].sha256:
            raise ReceiptInvalid("outputs", f"{name} is not the file that was released")


def verify_receipt(
    data: bytes,
    *,
    platform_key: bytes,
    outputs: Mapping[str, bytes] | None = None,
    contract: Contract | None = None,
) -> Receipt:
    """Run the steps in order; the first failing one raises ``ReceiptInvalid`` naming it."""
    signed = step_parse(data)
    step_signer(signed, platform_key)
    step_signature(signed)
    if contract is not None:
        step_contract(signed.receipt, contract)
    step_decisions(signed.receipt)
    if contract is not None:
        step_deciders(signed.receipt, contract, platform_key)
        step_quorum(signed.receipt, contract)
    if outputs is not None:
        step_outputs(signed.receipt, outputs)
    return signed.receipt
