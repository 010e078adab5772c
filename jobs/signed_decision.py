"""Signed decisions: a code approval or a review vote as an Ed25519 signature.

The owner's control is only real if nobody else can cast the owner's half of a
quorum: the operator issues the API tokens and can write the store, so a vote
row proves nothing. A decision is therefore a signature by the deciding key
over everything it decides, in one canonical, versioned, domain-separated
message, so it cannot be replayed onto another contract version, another job,
other code (or the same bytes run by another interpreter), other outputs or
another decision:

    b"sealroom/decision/v1\\x00" + canonical_json({
        "format": "sealroom.decision/v1",
        "kind": "code-approval" | "release-vote",
        "contract": {"id", "version", "hash"},
        "job": <job id, or null for a code approval>,
        "code": {"sha256", "interpreter", "entry"},
        "outputs": [{"name", "sha256"}, ...]   # sorted by name; [] for code approvals
        "decision": "approve" | "reject" | "return_for_changes",
        "reason": <text>,
        "seat": <the quorum seat filled: an organisation, or a party itself>,
        "signer": <whose key signs: the person, the organisation, or the platform>,
        "person": <the person who decided>,
        "signed_at": <ISO 8601, UTC, microseconds>})

The server, release and the recipient (offline, from the receipt) rebuild the
message from what they hold and check the signature; none of them takes the
signed fields on trust.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from contracts import canonical_json
from jobs.errors import DecisionSignatureInvalid
from kms import BadSignature, PartyKeyPair, PartyPublicKeys, sign, verify_signature

DECISION_FORMAT = "sealroom.decision/v1"
DECISION_DOMAIN = b"sealroom/decision/v1\x00"
_ED25519_PUBLIC_BYTES = 32
_ED25519_SIGNATURE_BYTES = 64


class DecisionKind(StrEnum):
    CODE_APPROVAL = "code-approval"  # this code may run on the real data under the contract
    RELEASE_VOTE = "release-vote"  # this job's checked outputs may (not) leave


@dataclass(frozen=True)
class CodeIdentity:
    """Code as approved: its bytes' hash and how it is run (interpreter and entry name)."""

    sha256: str  # ``sha256:<hex>``, as ``jobs.code_hash`` writes it
    interpreter: str
    entry: str


@dataclass(frozen=True)
class DecisionSubject:
    """What a decision is about, as the party deciding saw it."""

    kind: DecisionKind
    contract_id: str
    contract_version: int
    contract_hash: str
    job_id: str | None
    code: CodeIdentity
    outputs: tuple[tuple[str, str], ...] = ()  # (name, sha256 hex), sorted by name

    def body(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "contract": {
                "id": self.contract_id,
                "version": self.contract_version,
                "hash": self.contract_hash,
            },
            "job": self.job_id,
            "code": {
                "sha256": self.code.sha256,
                "interpreter": self.code.interpreter,
                "entry": self.code.entry,
            },
            "outputs": [{"name": n, "sha256": d} for n, d in self.outputs],
        }


def output_digest_pairs(files: Mapping[str, bytes]) -> tuple[tuple[str, str], ...]:
    """The canonical output digests a vote signs: sha256 of each releasable file, by name."""
    return tuple((name, hashlib.sha256(data).hexdigest()) for name, data in sorted(files.items()))


@dataclass(frozen=True)
class Decider:
    """Who decides: the seat filled, the key that signs, and the person acting."""

    seat: str
    signer: str
    person: str


def signature_digest(signature: bytes) -> str:
    return hashlib.sha256(signature).hexdigest()


@dataclass(frozen=True)
class SignedDecision:
    subject: DecisionSubject
    decision: str
    reason: str
    decider: Decider
    signed_at: dt.datetime
    signer_key: bytes  # raw Ed25519 public key of ``decider.signer``
    signature: bytes

    def message(self) -> bytes:
        return decision_message(
            self.subject, self.decision, self.reason, self.decider, self.signed_at
        )

    def as_logged(self) -> dict[str, Any]:
        """The decision as the audit log carries it: who decided for which seat, and a
        digest of the signature, never the subject. The log is read by the contract's
        auditors, its scientist among them; the subject names the outputs and hashes
        them, and a signature is an oracle for guessed outputs. The vote row and the
        receipt hold the whole signed decision; ``audit verify --store`` matches them
        to their event by this digest."""
        return {
            "decision": self.decision,
            "seat": self.decider.seat,
            "signer": self.decider.signer,
            "person": self.decider.person,
            "signature_sha256": signature_digest(self.signature),
        }

    def to_json(self) -> dict[str, Any]:
        """The decision as receipts and vote rows carry it (verifiable from this alone)."""
        return {
            **self.subject.body(),
            "decision": self.decision,
            "reason": self.reason,
            "seat": self.decider.seat,
            "signer": self.decider.signer,
            "person": self.decider.person,
            "signed_at": _instant(self.signed_at),
            "ed25519": base64.b64encode(self.signer_key).decode("ascii"),
            "signature": base64.b64encode(self.signature).decode("ascii"),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SignedDecision:
        try:
            contract, code = data["contract"], data["code"]
            return cls(
                subject=DecisionSubject(
                    kind=DecisionKind(data["kind"]),
                    contract_id=str(contract["id"]),
                    contract_version=int(contract["version"]),
                    contract_hash=str(contract["hash"]),
                    job_id=None if data["job"] is None else str(data["job"]),
                    code=CodeIdentity(
                        str(code["sha256"]), str(code["interpreter"]), str(code["entry"])
                    ),
                    outputs=tuple((str(o["name"]), str(o["sha256"])) for o in data["outputs"]),
                ),
                decision=str(data["decision"]),
                reason=str(data["reason"]),
                decider=Decider(str(data["seat"]), str(data["signer"]), str(data["person"])),
                signed_at=dt.datetime.fromisoformat(str(data["signed_at"])),
                signer_key=base64.b64decode(str(data["ed25519"]), validate=True),
                signature=base64.b64decode(str(data["signature"]), validate=True),
            )
        except (KeyError, TypeError, ValueError, binascii.Error) as err:
            raise DecisionSignatureInvalid(
                f"this is not a {DECISION_FORMAT} decision ({type(err).__name__}): sign it again"
            ) from err


def _instant(at: dt.datetime) -> str:
    if at.tzinfo is None:
        raise DecisionSignatureInvalid("a decision's time must carry its timezone")
    return at.astimezone(dt.UTC).isoformat(timespec="microseconds")


def decision_message(
    subject: DecisionSubject,
    decision: str,
    reason: str,
    decider: Decider,
    signed_at: dt.datetime,
) -> bytes:
    """The exact bytes the deciding key signs."""
    return DECISION_DOMAIN + canonical_json(
        {
            "format": DECISION_FORMAT,
            **subject.body(),
            "decision": decision,
            "reason": reason,
            "seat": decider.seat,
            "signer": decider.signer,
            "person": decider.person,
            "signed_at": _instant(signed_at),
        }
    )


def sign_decision(
    subject: DecisionSubject,
    decision: str,
    reason: str,
    decider: Decider,
    keys: PartyKeyPair,
    signed_at: dt.datetime,
) -> SignedDecision:
    message = decision_message(subject, decision, reason, decider, signed_at)
    return SignedDecision(
        subject, decision, reason, decider, signed_at, keys.public.ed25519, sign(keys, message)
    )


def decision_signature(signature_b64: str) -> bytes:
    """A client's base64 signature as raw bytes; refuses anything but 64 bytes."""
    try:
        raw = base64.b64decode(signature_b64, validate=True)
    except (binascii.Error, ValueError) as err:
        raise DecisionSignatureInvalid("the decision's signature is not base64") from err
    if len(raw) != _ED25519_SIGNATURE_BYTES:
        raise DecisionSignatureInvalid(
            f"the decision's signature must be {_ED25519_SIGNATURE_BYTES} bytes (Ed25519)"
        )
    return raw


def verify_decision(signed: SignedDecision, expected_key: bytes | None = None) -> None:
    """Raise ``DecisionSignatureInvalid`` unless the signature is ``expected_key``'s (or,
    without one, the key the decision names) over the decision as rebuilt here."""
    key = signed.signer_key if expected_key is None else expected_key
    who = f"{signed.decider.signer} for {signed.decider.seat}"
    if len(key) != _ED25519_PUBLIC_BYTES or signed.signer_key != key:
        raise DecisionSignatureInvalid(
            f"the {signed.decision} by {who} is signed by a key that is not "
            f"{signed.decider.signer}'s registered or pinned key: it does not count; ask them "
            "to sign again"
        )
    try:
        # The x25519 half is unused for verification; any 32 bytes keep the type whole.
        verify_signature(
            PartyPublicKeys(x25519=key, ed25519=key), signed.message(), signed.signature
        )
    except BadSignature:
        # Opaque on purpose: which field was altered is not for the reader to learn.
        raise DecisionSignatureInvalid(
            f"the {signed.decision} by {who} does not verify over what it claims to decide "
            "(contract, job, code, outputs or decision were altered, or another key signed): "
            "it does not count; ask them to sign again"
        ) from None
