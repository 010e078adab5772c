"""kms: keys, envelope encryption and sealing for sealroom.

The recipes other rooms use are re-exported here; the primitives behind them
live in ``kms._primitives`` and nothing outside ``kms`` imports those.

- master keys: ``PassphraseKeyring`` (default), ``Pkcs11Keyring`` (a PKCS#11 token)
- data keys: ``create_data_key``, ``open_data_key``, ``rewrap_data_key``,
  ``grant_data_key`` (a contract's grant under its KEK), ``is_kek_id``
- dataset files: ``encrypt_stream``, ``decrypt_stream``, ``EncryptingWriter``,
  ``DecryptingReader``
- parties: ``generate_party_keys``, ``save_party_key_file``, ``load_party_key_file``,
  ``sign``, ``verify_signature``, ``seal_for``, ``open_sealed``
- backups: ``write_backup``, ``read_backup``, ``restore_keyring_file``
"""

from kms.algorithms import ALGORITHMS, DEFAULT_ALGORITHM, Algorithm
from kms.backup import read_backup, restore_keyring_file, write_backup
from kms.data_keys import (
    DataKey,
    WrappedDataKey,
    create_data_key,
    grant_data_key,
    is_kek_id,
    open_data_key,
    rewrap_data_key,
)
from kms.errors import (
    BackupInvalid,
    BadSignature,
    CiphertextCorrupted,
    CurrentMasterKeyRetire,
    KekDestroyed,
    KeyDeviceUnavailable,
    KeyFileCorrupted,
    KeyFileExists,
    KeyUnwrapFailed,
    KmsError,
    KmsUsageError,
    MasterKeyFileMissing,
    PartyKeyFileMissing,
    SealedMessageInvalid,
    UnknownMasterKey,
    UnsupportedAlgorithm,
    WrongPassphrase,
)
from kms.keyring import Keyring, MasterKey, PassphraseKeyring, Pkcs11Keyring
from kms.link_certificate import LinkCertificate, ephemeral_link_certificate, is_certificate
from kms.party_keys import (
    PartyKeyPair,
    PartyPublicKeys,
    generate_party_keys,
    load_party_key_file,
    party_keys_from_material,
    private_key_material,
    save_party_key_file,
    sign,
    verify_signature,
)
from kms.sealing import open_sealed, seal_for
from kms.streaming import (
    DEFAULT_CHUNK_SIZE,
    DecryptingReader,
    EncryptingWriter,
    StreamSummary,
    decrypt_stream,
    encrypt_stream,
)

__all__ = [
    "ALGORITHMS",
    "DEFAULT_ALGORITHM",
    "DEFAULT_CHUNK_SIZE",
    "Algorithm",
    "BackupInvalid",
    "BadSignature",
    "CiphertextCorrupted",
    "CurrentMasterKeyRetire",
    "DataKey",
    "DecryptingReader",
    "EncryptingWriter",
    "KekDestroyed",
    "KeyDeviceUnavailable",
    "KeyFileCorrupted",
    "KeyFileExists",
    "KeyUnwrapFailed",
    "Keyring",
    "KmsError",
    "KmsUsageError",
    "LinkCertificate",
    "MasterKey",
    "MasterKeyFileMissing",
    "PartyKeyFileMissing",
    "PartyKeyPair",
    "PartyPublicKeys",
    "PassphraseKeyring",
    "Pkcs11Keyring",
    "SealedMessageInvalid",
    "StreamSummary",
    "UnknownMasterKey",
    "UnsupportedAlgorithm",
    "WrappedDataKey",
    "WrongPassphrase",
    "create_data_key",
    "decrypt_stream",
    "encrypt_stream",
    "ephemeral_link_certificate",
    "generate_party_keys",
    "grant_data_key",
    "is_certificate",
    "is_kek_id",
    "load_party_key_file",
    "open_data_key",
    "open_sealed",
    "party_keys_from_material",
    "private_key_material",
    "read_backup",
    "restore_keyring_file",
    "rewrap_data_key",
    "save_party_key_file",
    "seal_for",
    "sign",
    "verify_signature",
    "write_backup",
]
