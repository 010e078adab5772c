"""AEAD ciphers that encrypt into caller-owned buffers (no allocation per chunk).

Both ciphers use 96-bit nonces and 128-bit tags, so the streaming framing above
them is identical for AES-256-GCM and SM4-GCM.
"""

from __future__ import annotations

import os
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from kms.algorithms import KEY_BYTES, Algorithm

TAG_BYTES = 16
NONCE_BYTES = 12

Buffer = bytes | bytearray | memoryview

__all__ = ["NONCE_BYTES", "TAG_BYTES", "Aead", "InvalidTag", "aead_for", "open_small", "seal_small"]


class Aead(Protocol):
    def seal_into(self, nonce: bytes, plaintext: Buffer, aad: bytes, out: memoryview) -> None:
        """Write ciphertext||tag into ``out``, which is exactly len(plaintext)+16 long."""

    def open_into(self, nonce: bytes, sealed: Buffer, aad: bytes, out: memoryview) -> None:
        """Write the plaintext into ``out`` (exactly len(sealed)-16); InvalidTag on failure."""


class _AesGcm:
    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(key)

    def seal_into(self, nonce: bytes, plaintext: Buffer, aad: bytes, out: memoryview) -> None:
        self._aead.encrypt_into(nonce, plaintext, aad, out)

    def open_into(self, nonce: bytes, sealed: Buffer, aad: bytes, out: memoryview) -> None:
        self._aead.decrypt_into(nonce, sealed, aad, out)


class _Sm4Gcm:
    """SM4 in GCM mode (RFC 8998 names it for TLS); OpenSSL implements it, not the AEAD API."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def seal_into(self, nonce: bytes, plaintext: Buffer, aad: bytes, out: memoryview) -> None:
        encryptor = Cipher(algorithms.SM4(self._key), modes.GCM(nonce)).encryptor()
        encryptor.authenticate_additional_data(aad)
        ciphertext = encryptor.update(plaintext) + encryptor.finalize()
        out[: len(ciphertext)] = ciphertext
        out[len(ciphertext) :] = encryptor.tag

    def open_into(self, nonce: bytes, sealed: Buffer, aad: bytes, out: memoryview) -> None:
        view = memoryview(sealed)
        if len(view) < TAG_BYTES:
            raise InvalidTag
        body, tag = view[:-TAG_BYTES], bytes(view[-TAG_BYTES:])
        decryptor = Cipher(algorithms.SM4(self._key), modes.GCM(nonce, tag)).decryptor()
        decryptor.authenticate_additional_data(aad)
        # GCM releases plaintext before the tag is checked; it only reaches ``out``
        # after finalize() has verified the tag.
        plaintext = decryptor.update(body) + decryptor.finalize()
        out[:] = plaintext


def aead_for(algorithm: Algorithm, key: bytes) -> Aead:
    if len(key) != KEY_BYTES[algorithm]:
        raise ValueError(f"{algorithm} needs a {KEY_BYTES[algorithm]}-byte key")
    if algorithm == "sm4-gcm":
        return _Sm4Gcm(key)
    return _AesGcm(key)


def seal_small(algorithm: Algorithm, key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    """nonce || ciphertext || tag with a random nonce; for keys and other small secrets."""
    nonce = os.urandom(NONCE_BYTES)
    out = bytearray(len(plaintext) + TAG_BYTES)
    aead_for(algorithm, key).seal_into(nonce, plaintext, aad, memoryview(out))
    return nonce + bytes(out)


def open_small(algorithm: Algorithm, key: bytes, sealed: bytes, aad: bytes) -> bytes:
    """Inverse of seal_small; InvalidTag if altered, truncated or under another key/aad."""
    if len(sealed) < NONCE_BYTES + TAG_BYTES:
        raise InvalidTag
    nonce, body = sealed[:NONCE_BYTES], sealed[NONCE_BYTES:]
    out = bytearray(len(body) - TAG_BYTES)
    aead_for(algorithm, key).open_into(nonce, body, aad, memoryview(out))
    return bytes(out)
