"""The default keyring: master keys in one file sealed under a passphrase.

The file holds every master key the keyring still keeps (the current one last),
each a random 256-bit AES key. The whole key list is sealed at once (Argon2id,
or scrypt where Argon2id is unavailable, then AES-256-GCM), so an attacker who
can write the file can neither read the keys nor add, drop or reorder them.
Every change is written atomically with mode 0600.

Several processes may hold the same keyring (the server, a CLI rotating keys).
Each one notices when the file changed under it and reads it again before
answering, and changes are made under an exclusive lock on ``<file>.lock``, so
two rotations never overwrite each other's new key.

A contract's key-encryption key (KEK) is a random AES key of its own, kept
beside the key file in ``<file>.keks/<kek id>.kek``, wrapped under the current
master key (and re-wrapped when the master key rotates). Destroying it deletes
that file: what it wrapped can no longer be opened, while the master keys, and
the key file with its expensive passphrase derivation, are untouched.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import secrets
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kms._primitives import passphrase_box
from kms._primitives.aead import InvalidTag, open_small, seal_small
from kms._primitives.encoding import b64decode, b64encode, frame
from kms._primitives.files import write_atomically
from kms.errors import (
    CurrentMasterKeyRetire,
    KekDestroyed,
    KeyFileCorrupted,
    KeyFileExists,
    KeyUnwrapFailed,
    MasterKeyFileMissing,
    UnknownMasterKey,
    WrongPassphrase,
)

BOX_PURPOSE = "sealroom-master-keys"
_WRAP_VERSION = b"\x01"
_WRAP_DOMAIN = b"sealroom-master-wrap-v1"
_KEK_DOMAIN = b"sealroom-kek-v1"
_KEY_BYTES = 32


def new_master_key_id() -> str:
    return f"mk-{secrets.token_hex(4)}"


@dataclass(frozen=True)
class SoftwareMasterKey:
    """A master key held in process memory (the passphrase provider's keys)."""

    key_id: str
    material: bytes = field(repr=False)

    def wrap(self, secret: bytes, context: bytes) -> bytes:
        return _WRAP_VERSION + seal_small("aes-256-gcm", self.material, secret, self._aad(context))

    def unwrap(self, wrapped: bytes, context: bytes) -> bytes:
        if not wrapped.startswith(_WRAP_VERSION):
            raise KeyUnwrapFailed
        try:
            return open_small("aes-256-gcm", self.material, wrapped[1:], self._aad(context))
        except InvalidTag as err:
            raise KeyUnwrapFailed from err

    def _aad(self, context: bytes) -> bytes:
        # The key id is bound too, so a blob cannot be presented as wrapped by another key.
        return frame(_WRAP_DOMAIN, self.key_id.encode(), context)


class PassphraseKeyring:
    """Master keys in a passphrase-sealed file. Build with ``create`` or ``open``."""

    def __init__(
        self, path: Path, passphrase: str, keys: list[SoftwareMasterKey], kdf_name: str
    ) -> None:
        if not keys:
            raise KeyFileCorrupted(path, "it holds no master key")
        self.provider = "passphrase"
        self.path = path
        self._passphrase = passphrase
        self._keys = list(keys)
        self._kdf_name = kdf_name
        self._lock = threading.RLock()
        # (inode, mtime, size) of the file as last read or written; None: not yet read.
        self._seen: tuple[int, int, int] | None = None

    def __repr__(self) -> str:
        return f"PassphraseKeyring(path={str(self.path)!r}, key_ids={self.key_ids()!r})"

    @classmethod
    def create(cls, path: Path, passphrase: str) -> PassphraseKeyring:
        """Create a key file with one fresh master key; refuses to overwrite a file."""
        if path.exists():
            raise KeyFileExists(path)
        first = SoftwareMasterKey(new_master_key_id(), os.urandom(_KEY_BYTES))
        keyring = cls(path, passphrase, [first], passphrase_box.default_kdf_name())
        path.parent.mkdir(parents=True, exist_ok=True)
        with keyring._file_lock():
            keyring._write(overwrite=False)
        return keyring

    @classmethod
    def open(cls, path: Path, passphrase: str) -> PassphraseKeyring:
        sealed, seen = _read(path)
        keyring = cls.from_sealed(path, sealed, passphrase)
        keyring._seen = seen
        return keyring

    @classmethod
    def from_sealed(cls, path: Path, sealed: bytes, passphrase: str) -> PassphraseKeyring:
        """Open key-file bytes as if they were read from ``path`` (used by restore)."""
        try:
            plaintext = passphrase_box.open_box(sealed, passphrase, BOX_PURPOSE)
            kdf_name = passphrase_box.kdf_name_of(sealed)
        except passphrase_box.BoxMalformedError as err:
            raise KeyFileCorrupted(path, str(err)) from err
        except passphrase_box.BoxWontOpenError as err:
            raise WrongPassphrase(path) from err
        return cls(path, passphrase, _parse_keys(path, plaintext), kdf_name)

    def sealed_bytes(self) -> bytes:
        """The key file as it is on disk (still sealed), for backups."""
        return self.path.read_bytes()

    def current(self) -> SoftwareMasterKey:
        with self._lock:
            self._refresh()
            return self._keys[-1]

    def get(self, key_id: str) -> SoftwareMasterKey:
        with self._lock:
            self._refresh()
            for key in self._keys:
                if key.key_id == key_id:
                    return key
            raise UnknownMasterKey(key_id, [key.key_id for key in self._keys])

    def rotate(self) -> SoftwareMasterKey:
        with self._lock, self._file_lock():
            self._refresh()
            fresh = SoftwareMasterKey(new_master_key_id(), os.urandom(_KEY_BYTES))
            self._keys.append(fresh)
            try:
                self._write(overwrite=True)
            except BaseException:
                self._keys.pop()
                raise
            self._rewrap_keks()
            return fresh

    def retire(self, key_id: str) -> None:
        with self._lock, self._file_lock():
            self._refresh()
            held = [key.key_id for key in self._keys]
            if key_id not in held:
                raise UnknownMasterKey(key_id, held)
            if key_id == held[-1]:
                raise CurrentMasterKeyRetire(key_id)
            self._rewrap_keks()  # no KEK may be left under the key that goes
            before = list(self._keys)
            self._keys = [key for key in self._keys if key.key_id != key_id]
            try:
                self._write(overwrite=True)
            except BaseException:
                self._keys = before
                raise

    def create_kek(self, kek_id: str) -> SoftwareMasterKey:
        with self._lock, self._file_lock():
            held = self._read_kek(kek_id)
            if held is not None:
                return held
            fresh = SoftwareMasterKey(kek_id, os.urandom(_KEY_BYTES))
            self._write_kek(fresh, overwrite=False)
            return fresh

    def kek(self, kek_id: str) -> SoftwareMasterKey:
        with self._lock:
            held = self._read_kek(kek_id)
            if held is None:
                raise KekDestroyed(kek_id)
            return held

    def destroy_kek(self, kek_id: str) -> bool:
        with self._lock, self._file_lock():
            path = self._kek_path(kek_id)
            try:
                path.unlink()
            except FileNotFoundError:
                return False
            _sync_directory(path.parent)
            return True

    def _kek_dir(self) -> Path:
        return self.path.with_name(self.path.name + ".keks")

    def _kek_path(self, kek_id: str) -> Path:
        if not kek_id.replace("-", "").isalnum():
            raise KeyFileCorrupted(self._kek_dir(), f"{kek_id!r} is not a key-encryption key id")
        return self._kek_dir() / f"{kek_id}.kek"

    def _read_kek(self, kek_id: str) -> SoftwareMasterKey | None:
        path = self._kek_path(kek_id)
        try:
            document = json.loads(path.read_bytes())
            master = self.get(str(document["master_key_id"]))
            wrapped = b64decode(document["wrapped"])
        except FileNotFoundError:
            return None
        except (ValueError, KeyError, TypeError) as err:
            raise KeyFileCorrupted(path, "it is not a wrapped key-encryption key") from err
        return SoftwareMasterKey(
            kek_id, master.unwrap(wrapped, frame(_KEK_DOMAIN, kek_id.encode()))
        )

    def _write_kek(self, kek: SoftwareMasterKey, *, overwrite: bool) -> None:
        master = self.current()
        document = {
            "kek": kek.key_id,
            "master_key_id": master.key_id,
            "wrapped": b64encode(
                master.wrap(kek.material, frame(_KEK_DOMAIN, kek.key_id.encode()))
            ),
        }
        self._kek_dir().mkdir(mode=0o700, exist_ok=True)
        write_atomically(
            self._kek_path(kek.key_id), json.dumps(document).encode("utf-8"), overwrite=overwrite
        )

    def _rewrap_keks(self) -> None:
        """Every KEK wrapped under the current master key (before an old one is retired)."""
        if not self._kek_dir().is_dir():
            return
        for path in sorted(self._kek_dir().glob("*.kek")):
            held = self._read_kek(path.stem)
            if held is not None:
                self._write_kek(held, overwrite=True)

    def key_ids(self) -> list[str]:
        with self._lock:
            self._refresh()
            return [key.key_id for key in self._keys]

    def describe(self) -> dict[str, str]:
        self._refresh()
        return {
            "provider": self.provider,
            "where": str(self.path),
            "current_key_id": self._keys[-1].key_id,
            "algorithm": "aes-256-gcm",
            "key_derivation": self._kdf_name,
            "keys_held": str(len(self._keys)),
        }

    def change_passphrase(self, new_passphrase: str) -> None:
        """Re-seal the same master keys under a new passphrase (fresh salt)."""
        with self._lock, self._file_lock():
            self._refresh()
            old = self._passphrase
            self._passphrase = new_passphrase
            try:
                self._write(overwrite=True)
            except BaseException:
                self._passphrase = old
                raise

    def _write(self, *, overwrite: bool) -> None:
        document = {
            "keys": [{"id": key.key_id, "key": b64encode(key.material)} for key in self._keys],
        }
        plaintext = json.dumps(document, sort_keys=True).encode("utf-8")
        sealed = passphrase_box.seal(plaintext, self._passphrase, BOX_PURPOSE, self._kdf_name)
        try:
            write_atomically(self.path, sealed, overwrite=overwrite)
        except FileExistsError as err:
            raise KeyFileExists(self.path) from err
        self._seen = _signature(self.path.stat())

    def _refresh(self) -> None:
        """Read the file again if another process (or keyring object) changed it."""
        try:
            if self._seen is not None and _signature(self.path.stat()) == self._seen:
                return
        except FileNotFoundError as err:
            raise MasterKeyFileMissing(self.path) from err
        sealed, seen = _read(self.path)
        latest = PassphraseKeyring.from_sealed(self.path, sealed, self._passphrase)
        self._keys, self._kdf_name, self._seen = latest._keys, latest._kdf_name, seen

    @contextlib.contextmanager
    def _file_lock(self) -> Iterator[None]:
        lock_path = self.path.with_name(self.path.name + ".lock")
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing the descriptor releases the lock


def _signature(status: os.stat_result) -> tuple[int, int, int]:
    return (status.st_ino, status.st_mtime_ns, status.st_size)


def _read(path: Path) -> tuple[bytes, tuple[int, int, int]]:
    """The file's bytes and the signature of exactly the version read."""
    try:
        with path.open("rb") as handle:
            return handle.read(), _signature(os.fstat(handle.fileno()))
    except FileNotFoundError as err:
        raise MasterKeyFileMissing(path) from err


def _parse_keys(path: Path, plaintext: bytes) -> list[SoftwareMasterKey]:
    try:
        document: Any = json.loads(plaintext)
        keys = [
            SoftwareMasterKey(str(entry["id"]), b64decode(entry["key"]))
            for entry in document["keys"]
        ]
    except (ValueError, KeyError, TypeError) as err:
        raise KeyFileCorrupted(path, "its key list is malformed") from err
    if not keys or any(len(key.material) != _KEY_BYTES for key in keys):
        raise KeyFileCorrupted(path, "its key list is malformed")
    return keys


def _sync_directory(directory: Path) -> None:
    """The unlink itself survives a power cut: a destroyed KEK does not come back."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
