"""Paillier for psi_sum: ``phe`` keys and homomorphic addition, fast owner-side encryption.

The owner encrypts one value per record, which with textbook encryption
(``r^N mod N²``, a 2048-bit exponent modulo a 4096-bit number) costs tens of
milliseconds each: minutes for 10,000 records. The owner holds the private key,
so it encrypts through the Chinese remainder theorem instead, and draws the
randomiser from a *generator* of the N-th residues modulo ``p²`` and ``q²`` with
precomputed fixed-base tables. The result has exactly the distribution of a
textbook encryption, so semantic security rests on decisional composite
residuosity as usual; here is why:

- a textbook randomiser ``r^N mod N²`` is, modulo ``p²``, a uniform element of the
  subgroup ``S_p`` of order ``p-1`` (``y ↦ y^q`` permutes ``S_p`` because
  ``gcd(q, p-1) = 1``), and independently the same modulo ``q²``;
- ``S_p`` is cyclic and reduction modulo ``p`` maps it isomorphically onto
  ``Z_p^*``, so ``g = g0^p mod p²`` for a primitive root ``g0`` mod ``p``
  generates it, and ``g^e`` with ``e`` uniform in ``[0, p-1)`` is uniform in it;
- finding a primitive root needs the factors of ``p-1``, so key generation makes
  ``p = 2·k·r + 1`` with ``r`` a large prime and ``k`` small enough to factor.
  (A large prime factor of ``p-1`` also defeats Pollard's p-1 method.)

Decryption and every public-key operation are ``phe``'s. ``gmpy2``, when
installed, makes the big-integer arithmetic several times faster (``phe`` uses it
too); without it everything still works on Python integers.
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

try:
    from phe import paillier, util  # type: ignore[import-untyped, import-not-found, unused-ignore]
except ImportError:  # pragma: no cover - exercised only where the extra is missing
    paillier = util = None

try:
    from gmpy2 import is_prime as _gmp_is_prime  # type: ignore[import-untyped, import-not-found, unused-ignore]
    from gmpy2 import mpz as _big  # type: ignore[import-untyped, import-not-found, unused-ignore]
except ImportError:  # pragma: no cover - depends on the machine
    _big = int
    _gmp_is_prime = None

from jobs.psi.errors import EngineUnavailable

big: Callable[[int], Any] = _big

DEFAULT_KEY_BITS = 2048
_WINDOW = 8  # bits per table digit: 256 entries per digit, 128 digits per 1024-bit exponent
_SMALL_BITS = 20  # size of the cofactor k in p = 2·k·r + 1


def _require() -> None:
    if paillier is None:
        raise EngineUnavailable("psi_sum", ("phe",))


def _is_prime(n: int) -> bool:
    # phe's own test is pure Python even where gmpy2 is installed: 10x slower.
    if _gmp_is_prime is not None:
        return bool(_gmp_is_prime(n, 40))
    return bool(util.is_prime(n))


def _next_prime(n: int) -> int:
    candidate = n | 1
    while not _is_prime(candidate):
        candidate += 2
    return candidate


def _factor_small(k: int) -> set[int]:
    factors, d = set(), 2
    while d * d <= k:
        while k % d == 0:
            factors.add(d)
            k //= d
        d += 1
    if k > 1:
        factors.add(k)
    return factors


def _prime_with_known_order(bits: int) -> tuple[int, int]:
    """A prime ``p`` of ``bits`` bits and a primitive root modulo ``p``."""
    while True:
        r = _next_prime(secrets.randbits(bits - _SMALL_BITS - 1))
        if r.bit_length() != bits - _SMALL_BITS - 1:
            continue
        for _ in range(20 * bits):
            k = secrets.randbits(_SMALL_BITS) | (1 << (_SMALL_BITS - 1))
            p = 2 * k * r + 1
            # p^2 >= 2^(2*bits - 1), so the product of two such primes has exactly 2*bits bits.
            if p.bit_length() == bits and p * p >> (2 * bits - 1) and _is_prime(p):
                break
        else:
            continue
        order_factors = {2, int(r)} | _factor_small(k)
        root = 2
        while any(pow(root, (p - 1) // f, p) == 1 for f in order_factors):
            root += 1
        return p, root


@dataclass
class _Half:
    """Fixed-base table for the generator of ``S_p`` modulo ``p²``."""

    modulus: Any
    order: Any
    table: list[list[Any]] = field(default_factory=list)

    @classmethod
    def build(cls, prime: int, root: int) -> _Half:
        modulus = big(prime * prime)
        base = big(pow(root, prime, prime * prime))
        table: list[list[Any]] = []
        for _ in range(-(-(prime - 1).bit_length() // _WINDOW)):
            row = [big(1)]
            for _ in range((1 << _WINDOW) - 1):
                row.append(row[-1] * base % modulus)
            table.append(row)
            base = row[-1] * base % modulus
        return cls(modulus=modulus, order=prime - 1, table=table)

    def randomiser(self) -> Any:
        exponent = secrets.randbelow(int(self.order))
        acc = big(1)
        mask = (1 << _WINDOW) - 1
        for row in self.table:
            digit = exponent & mask
            if digit:
                acc = acc * row[digit] % self.modulus
            exponent >>= _WINDOW
        return acc


@dataclass(frozen=True)
class OwnerKeyMaterial:
    """What the owner's worker processes need to encrypt: private, never sent."""

    p: int
    q: int
    p_root: int
    q_root: int


class OwnerEncryptor:
    """Encrypts many values under the owner's key, CRT and tables (see module docstring)."""

    def __init__(self, material: OwnerKeyMaterial) -> None:
        _require()
        p, q = material.p, material.q
        self.n = big(p * q)
        self._p_half = _Half.build(p, material.p_root)
        self._q_half = _Half.build(q, material.q_root)
        self._p_square, self._q_square = big(p * p), big(q * q)
        self._q_square_inverse = big(pow(q * q, -1, p * p))

    def encrypt(self, plaintext: int) -> int:
        """A Paillier ciphertext of ``plaintext mod N`` with ``g = N + 1``."""
        m = big(plaintext) % self.n
        g_m = 1 + self.n * m  # (N+1)^m mod N²
        c_p = g_m % self._p_square * self._p_half.randomiser() % self._p_square
        c_q = g_m % self._q_square * self._q_half.randomiser() % self._q_square
        # Garner's recombination of the two halves modulo N².
        h = (c_p - c_q) * self._q_square_inverse % self._p_square
        return int(c_q + self._q_square * h)


@dataclass(frozen=True)
class OwnerPaillierKey:
    """The owner's session key pair; ``phe`` objects plus the encryption material."""

    public_key: Any
    private_key: Any
    material: OwnerKeyMaterial

    @property
    def n(self) -> int:
        return int(self.public_key.n)

    def decrypt(self, ciphertext: int) -> int:
        """The plaintext in ``[0, N)``; the caller interprets it."""
        return int(self.private_key.raw_decrypt(ciphertext))


def generate_owner_key(bits: int = DEFAULT_KEY_BITS) -> OwnerPaillierKey:
    _require()
    while True:
        p, p_root = _prime_with_known_order(bits // 2)
        q, q_root = _prime_with_known_order(bits // 2)
        n = p * q
        if p != q and n.bit_length() == bits and math.gcd(n, (p - 1) * (q - 1)) == 1:
            break
    public_key = paillier.PaillierPublicKey(n)
    private_key = paillier.PaillierPrivateKey(public_key, p, q)
    material = OwnerKeyMaterial(p=p, q=q, p_root=p_root, q_root=q_root)
    return OwnerPaillierKey(public_key=public_key, private_key=private_key, material=material)


# One encryptor per worker process and key: building the tables costs a fraction of
# a second, far more than one chunk's worth of savings if rebuilt per chunk.
_ENCRYPTORS: dict[OwnerKeyMaterial, OwnerEncryptor] = {}


def encrypt_chunk(job: tuple[OwnerKeyMaterial, list[int]]) -> list[int]:
    material, plaintexts = job
    encryptor = _ENCRYPTORS.get(material)
    if encryptor is None:
        _ENCRYPTORS.clear()
        encryptor = _ENCRYPTORS[material] = OwnerEncryptor(material)
    return [encryptor.encrypt(m) for m in plaintexts]


def public_encrypt(n: int, plaintext: int) -> int:
    """A textbook encryption under someone else's public key (the partner's masks)."""
    _require()
    return int(paillier.PaillierPublicKey(n).raw_encrypt(plaintext % n))


def add_ciphertexts(n: int, ciphertexts: list[int]) -> int:
    """The ciphertext of the sum: the product modulo ``N²``."""
    n_square = big(n) * n
    acc = big(1)
    for c in ciphertexts:
        acc = acc * c % n_square
    return int(acc)
