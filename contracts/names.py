"""The small value types every part of a contract is built from.

Names are deliberately narrow (no spaces, one spelling each) because they end up
in file paths, audit records and signed messages, where two spellings of one name
would be two parties. Dataset and column names may be written in any script
(``客户_2024.手机号``); ``unicode_names`` says what that allows.
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated

from pydantic import AfterValidator, Field, Strict, StringConstraints

from contracts.unicode_names import (
    MAX_COLUMN_NAME_CHARS,
    MAX_DATASET_NAME_CHARS,
    column_name_problem,
    dataset_name_problem,
)

#: A party as named in the platform's party registry (``acme-cn``, ``alice``).
PartyName = Annotated[str, StringConstraints(strict=True, pattern=r"^[a-z0-9][a-z0-9_.-]{0,62}$")]


def _check_dataset_name(value: str) -> str:
    problem = dataset_name_problem(value)
    if problem:
        raise ValueError(f"dataset name {value!r} {problem}")
    return value


def _check_column_name(value: str) -> str:
    problem = column_name_problem(value)
    if problem:
        raise ValueError(f"column name {value!r} {problem}")
    return value


def _check_column_ref(value: str) -> str:
    dataset, dot, column = value.partition(".")
    if not dot:
        raise ValueError(f"{value!r} is not a column reference: write it as dataset.column")
    _check_dataset_name(dataset)
    _check_column_name(column)
    return value


#: A dataset as registered by its owner (``customers``, ``客户_2024``).
DatasetName = Annotated[
    str,
    StringConstraints(strict=True, min_length=1, max_length=MAX_DATASET_NAME_CHARS),
    AfterValidator(_check_dataset_name),
]

#: A column inside a dataset, as it appears in the Parquet file (``spend_cny``, ``手机号``).
ColumnName = Annotated[
    str,
    StringConstraints(strict=True, min_length=1, max_length=MAX_COLUMN_NAME_CHARS),
    AfterValidator(_check_column_name),
]

#: ``dataset.column``: how rules outside a dataset point at one of its columns.
ColumnRef = Annotated[
    str,
    StringConstraints(
        strict=True, min_length=3, max_length=MAX_DATASET_NAME_CHARS + 1 + MAX_COLUMN_NAME_CHARS
    ),
    AfterValidator(_check_column_ref),
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
