"""Backup and restore of the wrapped key store.

A backup is one JSON file: every wrapped data key, the id of the master key it
was made under, and, for a passphrase keyring, the sealed master-key file
itself, so that a new machine can be restored with nothing but the backup and
the passphrase. (For a PKCS#11 keyring the token, with its own backup scheme,
is the backup of the master keys.)

The whole document is authenticated under the master key: a SHA-256 digest of
its canonical JSON is wrapped by that key. Reading a backup checks that
authenticator, then opens every data key in it, so a backup that restores is a
backup that works.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from kms._primitives.encoding import b64decode, b64encode
from kms._primitives.files import write_atomically
from kms.data_keys import WrappedDataKey, open_data_key
from kms.errors import BackupInvalid, KeyFileExists, KeyUnwrapFailed, KmsError, UnknownMasterKey
from kms.keyring import Keyring
from kms.passphrase_keyring import PassphraseKeyring

FORMAT = "sealroom-key-backup"
VERSION = 1
_AUTH_CONTEXT = b"sealroom-backup-v1"


def write_backup(path: Path, keyring: Keyring, wrapped_keys: Sequence[WrappedDataKey]) -> None:
    """Write a new backup file (0600, never overwrites) after checking every key opens."""
    if path.exists():
        raise KeyFileExists(path)
    for wrapped in wrapped_keys:
        open_data_key(keyring, wrapped, wrapped.context)
    master = keyring.current()
    body: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "provider": keyring.provider,
        "master_key_id": master.key_id,
        "keyring_describe": keyring.describe(),
        "keyring_file": (
            b64encode(keyring.sealed_bytes()) if isinstance(keyring, PassphraseKeyring) else None
        ),
        "wrapped_keys": [wrapped.to_json() for wrapped in wrapped_keys],
    }
    authenticator = master.wrap(_digest(body), _AUTH_CONTEXT)
    document = {**body, "authenticator": b64encode(authenticator)}
    data = json.dumps(document, indent=2, sort_keys=True).encode("utf-8") + b"\n"
    try:
        write_atomically(path, data, overwrite=False)
    except FileExistsError as err:
        raise KeyFileExists(path) from err


def read_backup(path: Path, keyring: Keyring) -> list[WrappedDataKey]:
    """The wrapped keys of a backup, after checking it is intact and every key opens."""
    document = _load(path)
    body = {key: value for key, value in document.items() if key != "authenticator"}
    master_key_id = str(document.get("master_key_id"))
    try:
        master = keyring.get(master_key_id)
        authenticator = b64decode(str(document.get("authenticator", "")))
        expected = master.unwrap(authenticator, _AUTH_CONTEXT)
    except UnknownMasterKey as err:
        raise BackupInvalid(
            path,
            f"it was made under master key {master_key_id}, which this keyring does not hold; "
            "restore the keyring first",
        ) from err
    except (KeyUnwrapFailed, ValueError) as err:
        raise BackupInvalid(path, "it was altered after it was written") from err
    if not hmac.compare_digest(expected, _digest(body)):
        raise BackupInvalid(path, "it was altered after it was written")
    try:
        keys = [WrappedDataKey.from_json(entry) for entry in document["wrapped_keys"]]
    except (KmsError, KeyError, TypeError) as err:
        raise BackupInvalid(path, "its key list is malformed") from err
    for wrapped in keys:
        try:
            open_data_key(keyring, wrapped, wrapped.context)
        except (KeyUnwrapFailed, UnknownMasterKey) as err:
            raise BackupInvalid(path, f"data key {wrapped.key_id} does not open") from err
    return keys


def restore_keyring_file(backup: Path, destination: Path, passphrase: str) -> PassphraseKeyring:
    """Write the master-key file carried in a backup to ``destination`` and open it.

    Refuses to overwrite ``destination``. WrongPassphrase if the passphrase does not
    open the carried file; then nothing is written.
    """
    document = _load(backup)
    carried = document.get("keyring_file")
    if not isinstance(carried, str):
        raise BackupInvalid(
            backup,
            "it carries no master-key file (it was made from a PKCS#11 keyring, whose token "
            "holds the master keys)",
        )
    try:
        sealed = b64decode(carried)
    except ValueError as err:
        raise BackupInvalid(backup, "its master-key file is malformed") from err
    PassphraseKeyring.from_sealed(backup, sealed, passphrase)
    try:
        write_atomically(destination, sealed, overwrite=False)
    except FileExistsError as err:
        raise KeyFileExists(destination) from err
    return PassphraseKeyring.open(destination, passphrase)


def _load(path: Path) -> dict[str, Any]:
    try:
        document = json.loads(path.read_bytes())
    except FileNotFoundError as err:
        raise BackupInvalid(path, "the file does not exist") from err
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise BackupInvalid(path, "it is not a sealroom key backup") from err
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise BackupInvalid(path, "it is not a sealroom key backup")
    if document.get("version") != VERSION:
        raise BackupInvalid(path, f"unsupported backup version {document.get('version')!r}")
    return document


def _digest(body: dict[str, Any]) -> bytes:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":")).encode("utf-8")
    return hashlib.sha256(canonical).digest()
