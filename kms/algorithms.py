"""The data-encryption algorithms the kms offers, and what each needs."""

from __future__ import annotations

from typing import Final, Literal, get_args

from kms.errors import UnsupportedAlgorithm

Algorithm = Literal["aes-256-gcm", "sm4-gcm"]

ALGORITHMS: Final[tuple[Algorithm, ...]] = get_args(Algorithm)
DEFAULT_ALGORITHM: Final[Algorithm] = "aes-256-gcm"

# SM4 (GB/T 32907-2016) is a 128-bit block cipher with a 128-bit key; AES gets 256 bits.
KEY_BYTES: Final[dict[Algorithm, int]] = {"aes-256-gcm": 32, "sm4-gcm": 16}


def check_algorithm(name: str) -> Algorithm:
    """Return ``name`` as an Algorithm, or raise UnsupportedAlgorithm."""
    for algorithm in ALGORITHMS:
        if name == algorithm:
            return algorithm
    raise UnsupportedAlgorithm(name)
