"""Seal a small secret under a passphrase: Argon2id (or scrypt) then AES-256-GCM.

The sealed form is a JSON document whose header (format, purpose, KDF and its
parameters, salt) is bound into the AEAD as associated data, so lowering the KDF
cost or swapping the purpose in the file makes it fail to open, exactly like a
wrong passphrase does.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag, UnsupportedAlgorithm
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from kms._primitives.encoding import b64decode, b64encode

FORMAT = "sealroom-passphrase-box"
VERSION = 1
_NONCE_BYTES = 12
_SALT_BYTES = 16

# RFC 9106 section 4, second recommended option (64 MiB, 3 passes, 4 lanes): about
# 0.2 s here, memory-hard enough that a GPU farm gains little.
ARGON2ID_DEFAULT: dict[str, int] = {"memory_cost": 65536, "iterations": 3, "lanes": 4}
# Used where the linked OpenSSL lacks Argon2 (cryptography < 44 or OpenSSL < 3.2).
SCRYPT_DEFAULT: dict[str, int] = {"n": 2**17, "r": 8, "p": 1}
# Upper bounds on what a file may ask for, so a planted file cannot make opening it
# allocate gigabytes or spin for minutes.
_MAX_ARGON2_MEMORY_KIB = 4 * 1024 * 1024
_MAX_ARGON2_ITERATIONS = 64
_MAX_ARGON2_LANES = 64
_MAX_SCRYPT_N = 2**22


class BoxMalformedError(ValueError):
    """The bytes are not a passphrase box at all (not JSON, wrong format, bad fields)."""


class BoxWontOpenError(Exception):
    """Wrong passphrase or altered box: deliberately indistinguishable."""


@dataclass(frozen=True)
class _Kdf:
    name: str
    params: dict[str, int]


def argon2id_available() -> bool:
    try:
        from cryptography.hazmat.primitives.kdf.argon2 import Argon2id  # noqa: PLC0415

        Argon2id(salt=b"\0" * 16, length=32, iterations=1, lanes=1, memory_cost=8).derive(b"x")
    except (ImportError, UnsupportedAlgorithm):
        return False
    return True


def default_kdf_name() -> str:
    return "argon2id" if argon2id_available() else "scrypt"


def seal(plaintext: bytes, passphrase: str, purpose: str, kdf_name: str | None = None) -> bytes:
    name = kdf_name or default_kdf_name()
    kdf = _Kdf(name, dict(ARGON2ID_DEFAULT if name == "argon2id" else SCRYPT_DEFAULT))
    header: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "purpose": purpose,
        "kdf": {"name": kdf.name, **kdf.params},
        "salt": b64encode(os.urandom(_SALT_BYTES)),
    }
    key = _derive(kdf, passphrase, b64decode(header["salt"]))
    nonce = os.urandom(_NONCE_BYTES)
    ciphertext = AESGCM(key).encrypt(nonce, plaintext, _header_aad(header))
    document = {**header, "nonce": b64encode(nonce), "ciphertext": b64encode(ciphertext)}
    return json.dumps(document, indent=2, sort_keys=True).encode("utf-8") + b"\n"


def open_box(sealed: bytes, passphrase: str, purpose: str) -> bytes:
    """Open a box; BoxMalformedError if it is not one, BoxWontOpenError if it does not open."""
    header, nonce, ciphertext = _parse(sealed, purpose)
    kdf = _kdf_from_header(header["kdf"])
    key = _derive(kdf, passphrase, b64decode(header["salt"]))
    try:
        return AESGCM(key).decrypt(nonce, ciphertext, _header_aad(header))
    except InvalidTag as err:
        raise BoxWontOpenError from err


def kdf_name_of(sealed: bytes) -> str:
    header, _, _ = _parse(sealed, None)
    return str(header["kdf"]["name"])


def _parse(sealed: bytes, purpose: str | None) -> tuple[dict[str, Any], bytes, bytes]:
    try:
        document = json.loads(sealed.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise BoxMalformedError("not JSON") from err
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise BoxMalformedError("not a sealroom passphrase-protected file")
    if document.get("version") != VERSION:
        raise BoxMalformedError(f"unsupported format version {document.get('version')!r}")
    if purpose is not None and document.get("purpose") != purpose:
        raise BoxMalformedError(f"holds a {document.get('purpose')!r}, not a {purpose!r}")
    try:
        header = {k: document[k] for k in ("format", "version", "purpose", "kdf", "salt")}
        nonce = b64decode(document["nonce"])
        ciphertext = b64decode(document["ciphertext"])
        b64decode(header["salt"])
    except (KeyError, TypeError, ValueError) as err:
        raise BoxMalformedError("missing or malformed fields") from err
    if len(nonce) != _NONCE_BYTES or not isinstance(header["kdf"], dict):
        raise BoxMalformedError("missing or malformed fields")
    return header, nonce, ciphertext


def _kdf_from_header(raw: dict[str, Any]) -> _Kdf:
    name = raw.get("name")
    try:
        if name == "argon2id":
            params = {k: int(raw[k]) for k in ("memory_cost", "iterations", "lanes")}
            if not (
                8 * params["lanes"] <= params["memory_cost"] <= _MAX_ARGON2_MEMORY_KIB
                and 1 <= params["iterations"] <= _MAX_ARGON2_ITERATIONS
                and 1 <= params["lanes"] <= _MAX_ARGON2_LANES
            ):
                raise BoxMalformedError("key derivation parameters out of range")
        elif name == "scrypt":
            params = {k: int(raw[k]) for k in ("n", "r", "p")}
            if not (2 <= params["n"] <= _MAX_SCRYPT_N and 1 <= params["r"] <= 32):
                raise BoxMalformedError("key derivation parameters out of range")
            if not 1 <= params["p"] <= 16:
                raise BoxMalformedError("key derivation parameters out of range")
        else:
            raise BoxMalformedError(f"unknown key derivation {name!r}")
    except (KeyError, TypeError, ValueError) as err:
        if isinstance(err, BoxMalformedError):
            raise
        raise BoxMalformedError("malformed key derivation parameters") from err
    return _Kdf(str(name), params)


def _derive(kdf: _Kdf, passphrase: str, salt: bytes) -> bytes:
    secret = passphrase.encode("utf-8")
    if kdf.name == "argon2id":
        try:
            from cryptography.hazmat.primitives.kdf.argon2 import Argon2id  # noqa: PLC0415
        except ImportError as err:  # pragma: no cover - depends on the installed wheel
            raise BoxMalformedError("this file needs Argon2id, which this build lacks") from err
        params = kdf.params
        return Argon2id(
            salt=salt,
            length=32,
            iterations=params["iterations"],
            lanes=params["lanes"],
            memory_cost=params["memory_cost"],
        ).derive(secret)
    return Scrypt(
        salt=salt, length=32, n=kdf.params["n"], r=kdf.params["r"], p=kdf.params["p"]
    ).derive(secret)


def _header_aad(header: dict[str, Any]) -> bytes:
    return json.dumps(header, sort_keys=True, separators=(",", ":")).encode("utf-8")
