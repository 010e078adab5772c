"""Master keys and the keyrings that hold them.

A keyring holds the current master key, under which new data keys are wrapped,
and the retired ones, kept only until every data key has been re-wrapped under
the current one. Beside them, a keyring holds one key-encryption key (KEK) per
contract version, which wraps that contract's data-key grants and output keys;
destroying it (revocation, expiry) makes everything under the contract
unreadable while the master keys, and every other contract, are untouched. Two
providers implement it: ``PassphraseKeyring`` (a key file
sealed under a passphrase; the default) and ``Pkcs11Keyring`` (keys generated
inside a PKCS#11 token that never leave it; production).
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from kms.passphrase_keyring import PassphraseKeyring
from kms.pkcs11_keyring import Pkcs11Keyring

__all__ = ["Keyring", "MasterKey", "PassphraseKeyring", "Pkcs11Keyring"]


@runtime_checkable
class MasterKey(Protocol):
    @property
    def key_id(self) -> str:
        """Stable public name, e.g. ``mk-3f2a9c1d``."""

    def wrap(self, secret: bytes, context: bytes) -> bytes:
        """Encrypt and authenticate ``secret``; ``context`` is bound as associated data."""

    def unwrap(self, wrapped: bytes, context: bytes) -> bytes:
        """Inverse of wrap; KeyUnwrapFailed if altered or opened with another context."""


@runtime_checkable
class Keyring(Protocol):
    provider: str

    def current(self) -> MasterKey:
        """The master key new data keys are wrapped under."""

    def get(self, key_id: str) -> MasterKey:
        """Any key the keyring holds, current or retired-but-kept; else UnknownMasterKey."""

    def rotate(self) -> MasterKey:
        """Make a new current key; the old ones stay usable for unwrapping."""

    def retire(self, key_id: str) -> None:
        """Forget an old key (after every data key wrapped under it has been re-wrapped)."""

    def key_ids(self) -> list[str]:
        """Every key held, oldest first; the last one is the current key."""

    def create_kek(self, kek_id: str) -> MasterKey:
        """The key-encryption key ``kek_id`` (one per contract version), made if absent."""

    def kek(self, kek_id: str) -> MasterKey:
        """The key-encryption key ``kek_id``; KekDestroyed if it was destroyed or never made."""

    def destroy_kek(self, kek_id: str) -> bool:
        """Destroy ``kek_id`` for good (crypto-shredding); False if the keyring held none."""

    def describe(self) -> dict[str, str]:
        """What ``sealroom doctor`` prints: provider, where, current key id, algorithm."""
