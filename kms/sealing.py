"""Seal a result so that only one party can open it (an ECIES-style box).

::

    sealed = version 0x01 | ephemeral X25519 public key (32) | nonce (12)
             | AES-256-GCM ciphertext and tag
    key    = HKDF-SHA256(X25519(ephemeral, recipient),
                         info = "sealroom-seal-v1" | ephemeral public | recipient public | context)

The context (for example the release id) is bound both into the key and as
associated data, so a sealed result cannot be replayed as another release. The
sender is not authenticated by the seal: sign the sealed bytes for that.
"""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from kms._primitives.encoding import frame
from kms.errors import SealedMessageInvalid
from kms.party_keys import PartyKeyPair, PartyPublicKeys

_VERSION = b"\x01"
_DOMAIN = b"sealroom-seal-v1"
_PUBLIC_BYTES = 32
_NONCE_BYTES = 12
_TAG_BYTES = 16
_HEADER_BYTES = len(_VERSION) + _PUBLIC_BYTES + _NONCE_BYTES


def _derive_key(shared: bytes, ephemeral: bytes, recipient: bytes, context: bytes) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=None,
        info=frame(_DOMAIN, ephemeral, recipient, context),
    ).derive(shared)


def seal_for(recipient: PartyPublicKeys, plaintext: bytes, context: bytes) -> bytes:
    """Encrypt ``plaintext`` so only the holder of ``recipient``'s private key opens it."""
    ephemeral = X25519PrivateKey.generate()
    ephemeral_public = ephemeral.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    shared = ephemeral.exchange(X25519PublicKey.from_public_bytes(recipient.x25519))
    key = _derive_key(shared, ephemeral_public, recipient.x25519, context)
    nonce = os.urandom(_NONCE_BYTES)
    ciphertext = AESGCM(key).encrypt(nonce, plaintext, frame(_DOMAIN, context))
    return _VERSION + ephemeral_public + nonce + ciphertext


def open_sealed(keys: PartyKeyPair, sealed: bytes, context: bytes) -> bytes:
    """Open a sealed result; SealedMessageInvalid, saying nothing more, if it does not open."""
    if len(sealed) < _HEADER_BYTES + _TAG_BYTES or not sealed.startswith(_VERSION):
        raise SealedMessageInvalid
    ephemeral_public = sealed[1 : 1 + _PUBLIC_BYTES]
    nonce = sealed[1 + _PUBLIC_BYTES : _HEADER_BYTES]
    try:
        # X25519 rejects low-order points (an all-zero shared secret) with ValueError.
        shared = keys._x25519.exchange(X25519PublicKey.from_public_bytes(ephemeral_public))
        key = _derive_key(shared, ephemeral_public, keys.public.x25519, context)
        return AESGCM(key).decrypt(nonce, sealed[_HEADER_BYTES:], frame(_DOMAIN, context))
    except (InvalidTag, ValueError) as err:
        raise SealedMessageInvalid from err
