"""Envelope encryption: a fresh data key per dataset version, stored only wrapped.

A data key (DEK) encrypts one dataset version; a master key wraps the DEK. Only
the wrapped form is ever stored, so rotating the master key means re-wrapping a
few hundred bytes per dataset, never re-encrypting the data.

The wrap binds the DEK's id, its algorithm and the caller's context (the dataset
and version it belongs to) as associated data: a wrapped key copied onto another
dataset's record, or relabelled as another algorithm, does not open.

A data key may instead be wrapped under a contract's key-encryption key (KEK,
ids ``kek-...``): the keys of that contract's outputs, and its *grants* (a
dataset's data key wrapped once more under the KEK, for that contract's runs).
Destroying the KEK shreds exactly those; the dataset's own master-wrapped key
is untouched. Master-key rotation leaves KEK-wrapped keys as they are: re-wrapping
them under the master key would undo the shredding.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kms._primitives.encoding import b64decode, b64encode, frame
from kms.algorithms import KEY_BYTES, Algorithm, check_algorithm
from kms.errors import KeyUnwrapFailed, KmsUsageError

if TYPE_CHECKING:
    from kms.keyring import Keyring, MasterKey

_WRAP_DOMAIN = b"sealroom-dek-v1"
KEK_PREFIX = "kek-"


def is_kek_id(key_id: str) -> bool:
    """Whether ``key_id`` names a contract's key-encryption key rather than a master key."""
    return key_id.startswith(KEK_PREFIX)


@dataclass(frozen=True)
class WrappedDataKey:
    """A data key as stored: wrapped under the master key ``master_key_id``.

    ``context`` is the context the key was wrapped with. It is not secret; it is
    carried along so that backups and re-wrapping can open the key without asking
    the caller again. Opening still requires the caller to state the context.
    """

    key_id: str
    master_key_id: str
    algorithm: Algorithm
    wrapped: bytes = field(repr=False)
    context: bytes = b""

    def to_json(self) -> dict[str, str]:
        return {
            "key_id": self.key_id,
            "master_key_id": self.master_key_id,
            "algorithm": self.algorithm,
            "wrapped": b64encode(self.wrapped),
            "context": b64encode(self.context),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> WrappedDataKey:
        try:
            return cls(
                key_id=_text(data, "key_id"),
                master_key_id=_text(data, "master_key_id"),
                algorithm=check_algorithm(_text(data, "algorithm")),
                wrapped=b64decode(_text(data, "wrapped")),
                context=b64decode(str(data.get("context", ""))),
            )
        except ValueError as err:
            raise KmsUsageError(
                f"This is not a wrapped data key ({err}): pass the dictionary that "
                "WrappedDataKey.to_json() produced."
            ) from err


def _text(data: Mapping[str, Any], name: str) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value:
        raise ValueError(f"field {name!r} is missing or not a string")
    return value


class DataKey:
    """An unwrapped data key. Its material never appears in repr or str."""

    __slots__ = ("_material", "algorithm", "key_id", "wrapped")

    def __init__(self, wrapped: WrappedDataKey, material: bytes) -> None:
        if len(material) != KEY_BYTES[wrapped.algorithm]:
            raise KeyUnwrapFailed(wrapped.key_id)
        self.key_id = wrapped.key_id
        self.algorithm: Algorithm = wrapped.algorithm
        self.wrapped = wrapped
        self._material = material

    def __repr__(self) -> str:
        return f"DataKey(key_id={self.key_id!r}, algorithm={self.algorithm!r})"

    def __reduce__(self) -> str | tuple[Any, ...]:
        # Pickling would write the raw key to wherever the pickle goes (a Ray object
        # store, a cache); ship the WrappedDataKey instead.
        raise TypeError("DataKey cannot be pickled: pass its WrappedDataKey instead")


def _wrap_context(key_id: str, algorithm: Algorithm, context: bytes) -> bytes:
    return frame(_WRAP_DOMAIN, key_id.encode(), algorithm.encode(), context)


def create_data_key(
    keyring: Keyring, algorithm: Algorithm, context: bytes, *, under: MasterKey | None = None
) -> DataKey:
    """A fresh random data key, wrapped under the keyring's current master key, or
    under ``under`` (a contract's KEK from ``keyring.create_kek``)."""
    algorithm = check_algorithm(algorithm)
    key_id = f"dek-{secrets.token_hex(8)}"
    material = os.urandom(KEY_BYTES[algorithm])
    master = under or keyring.current()
    wrapped = WrappedDataKey(
        key_id=key_id,
        master_key_id=master.key_id,
        algorithm=algorithm,
        wrapped=master.wrap(material, _wrap_context(key_id, algorithm, context)),
        context=context,
    )
    return DataKey(wrapped, material)


def grant_data_key(key: DataKey, kek: MasterKey, context: bytes) -> WrappedDataKey:
    """The same data key wrapped once more under ``kek``: a contract's grant to use it.

    The grant keeps the key's id (the data it encrypts names that id), and is bound
    to ``context``, which should name the contract as well as the data.
    """
    return WrappedDataKey(
        key_id=key.key_id,
        master_key_id=kek.key_id,
        algorithm=key.algorithm,
        wrapped=kek.wrap(key._material, _wrap_context(key.key_id, key.algorithm, context)),
        context=context,
    )


def open_data_key(keyring: Keyring, wrapped: WrappedDataKey, context: bytes) -> DataKey:
    """Unwrap; UnknownMasterKey if its master key is gone, KekDestroyed if its contract's
    KEK is, KeyUnwrapFailed otherwise."""
    wrapping = wrapped.master_key_id
    master = keyring.kek(wrapping) if is_kek_id(wrapping) else keyring.get(wrapping)
    try:
        material = master.unwrap(
            wrapped.wrapped, _wrap_context(wrapped.key_id, wrapped.algorithm, context)
        )
    except KeyUnwrapFailed as err:
        raise KeyUnwrapFailed(wrapped.key_id) from err
    return DataKey(wrapped, material)


def rewrap_data_key(keyring: Keyring, wrapped: WrappedDataKey, context: bytes) -> WrappedDataKey:
    """The same data key, wrapped under ``keyring.current()``; the data files are untouched.

    A key under a contract's KEK stays under it (its KEK is not rotated with the master).
    """
    if is_kek_id(wrapped.master_key_id):
        return wrapped
    key = open_data_key(keyring, wrapped, context)
    master = keyring.current()
    return WrappedDataKey(
        key_id=wrapped.key_id,
        master_key_id=master.key_id,
        algorithm=wrapped.algorithm,
        wrapped=master.wrap(key._material, _wrap_context(key.key_id, key.algorithm, context)),
        context=context,
    )
