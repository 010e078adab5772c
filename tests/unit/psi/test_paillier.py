"""The owner's fast encryption must look exactly like textbook Paillier, not just decrypt."""

from __future__ import annotations

import math

import pytest
from phe import paillier

from jobs.psi._hazmat.paillier import (
    OwnerEncryptor,
    OwnerPaillierKey,
    add_ciphertexts,
    generate_owner_key,
    public_encrypt,
)


def legendre(a: int, p: int) -> int:
    symbol = pow(a, (p - 1) // 2, p)
    return -1 if symbol == p - 1 else symbol


@pytest.fixture(scope="module")
def key() -> OwnerPaillierKey:
    return generate_owner_key()


def test_ciphertexts_decrypt_with_phe_for_signed_and_large_values(key: OwnerPaillierKey) -> None:
    encryptor = OwnerEncryptor(key.material)
    for value in (0, 1, -1, 123_456_789, -(2**95), 2**95):
        ciphertext = encryptor.encrypt(value)
        assert key.decrypt(ciphertext) == value % key.n
        wrapped = paillier.EncryptedNumber(key.public_key, ciphertext)
        assert key.private_key.decrypt(wrapped) == value  # phe's own signed decoding


def test_randomisers_are_nth_residues_like_a_textbook_encryption(key: OwnerPaillierKey) -> None:
    encryptor = OwnerEncryptor(key.material)
    n, n_square = key.n, key.n**2
    lam = math.lcm(key.material.p - 1, key.material.q - 1)
    for value in (0, 42):
        ciphertext = encryptor.encrypt(value)
        randomiser = ciphertext * (1 - n * value) % n_square  # divide out (1+N)^m
        assert pow(randomiser, lam, n_square) == 1


def test_randomisers_cover_both_residue_classes_so_the_generator_is_full(
    key: OwnerPaillierKey,
) -> None:
    # A randomiser drawn from a proper subgroup (say, the squares) would always have
    # the same quadratic character modulo p and q, which a textbook one does not.
    encryptor = OwnerEncryptor(key.material)
    p, q = key.material.p, key.material.q
    characters = {
        (legendre(c % p, p), legendre(c % q, q)) for c in (encryptor.encrypt(0) for _ in range(60))
    }
    assert characters == {(1, 1), (1, -1), (-1, 1), (-1, -1)}


def test_homomorphic_sum_with_a_public_key_mask(key: OwnerPaillierKey) -> None:
    encryptor = OwnerEncryptor(key.material)
    total = add_ciphertexts(key.n, [encryptor.encrypt(v) for v in (5, -7, 100)])
    masked = add_ciphertexts(key.n, [total, public_encrypt(key.n, 1000)])
    assert key.decrypt(masked) == 1098


def test_the_modulus_has_the_requested_size(key: OwnerPaillierKey) -> None:
    assert key.n.bit_length() == 2048
    assert key.material.p * key.material.q == key.n
