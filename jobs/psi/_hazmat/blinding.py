"""Commutative blinding on P-256: ``B_k(P) = k·P``, carried as x-coordinates.

Two parties with secret scalars ``a`` and ``b`` blind an identifier's curve point
in either order and reach the same value: ``x(a·(b·H(id))) = x(b·(a·H(id)))``.
Only the x-coordinate travels: x(k·P) depends on x(P) alone (``P`` and ``-P``
share it), so it is all the next party needs. P-256 has prime order (cofactor 1),
so every valid point is in the group DDH is assumed hard in, and ``cryptography``'s
ECDH, which returns exactly x(k·P), is the whole primitive.

``H`` is try-and-increment onto the curve, domain-separated so that a tag from
this protocol can never equal one from another. Its timing depends on the
identifier, which is fine here: it only ever runs on the identifier's own holder's
machine.
"""

from __future__ import annotations

import hashlib

from cryptography.hazmat.primitives.asymmetric import ec

from jobs.psi.errors import MalformedMessage

CURVE = ec.SECP256R1()
POINT_BYTES = 32
_FIELD_PRIME = 2**256 - 2**224 + 2**192 + 2**96 - 1
_DOMAIN = b"sealroom/psi_sum/v1/hash-to-p256"


def _load(x: bytes) -> ec.EllipticCurvePublicKey:
    return ec.EllipticCurvePublicKey.from_encoded_point(CURVE, b"\x02" + x)


def _hash_to_curve(identifier: str) -> tuple[bytes, ec.EllipticCurvePublicKey]:
    data = identifier.encode()
    for counter in range(256):
        x = hashlib.sha256(_DOMAIN + bytes([counter]) + data).digest()
        if int.from_bytes(x, "big") >= _FIELD_PRIME:
            continue
        try:
            return x, _load(x)
        except ValueError:  # no curve point has this x: try the next counter
            continue
    # Each try succeeds with probability about one half; 256 failures do not happen.
    raise AssertionError("hash to P-256 failed 256 times")  # pragma: no cover


def hash_to_point(identifier: str) -> bytes:
    """The x-coordinate of ``H(identifier)``, a curve point nobody knows the logarithm of."""
    return _hash_to_curve(identifier)[0]


class Blinder:
    """One party's secret scalar; never leaves the party (only its worker processes)."""

    def __init__(self, scalar: bytes | None = None) -> None:
        if scalar is None:
            self._key = ec.generate_private_key(CURVE)
        else:
            self._key = ec.derive_private_key(int.from_bytes(scalar, "big"), CURVE)

    @property
    def scalar(self) -> bytes:
        return self._key.private_numbers().private_value.to_bytes(32, "big")

    def blind(self, x: bytes) -> bytes:
        """``x(k·P)`` for the point with x-coordinate ``x``; refuses anything off the curve."""
        if len(x) != POINT_BYTES:
            raise MalformedMessage("blinded point", "a point is not 32 bytes")
        try:
            point = _load(x)
        except ValueError as err:
            raise MalformedMessage("blinded point", "a point is not on the curve") from err
        return self._key.exchange(ec.ECDH(), point)

    def hash_and_blind(self, identifier: str) -> bytes:
        return self._key.exchange(ec.ECDH(), _hash_to_curve(identifier)[1])


# Worker functions for a ShardRunner: the scalar travels with each chunk.


def hash_and_blind_chunk(job: tuple[bytes, list[str]]) -> list[bytes]:
    scalar, identifiers = job
    blinder = Blinder(scalar)
    return [blinder.hash_and_blind(i) for i in identifiers]


def blind_chunk(job: tuple[bytes, list[bytes]]) -> list[bytes]:
    scalar, points = job
    blinder = Blinder(scalar)
    return [blinder.blind(x) for x in points]
