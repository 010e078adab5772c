"""Byte encodings shared by the kms file formats."""

from __future__ import annotations

import base64
import binascii
import struct


def b64encode(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def b64decode(text: str) -> bytes:
    """Strict base64: anything but canonical base64 raises ValueError."""
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError) as err:
        raise ValueError("not base64") from err


def frame(*parts: bytes) -> bytes:
    """Join parts with 4-byte length prefixes.

    Associated data built by plain concatenation is ambiguous ("ab"+"c" equals
    "a"+"bc"), which would let one context stand in for another.
    """
    return b"".join(struct.pack(">I", len(part)) + part for part in parts)
