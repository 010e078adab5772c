"""Every error the kms room raises, each one a thing a person can act on.

::

    KmsError                      root; ``.message`` equals ``str(err)``
    ├── KmsUsageError             a caller passed something the kms cannot use (exact message)
    ├── UnsupportedAlgorithm      an algorithm name the kms does not implement
    ├── KeyFileExists             refusing to overwrite a key file or backup
    ├── MasterKeyFileMissing      no master key file: run `sealroom init`
    ├── PartyKeyFileMissing       no party key file: run `sealroom party init`
    ├── KeyFileCorrupted          a key file is not in the sealroom format at all
    ├── WrongPassphrase           the passphrase does not open a key file
    ├── KeyDeviceUnavailable      PKCS#11 library or token absent, wrong PIN, locked token
    ├── UnknownMasterKey          a wrapped key names a master key the keyring does not hold
    ├── CurrentMasterKeyRetire    refusing to retire the master key new keys are wrapped under
    ├── KekDestroyed              a contract's key-encryption key is gone (crypto-shredded)
    ├── KeyUnwrapFailed           opaque: a wrapped key does not open
    ├── CiphertextCorrupted       a dataset's encrypted file fails its checks (.label, .reason)
    ├── SealedMessageInvalid      opaque: a sealed result does not open for this key
    ├── BadSignature              a signature does not verify
    └── BackupInvalid             a key backup fails its checks

Caller mistakes carry exact messages. Failures on the secret path (a bad MAC, a wrong
key) are opaque on purpose: saying *why* an authentication failed helps an attacker
more than it helps an operator, who can only restore from a backup either way.
"""

from __future__ import annotations

from pathlib import Path


class KmsError(Exception):
    """Root of every kms error; ``message`` is the full sentence shown to a person."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class KmsUsageError(KmsError):
    """A caller passed a value the kms cannot work with; the message says which."""


class UnsupportedAlgorithm(KmsError):
    def __init__(self, algorithm: str) -> None:
        self.algorithm = algorithm
        super().__init__(
            f"The algorithm {algorithm!r} is not supported: use 'aes-256-gcm' (the default) "
            "or 'sm4-gcm'."
        )


class KeyFileExists(KmsError):
    def __init__(self, path: Path) -> None:
        self.path = path
        super().__init__(
            f"A file already exists at {path} and sealroom never overwrites key material: "
            "move it away first if you really mean to replace it."
        )


class MasterKeyFileMissing(KmsError):
    def __init__(self, path: Path) -> None:
        self.path = path
        super().__init__(
            f"There is no master key file at {path}: run `sealroom init` to create one, "
            "or point SEALROOM_HOME at the directory that holds it."
        )


class PartyKeyFileMissing(KmsError):
    def __init__(self, path: Path) -> None:
        self.path = path
        super().__init__(
            f"There is no party key file at {path}: create one with `sealroom party init`, "
            "or give the path of the file that holds your party keys."
        )


class KeyFileCorrupted(KmsError):
    def __init__(self, path: Path, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(
            f"The key file {path} is not a readable sealroom key file ({reason}): "
            "restore it from a backup."
        )


class WrongPassphrase(KmsError):
    def __init__(self, path: Path, what: str = "master key file") -> None:
        self.path = path
        super().__init__(
            f"The passphrase does not open the {what} {path}: check SEALROOM_PASSPHRASE "
            "(or the passphrase you typed) and try again."
        )


class KeyDeviceUnavailable(KmsError):
    """The PKCS#11 device cannot be used; the message says which part is missing."""

    @classmethod
    def driver_not_installed(cls) -> KeyDeviceUnavailable:
        return cls(
            "The PKCS#11 key provider needs the python-pkcs11 package, which is not "
            "installed: install sealroom with the `server` extra "
            "(`pip install 'sealroom[server]'`)."
        )

    @classmethod
    def library_missing(cls, library: str, detail: str) -> KeyDeviceUnavailable:
        return cls(
            f"The PKCS#11 library {library} could not be loaded ({detail}): check the "
            "library path, or install SoftHSM2 for testing with `apt-get install softhsm2` "
            "(library /usr/lib/softhsm/libsofthsm2.so)."
        )

    @classmethod
    def token_absent(cls, library: str, token_label: str) -> KeyDeviceUnavailable:
        return cls(
            f"No token labelled {token_label!r} is present in the PKCS#11 library {library}: "
            "plug the device in or check the label (list tokens with "
            "`softhsm2-util --show-slots` or `pkcs11-tool -L`)."
        )

    @classmethod
    def wrong_pin(cls, token_label: str) -> KeyDeviceUnavailable:
        return cls(
            f"The token {token_label!r} rejected the PIN: check the PIN you configured "
            "(SEALROOM_PKCS11_PIN); too many wrong attempts lock the token."
        )

    @classmethod
    def token_locked(cls, token_label: str) -> KeyDeviceUnavailable:
        return cls(
            f"The token {token_label!r} is locked after too many wrong PINs: the token's "
            "security officer must reset the user PIN before sealroom can use it."
        )

    @classmethod
    def device_error(cls, token_label: str, detail: str) -> KeyDeviceUnavailable:
        return cls(
            f"The token {token_label!r} failed while sealroom was using it ({detail}): "
            "check that the device is connected and working, then retry."
        )


class UnknownMasterKey(KmsError):
    def __init__(self, key_id: str, held: list[str]) -> None:
        self.key_id = key_id
        held_text = ", ".join(held) if held else "none"
        super().__init__(
            f"The keyring does not hold master key {key_id} (it holds: {held_text}): restore "
            "the keyring file or token that wrapped this key, or restore from a key backup."
        )


class KekDestroyed(KmsError):
    def __init__(self, kek_id: str) -> None:
        self.kek_id = kek_id
        super().__init__(
            f"The keyring holds no key-encryption key {kek_id}: it was destroyed when its "
            "contract was revoked or expired (or never made), so nothing wrapped under it can "
            "be opened again; work under a new contract version."
        )


class CurrentMasterKeyRetire(KmsError):
    def __init__(self, key_id: str) -> None:
        self.key_id = key_id
        super().__init__(
            f"Master key {key_id} is the current key and cannot be retired: rotate to a new "
            "master key, re-wrap every data key, then retire the old one."
        )


class KeyUnwrapFailed(KmsError):
    def __init__(self, key_id: str | None = None) -> None:
        self.key_id = key_id
        subject = f"The wrapped key {key_id}" if key_id else "A wrapped key"
        super().__init__(
            f"{subject} does not open under its master key: it was altered or belongs to "
            "another key store; restore the key store from a backup."
        )


class CiphertextCorrupted(KmsError):
    def __init__(self, label: str, reason: str) -> None:
        self.label = label
        self.reason = reason
        super().__init__(
            f"The encrypted data of dataset {label!r} failed its integrity check ({reason}): "
            "nothing read from it can be trusted; restore the file from a backup."
        )


class SealedMessageInvalid(KmsError):
    def __init__(self) -> None:
        super().__init__(
            "The sealed message does not open with this key: it was altered, or sealed for "
            "another party or purpose; ask the sender to seal it again for your public key."
        )


class BadSignature(KmsError):
    def __init__(self, fingerprint: str) -> None:
        self.fingerprint = fingerprint
        super().__init__(
            f"The signature does not verify against the party key {fingerprint}: the message "
            "was changed after signing or signed by someone else; do not trust it."
        )


class BackupInvalid(KmsError):
    def __init__(self, path: Path, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(
            f"The key backup {path} cannot be restored ({reason}): use another copy of the "
            "backup, or the keyring it was made with."
        )
