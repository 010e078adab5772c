"""The production keyring: master keys generated inside a PKCS#11 token.

Each master key is an AES-256 secret-key object created by the token with
CKA_SENSITIVE=true and CKA_EXTRACTABLE=false, labelled ``sealroom-master-<id>``.
Wrapping is CKM_AES_GCM encryption performed by the token (random 96-bit IV
chosen here, the context as GCM associated data), so the master key's value is
never in this process. CKA_ID holds an 8-byte generation counter: the key with
the highest generation is the current one, which keeps "current" a property of
the token itself rather than of some file beside it.

A contract's key-encryption key (KEK) is another such object, labelled
``sealroom-kek-<id>``; destroying it is C_DestroyObject inside the token, after
which nothing wrapped under it opens, here or on any copy of the store.

python-pkcs11 is imported lazily: it belongs to the server extra, and a partner
who only opens sealed results never needs it.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import secrets
import struct
import threading
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any

from kms._primitives.encoding import frame
from kms.errors import (
    CurrentMasterKeyRetire,
    KekDestroyed,
    KeyDeviceUnavailable,
    KeyUnwrapFailed,
    UnknownMasterKey,
)

if TYPE_CHECKING:
    from pkcs11 import Session

LABEL_PREFIX = "sealroom-master-"
KEK_LABEL_PREFIX = "sealroom-kek-"
_KEK_OBJECT_ID = b"sealroom-kek"  # not 8 bytes: never read as a master key's generation
_WRAP_VERSION = b"\x01"
_WRAP_DOMAIN = b"sealroom-token-wrap-v1"
_IV_BYTES = 12
_TAG_BITS = 128


def _device_failure_types() -> tuple[type[Exception], ...]:
    """python-pkcs11 errors that mean the device, not the data, is at fault."""
    import pkcs11.exceptions as p11e  # noqa: PLC0415

    return (
        p11e.DeviceError,
        p11e.DeviceMemory,
        p11e.DeviceRemoved,
        p11e.TokenNotPresent,
        p11e.TokenNotRecognised,
        p11e.SessionClosed,
        p11e.SessionHandleInvalid,
        p11e.UserNotLoggedIn,
        p11e.HostMemory,
    )


@dataclass(frozen=True)
class TokenMasterKey:
    """A handle to a master key inside the token; holds no key material."""

    key_id: str
    generation: int
    _keyring: Pkcs11Keyring
    # python-pkcs11 types key objects loosely (encrypt/decrypt are mixins), hence Any.
    _handle: Any

    def __repr__(self) -> str:
        return f"TokenMasterKey(key_id={self.key_id!r}, generation={self.generation})"

    def wrap(self, secret: bytes, context: bytes) -> bytes:
        from pkcs11 import Mechanism  # noqa: PLC0415
        from pkcs11.mechanisms import GCMParams  # noqa: PLC0415

        iv = os.urandom(_IV_BYTES)
        params = GCMParams(iv, self._aad(context), _TAG_BITS)
        with self._keyring.device_call():
            sealed = self._handle.encrypt(
                secret, mechanism=Mechanism.AES_GCM, mechanism_param=params
            )
        return _WRAP_VERSION + iv + bytes(sealed)

    def unwrap(self, wrapped: bytes, context: bytes) -> bytes:
        from pkcs11 import Mechanism, PKCS11Error  # noqa: PLC0415
        from pkcs11.mechanisms import GCMParams  # noqa: PLC0415

        if len(wrapped) < 1 + _IV_BYTES + _TAG_BITS // 8 or not wrapped.startswith(_WRAP_VERSION):
            raise KeyUnwrapFailed
        iv, sealed = wrapped[1 : 1 + _IV_BYTES], wrapped[1 + _IV_BYTES :]
        params = GCMParams(iv, self._aad(context), _TAG_BITS)
        try:
            with self._keyring.device_call(secret_path=True):
                return bytes(
                    self._handle.decrypt(
                        sealed, mechanism=Mechanism.AES_GCM, mechanism_param=params
                    )
                )
        except KeyDeviceUnavailable:
            raise
        except PKCS11Error as err:
            # SoftHSM2 reports a bad tag as CKR_GENERAL_ERROR rather than
            # CKR_ENCRYPTED_DATA_INVALID, so anything not a device failure is a bad
            # blob, unless the session itself has gone (library finalised, device gone).
            if not _still_alive(self._keyring._session):
                raise KeyDeviceUnavailable.device_error(
                    self._keyring.token_label, type(err).__name__
                ) from err
            raise KeyUnwrapFailed from err

    def _aad(self, context: bytes) -> bytes:
        return frame(_WRAP_DOMAIN, self.key_id.encode(), context)


class Pkcs11Keyring:
    """Master keys inside one PKCS#11 token. Build with ``open``; ``close`` when done."""

    def __init__(self, library: str, token_label: str, shared: _SharedSession) -> None:
        self.provider = "pkcs11"
        self.library = library
        self.token_label = token_label
        self._shared = shared
        self._session = shared.session
        self._lock = shared.lock
        self._keys: list[TokenMasterKey] = []
        self._closed = False

    def __repr__(self) -> str:
        return f"Pkcs11Keyring(library={self.library!r}, token_label={self.token_label!r})"

    @classmethod
    def open(cls, library: str, token_label: str, pin: str) -> Pkcs11Keyring:
        """Log in to the token; create the first master key there if it holds none."""
        try:
            import pkcs11  # noqa: PLC0415
            import pkcs11.exceptions as p11e  # noqa: PLC0415
        except ImportError as err:
            raise KeyDeviceUnavailable.driver_not_installed() from err
        try:
            lib = pkcs11.lib(library)
        except pkcs11.PKCS11Error as err:
            raise KeyDeviceUnavailable.library_missing(
                library, str(err) or type(err).__name__
            ) from err
        try:
            token = lib.get_token(token_label=token_label)
        except p11e.NoSuchToken as err:
            raise KeyDeviceUnavailable.token_absent(library, token_label) from err
        except p11e.MultipleTokensReturned as err:
            raise KeyDeviceUnavailable(
                f"More than one token is labelled {token_label!r} in {library}: relabel one "
                "of them so sealroom knows which holds its master keys."
            ) from err
        shared = _acquire_session(token, library, token_label, pin)
        keyring = cls(library, token_label, shared)
        keyring._load_keys()
        if not keyring._keys:
            keyring.rotate()
        return keyring

    def close(self) -> None:
        """Release the token session (logging out when no other keyring in the process uses it)."""
        if not self._closed:
            self._closed = True
            _release_session(self._shared)

    def __enter__(self) -> Pkcs11Keyring:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def device_call(self, *, secret_path: bool = False) -> _DeviceCall:
        """Serialise token calls (a PKCS#11 session is not thread-safe) and map failures.

        Every PKCS#11 error becomes KeyDeviceUnavailable, except on the secret path
        (unwrapping), where only device failures do and the rest is left to the caller.
        """
        return _DeviceCall(self, secret_path)

    # Another process (or another keyring in this one) may have rotated or retired
    # keys since we last looked, so the token is asked every time: wrapping new data
    # keys under a master key someone else has just retired would strand them.

    def current(self) -> TokenMasterKey:
        with self._lock:
            self._load_keys()
            if not self._keys:
                raise KeyDeviceUnavailable(
                    f"The token {self.token_label!r} no longer holds any sealroom master key: "
                    "restore the token from its backup before using sealroom with it."
                )
            return self._keys[-1]

    def get(self, key_id: str) -> TokenMasterKey:
        with self._lock:
            self._load_keys()
            for key in self._keys:
                if key.key_id == key_id:
                    return key
            raise UnknownMasterKey(key_id, [key.key_id for key in self._keys])

    def rotate(self) -> TokenMasterKey:
        with self._lock:
            self._load_keys()
            generation = self._keys[-1].generation + 1 if self._keys else 1
            key_id = f"mk-{secrets.token_hex(4)}"
            handle = self._generate(struct.pack(">Q", generation), LABEL_PREFIX + key_id)
            key = TokenMasterKey(key_id, generation, self, handle)
            self._keys.append(key)
            return key

    def create_kek(self, kek_id: str) -> TokenMasterKey:
        with self._lock:
            held = self._find_kek(kek_id)
            if held is None:
                held = self._generate(_KEK_OBJECT_ID, KEK_LABEL_PREFIX + kek_id)
            return TokenMasterKey(kek_id, 0, self, held)

    def kek(self, kek_id: str) -> TokenMasterKey:
        with self._lock:
            held = self._find_kek(kek_id)
            if held is None:
                raise KekDestroyed(kek_id)
            return TokenMasterKey(kek_id, 0, self, held)

    def destroy_kek(self, kek_id: str) -> bool:
        with self._lock:
            held = self._find_kek(kek_id)
            if held is None:
                return False
            with self.device_call():
                held.destroy()
            return True

    def _find_kek(self, kek_id: str) -> Any:
        from pkcs11 import Attribute, ObjectClass  # noqa: PLC0415

        with self.device_call():
            found = list(
                self._session.get_objects(
                    {
                        Attribute.CLASS: ObjectClass.SECRET_KEY,
                        Attribute.LABEL: KEK_LABEL_PREFIX + kek_id,
                    }
                )
            )
        return found[0] if found else None

    def _generate(self, object_id: bytes, label: str) -> Any:
        """A new AES-256 key inside the token that can only encrypt and decrypt there."""
        from pkcs11 import Attribute, KeyType  # noqa: PLC0415

        with self.device_call():
            return self._session.generate_key(
                KeyType.AES,
                256,
                id=object_id,
                label=label,
                store=True,
                template={
                    Attribute.TOKEN: True,
                    Attribute.PRIVATE: True,
                    Attribute.SENSITIVE: True,
                    Attribute.EXTRACTABLE: False,
                    Attribute.ENCRYPT: True,
                    Attribute.DECRYPT: True,
                    Attribute.WRAP: False,
                    Attribute.UNWRAP: False,
                    Attribute.SIGN: False,
                    Attribute.VERIFY: False,
                    Attribute.DERIVE: False,
                },
            )

    def retire(self, key_id: str) -> None:
        with self._lock:
            key = self.get(key_id)
            if key.key_id == self.current().key_id:
                raise CurrentMasterKeyRetire(key_id)
            with self.device_call():
                key._handle.destroy()
            self._keys = [held for held in self._keys if held.key_id != key_id]

    def key_ids(self) -> list[str]:
        with self._lock:
            self._load_keys()
            return [key.key_id for key in self._keys]

    def describe(self) -> dict[str, str]:
        with self._lock:
            self._load_keys()
            return {
                "provider": self.provider,
                "where": f"token {self.token_label!r} via {self.library}",
                "current_key_id": self.current().key_id,
                "algorithm": "aes-256-gcm (CKM_AES_GCM inside the token)",
                "keys_held": str(len(self._keys)),
            }

    def _load_keys(self) -> None:
        from pkcs11 import Attribute, KeyType, ObjectClass  # noqa: PLC0415

        found: list[TokenMasterKey] = []
        with self._lock, self.device_call():
            template: dict[Any, Any] = {
                Attribute.CLASS: ObjectClass.SECRET_KEY,
                Attribute.KEY_TYPE: KeyType.AES,
            }
            for handle in self._session.get_objects(template):
                label = str(handle[Attribute.LABEL])
                raw_id = bytes(handle[Attribute.ID])
                if not label.startswith(LABEL_PREFIX) or len(raw_id) != 8:
                    continue
                (generation,) = struct.unpack(">Q", raw_id)
                found.append(TokenMasterKey(label[len(LABEL_PREFIX) :], generation, self, handle))
            found.sort(key=lambda key: (key.generation, key.key_id))
            self._keys = found


@dataclass
class _SharedSession:
    """One logged-in session per token and process.

    PKCS#11 login state belongs to the application, not the session: a second
    C_Login fails with CKR_USER_ALREADY_LOGGED_IN, and logging out one session logs
    out all of them. So keyrings on the same token share one session, counted.
    """

    key: tuple[str, str]
    session: Session
    pin_digest: bytes
    lock: threading.RLock
    users: int = 0


_sessions: dict[tuple[str, str], _SharedSession] = {}
_sessions_lock = threading.Lock()


def _pin_digest(pin: str) -> bytes:
    return hashlib.sha256(b"sealroom-pin\0" + pin.encode("utf-8")).digest()


def _acquire_session(token: Any, library: str, token_label: str, pin: str) -> _SharedSession:
    import pkcs11  # noqa: PLC0415
    import pkcs11.exceptions as p11e  # noqa: PLC0415

    key = (library, token_label)
    with _sessions_lock:
        shared = _sessions.get(key)
        if shared is not None and not _still_alive(shared.session):
            del _sessions[key]
            shared = None
        if shared is not None:
            if not hmac.compare_digest(shared.pin_digest, _pin_digest(pin)):
                raise KeyDeviceUnavailable.wrong_pin(token_label)
            shared.users += 1
            return shared
        try:
            session = token.open(user_pin=pin, rw=True)
        except (p11e.PinIncorrect, p11e.PinInvalid, p11e.PinLenRange) as err:
            raise KeyDeviceUnavailable.wrong_pin(token_label) from err
        except (p11e.PinLocked, p11e.PinExpired) as err:
            raise KeyDeviceUnavailable.token_locked(token_label) from err
        except pkcs11.PKCS11Error as err:
            raise KeyDeviceUnavailable.device_error(token_label, type(err).__name__) from err
        shared = _SharedSession(key, session, _pin_digest(pin), threading.RLock(), users=1)
        _sessions[key] = shared
        return shared


def _release_session(shared: _SharedSession) -> None:
    import pkcs11  # noqa: PLC0415

    with _sessions_lock:
        shared.users -= 1
        if shared.users > 0:
            return
        if _sessions.get(shared.key) is shared:
            del _sessions[shared.key]
    with shared.lock, contextlib.suppress(pkcs11.PKCS11Error):
        # The library may already have been finalised; the session is gone either way.
        shared.session.close()


def _still_alive(session: Any) -> bool:
    """False once the library was finalised or the device removed under the session."""
    import pkcs11  # noqa: PLC0415
    from pkcs11 import Attribute  # noqa: PLC0415

    try:
        list(session.get_objects({Attribute.LABEL: "sealroom-session-probe"}))
    except pkcs11.PKCS11Error:
        return False
    return True


class _DeviceCall:
    def __init__(self, keyring: Pkcs11Keyring, secret_path: bool) -> None:
        self._keyring = keyring
        self._secret_path = secret_path

    def __enter__(self) -> None:
        self._keyring._lock.acquire()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        from pkcs11 import PKCS11Error  # noqa: PLC0415

        self._keyring._lock.release()
        if not isinstance(exc, PKCS11Error):
            return
        if not self._secret_path or isinstance(exc, _device_failure_types()):
            raise KeyDeviceUnavailable.device_error(
                self._keyring.token_label, type(exc).__name__
            ) from exc
