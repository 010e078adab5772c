"""The small value types every part of a contract is built from.

Names are deliberately narrow (lower-case, no spaces) because they end up in
file paths, audit records and signed messages, where two spellings of one name
would be two parties.
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated

from pydantic import AfterValidator, Field, Strict, StringConstraints

#: A party as named in the platform's party registry (``acme-cn``, ``alice``).
PartyName = Annotated[str, StringConstraints(strict=True, pattern=r"^[a-z0-9][a-z0-9_.-]{0,62}$")]

#: A dataset as registered by its owner (``customers``).
DatasetName = Annotated[str, StringConstraints(strict=True, pattern=r"^[a-z][a-z0-9_-]{0,62}$")]

#: A column inside a dataset, as it appears in the Parquet file (``spend_cny``).
ColumnName = Annotated[
    str, StringConstraints(strict=True, pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")
]

#: ``dataset.column``: how rules outside a dataset point at one of its columns.
ColumnRef = Annotated[
    str,
    StringConstraints(
        strict=True, pattern=r"^[a-z][a-z0-9_-]{0,62}\.[A-Za-z_][A-Za-z0-9_]{0,127}$"
    ),
]

#: ``c-12``: stable across versions of one agreement.
ContractId = Annotated[str, StringConstraints(strict=True, pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$")]

#: ISO 3166-1 alpha-2 (``CN``, ``GB``).
CountryCode = Annotated[str, StringConstraints(strict=True, pattern=r"^[A-Z]{2}$")]

#: Human text: purpose, descriptions. Non-empty once stripped.
Text = Annotated[str, StringConstraints(strict=True, strip_whitespace=True, min_length=1)]

#: Counts and limits: YAML ``"10"`` or ``10.0`` is a mistake, not a 10.
PositiveInt = Annotated[int, Strict(), Field(gt=0)]
NonNegativeInt = Annotated[int, Strict(), Field(ge=0)]

ED25519_PUBLIC_KEY_BYTES = 32


def _check_ed25519_public_key(value: str) -> str:
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("public_key must be standard base64") from exc
    if len(raw) != ED25519_PUBLIC_KEY_BYTES:
        raise ValueError(
            f"public_key must decode to {ED25519_PUBLIC_KEY_BYTES} bytes "
            f"(an Ed25519 public key), got {len(raw)}"
        )
    return value


#: An Ed25519 public key, standard base64 of the 32 raw bytes.
PublicKeyB64 = Annotated[
    str, StringConstraints(strict=True), AfterValidator(_check_ed25519_public_key)
]


def split_column_ref(ref: str) -> tuple[str, str]:
    """``"customers.mobile"`` -> ``("customers", "mobile")``."""
    dataset, _, column = ref.partition(".")
    return dataset, column
