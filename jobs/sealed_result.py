"""The result bundle each recipient downloads: released files plus the signed receipt,
sealed to that recipient's X25519 key with ``kms.seal_for``.

The seal's context binds the job and the recipient, so a bundle sealed for one
release or one party does not open as another's. Opening proves nothing about
the sender; the receipt inside does: ``open_result`` verifies it against the
platform key and the files before returning anything.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass

from contracts import Contract, Role, canonical_json
from jobs.errors import ReceiptInvalid
from jobs.receipt import Receipt, verify_receipt
from kms import PartyKeyPair, PartyPublicKeys, SealedMessageInvalid, open_sealed, seal_for

BUNDLE_FORMAT = "sealroom.result-bundle/v1"


def release_recipients(contract: Contract) -> tuple[str, ...]:
    """Who gets a sealed copy: the contract's recipients, and nobody else (the submitter
    only if the contract lists it as a recipient)."""
    return contract.holders(Role.RECIPIENT)


def seal_context(job_id: str, recipient: str) -> bytes:
    return f"sealroom-result-v1|job={job_id}|recipient={recipient}".encode()


@dataclass(frozen=True)
class ResultBundle:
    files: Mapping[str, bytes]
    receipt: bytes  # the signed receipt file

    def to_bytes(self) -> bytes:
        return canonical_json(
            {
                "format": BUNDLE_FORMAT,
                "files": {n: base64.b64encode(d).decode("ascii") for n, d in self.files.items()},
                "receipt": base64.b64encode(self.receipt).decode("ascii"),
            }
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> ResultBundle:
        try:
            document = json.loads(data)
            if document["format"] != BUNDLE_FORMAT:
                raise ValueError("unknown bundle format")
            files = {
                str(n): base64.b64decode(d, validate=True) for n, d in document["files"].items()
            }
            return cls(files, base64.b64decode(document["receipt"], validate=True))
        except (ValueError, KeyError, TypeError, AttributeError, binascii.Error) as err:
            raise ReceiptInvalid(
                "open", f"the opened result is not a {BUNDLE_FORMAT} document"
            ) from err


def seal_result(
    bundle: ResultBundle, job_id: str, recipients: Mapping[str, PartyPublicKeys]
) -> dict[str, bytes]:
    """One sealed copy per recipient, by party name."""
    plaintext = bundle.to_bytes()
    return {
        name: seal_for(keys, plaintext, seal_context(job_id, name))
        for name, keys in recipients.items()
    }


@dataclass(frozen=True)
class OpenedResult:
    receipt: Receipt
    files: Mapping[str, bytes]
    receipt_bytes: bytes


def open_result(
    sealed: bytes,
    *,
    job_id: str,
    recipient: str,
    keys: PartyKeyPair,
    platform_key: bytes,
    contract: Contract | None = None,
) -> OpenedResult:
    """Open a sealed result and verify its receipt and files; ``ReceiptInvalid`` names the
    step that failed (``open`` when the seal itself does not open: opaque on purpose)."""
    try:
        plaintext = open_sealed(keys, sealed, seal_context(job_id, recipient))
    except SealedMessageInvalid as err:
        raise ReceiptInvalid(
            "open", "the sealed result does not open with this key for this job"
        ) from err
    bundle = ResultBundle.from_bytes(plaintext)
    receipt = verify_receipt(
        bundle.receipt, platform_key=platform_key, outputs=bundle.files, contract=contract
    )
    if receipt.job_id != job_id or recipient not in receipt.recipients:
        raise ReceiptInvalid("open", f"the receipt is not for job {job_id} and {recipient}")
    return OpenedResult(receipt, bundle.files, bundle.receipt)
