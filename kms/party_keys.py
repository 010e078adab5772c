"""A party's own keys: X25519 to receive sealed results, Ed25519 to sign.

The private halves live only in a key file sealed under the party's passphrase
(Argon2id, or scrypt, then AES-256-GCM; written 0600, never overwritten) and in
the ``PartyKeyPair`` of the process using them, whose repr shows the public
fingerprint only.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from kms._primitives import passphrase_box
from kms._primitives.encoding import b64decode, b64encode
from kms._primitives.files import write_atomically
from kms.errors import (
    BadSignature,
    KeyFileCorrupted,
    KeyFileExists,
    KmsUsageError,
    PartyKeyFileMissing,
    WrongPassphrase,
)

BOX_PURPOSE = "sealroom-party-keys"
_PUBLIC_KEY_BYTES = 32


@dataclass(frozen=True)
class PartyPublicKeys:
    """What a party publishes: where to seal results for it, and how to check its signatures."""

    x25519: bytes
    ed25519: bytes

    def __post_init__(self) -> None:
        for name in ("x25519", "ed25519"):
            value = getattr(self, name)
            if not isinstance(value, bytes) or len(value) != _PUBLIC_KEY_BYTES:
                raise KmsUsageError(
                    f"A party's {name} public key must be {_PUBLIC_KEY_BYTES} raw bytes: "
                    "pass the value PartyPublicKeys.to_json() produced, base64-decoded."
                )

    def to_json(self) -> dict[str, str]:
        return {"x25519": b64encode(self.x25519), "ed25519": b64encode(self.ed25519)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PartyPublicKeys:
        try:
            return cls(x25519=b64decode(data["x25519"]), ed25519=b64decode(data["ed25519"]))
        except (KeyError, TypeError, ValueError, AttributeError) as err:
            raise KmsUsageError(
                "These are not a party's public keys: expected base64 fields 'x25519' and "
                "'ed25519', as PartyPublicKeys.to_json() writes them."
            ) from err

    def fingerprint(self) -> str:
        """Short name for people to compare out of band, e.g. ``3f2a-9c1d-…`` (128 bits)."""
        digest = hashlib.sha256(b"sealroom-party-v1\0" + self.x25519 + self.ed25519).hexdigest()
        return "-".join(digest[i : i + 4] for i in range(0, 32, 4))


class PartyKeyPair:
    """A party's private keys and their public halves; repr never shows private parts."""

    __slots__ = ("_ed25519", "_x25519", "public")

    def __init__(self, x25519: X25519PrivateKey, ed25519: Ed25519PrivateKey) -> None:
        self._x25519 = x25519
        self._ed25519 = ed25519
        self.public = PartyPublicKeys(
            x25519=x25519.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw),
            ed25519=ed25519.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw),
        )

    def __repr__(self) -> str:
        return f"PartyKeyPair(fingerprint={self.public.fingerprint()!r})"

    def __reduce__(self) -> str | tuple[Any, ...]:
        raise TypeError("PartyKeyPair cannot be pickled: save it with save_party_key_file")


def generate_party_keys() -> PartyKeyPair:
    return PartyKeyPair(X25519PrivateKey.generate(), Ed25519PrivateKey.generate())


def private_key_material(keys: PartyKeyPair) -> bytes:
    """The 64 raw private bytes (X25519 then Ed25519), for wrapping under a master key.

    Only for keys the service itself must hold (the platform's); the caller wraps
    the result at once and never stores it in clear.
    """
    return keys._x25519.private_bytes_raw() + keys._ed25519.private_bytes_raw()


def party_keys_from_material(material: bytes) -> PartyKeyPair:
    if len(material) != 64:
        raise KmsUsageError(
            f"Private key material must be 64 bytes (X25519 then Ed25519), got {len(material)}."
        )
    return PartyKeyPair(
        X25519PrivateKey.from_private_bytes(material[:32]),
        Ed25519PrivateKey.from_private_bytes(material[32:]),
    )


def save_party_key_file(path: Path, keys: PartyKeyPair, passphrase: str) -> None:
    """Seal the private keys under ``passphrase`` into a new 0600 file; never overwrites."""
    if path.exists():
        raise KeyFileExists(path)
    document = {
        "x25519": b64encode(keys._x25519.private_bytes_raw()),
        "ed25519": b64encode(keys._ed25519.private_bytes_raw()),
    }
    plaintext = json.dumps(document, sort_keys=True).encode("utf-8")
    try:
        write_atomically(
            path, passphrase_box.seal(plaintext, passphrase, BOX_PURPOSE), overwrite=False
        )
    except FileExistsError as err:
        raise KeyFileExists(path) from err


def load_party_key_file(path: Path, passphrase: str) -> PartyKeyPair:
    try:
        sealed = path.read_bytes()
    except FileNotFoundError as err:
        raise PartyKeyFileMissing(path) from err
    try:
        plaintext = passphrase_box.open_box(sealed, passphrase, BOX_PURPOSE)
    except passphrase_box.BoxMalformedError as err:
        raise KeyFileCorrupted(path, str(err)) from err
    except passphrase_box.BoxWontOpenError as err:
        raise WrongPassphrase(path, "party key file") from err
    try:
        document = json.loads(plaintext)
        return PartyKeyPair(
            X25519PrivateKey.from_private_bytes(b64decode(document["x25519"])),
            Ed25519PrivateKey.from_private_bytes(b64decode(document["ed25519"])),
        )
    except (ValueError, KeyError, TypeError) as err:
        raise KeyFileCorrupted(path, "its keys are malformed") from err


def sign(keys: PartyKeyPair, message: bytes) -> bytes:
    """Ed25519 signature (64 bytes) over ``message``."""
    return keys._ed25519.sign(message)


def verify_signature(public: PartyPublicKeys, message: bytes, signature: bytes) -> None:
    """Return if ``signature`` is the party's over ``message``; raise BadSignature otherwise."""
    try:
        Ed25519PublicKey.from_public_bytes(public.ed25519).verify(signature, message)
    except (InvalidSignature, ValueError) as err:
        raise BadSignature(public.fingerprint()) from err
