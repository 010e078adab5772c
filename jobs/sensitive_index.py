"""Keyed hashes of the inputs' personal values, so outputs can be checked against them.

Hostile code may copy phone numbers, ID numbers or names straight into an
output column (DESIGN.md, Threat model: "encode raw data in its outputs").
The checker must recognise such values without holding the raw table a second
time, so the inputs are reduced once, at run time, to keyed BLAKE2b digests.
The key is per run and never stored with the index: phone and ID numbers are
so few that an unkeyed hash of them is a lookup table, not a secret.

Only values held by fewer than ``min_group_size`` people are indexed: those
single people out. A category shared by many (a common diagnosis, a city) is
what aggregates are grouped by, and flagging it would block every honest output.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from array import array
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from contracts import Classification, Contract

#: Classifications whose values may never leave in clear (names are ``personal``).
PROTECTED = frozenset(
    {Classification.IDENTIFIER, Classification.PERSONAL, Classification.SENSITIVE_PERSONAL}
)

_MIN_KEY_BYTES = 16
# 64-bit digests in a sorted array: eight bytes per value, so a million customers'
# identifiers take tens of megabytes, not the best part of a gigabyte as a set of
# bytes objects. A false match needs a 2**-64 collision.
_DIGEST_BYTES = 8
_MIN_LENGTH = 2  # one character (a gender code, an initial) identifies nobody
_MIN_PHONE_DIGITS = 7
_CN_NATIONAL_DIGITS = 11
_TOKEN_SPLIT = re.compile(r"[\s,;|/\\()\[\]{}<>\"'`]+")
_DIGIT_RUN = re.compile(r"\+?\d[\d\- ]{5,}\d")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def normalise(value: object) -> str | None:
    """The text form a value is compared in; ``None`` for nulls and values too short."""
    if value is None:
        return None
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, Decimal) and value == value.to_integral_value():
        value = int(value)
    if isinstance(value, dt.date | dt.datetime):
        text = value.isoformat()
    elif isinstance(value, bytes):
        text = value.decode("utf-8", errors="replace")
    else:
        text = str(value)
    text = text.strip()
    if "@" in text:
        text = text.lower()
    return text if len(text) >= _MIN_LENGTH else None


def variants(text: str) -> Iterator[str]:
    """``text`` and its digits-only forms, so ``+86 138-0013-8000`` matches ``13800138000``."""
    yield text
    digits = re.sub(r"\D", "", text)
    if len(digits) >= _MIN_PHONE_DIGITS and digits != text:
        yield digits
    if len(digits) > _CN_NATIONAL_DIGITS and digits.startswith("86"):
        yield digits[-_CN_NATIONAL_DIGITS:]


def candidates(value: object) -> Iterator[str]:
    """Every piece of an output cell that could be a copied value: the whole cell, its
    tokens, and digit runs and e-mail addresses inside longer text."""
    text = normalise(value)
    if text is None:
        return
    yield from variants(text)
    if not isinstance(value, str):
        return
    for token in _TOKEN_SPLIT.split(text):
        token_text = normalise(token)
        if token_text is not None and token_text != text:
            yield from variants(token_text)
    for match in (*_DIGIT_RUN.findall(text), *_EMAIL.findall(text)):
        found = normalise(match)
        if found is not None:
            yield from variants(found)


@dataclass(frozen=True)
class SensitiveValueIndex:
    key: bytes
    digests: npt.NDArray[np.uint64]  # sorted, unique
    columns: tuple[str, ...]  # ``dataset.column`` refs the values came from

    def digest(self, text: str) -> int:
        return _digest(_keyed(self.key), text)

    def contains(self, value: object) -> bool:
        """Does ``value`` (an output cell) carry an indexed input value?"""
        return any(self._holds(self.digest(c)) for c in candidates(value))

    def _holds(self, digest: int) -> bool:
        position = int(np.searchsorted(self.digests, np.uint64(digest)))
        return position < len(self.digests) and int(self.digests[position]) == digest

    def __len__(self) -> int:
        return len(self.digests)


def build_sensitive_index(
    contract: Contract,
    inputs: Mapping[str, pa.Table],
    *,
    key: bytes,
    min_group_size: int | None = None,
) -> SensitiveValueIndex:
    """Index the rare values of every protected column of ``inputs`` (by dataset name).

    ``key`` must be random and at least 16 bytes; keep it only as long as the checks.
    """
    if len(key) < _MIN_KEY_BYTES:
        raise ValueError("the index key must be at least 16 random bytes")
    limit = contract.output.min_group_size if min_group_size is None else min_group_size
    keyed = _keyed(key)
    digests = array("Q")
    columns: list[str] = []
    for dataset_name, table in inputs.items():
        dataset = contract.dataset(dataset_name)
        for name in table.column_names:
            column = dataset.column(name) if dataset is not None else None
            # A column the contract does not classify is treated as personal.
            if column is not None and column.classification not in PROTECTED:
                continue
            columns.append(f"{dataset_name}.{name}")
            rare = _rare_values(table.column(name), limit)
            if pa.types.is_string(rare.type) or pa.types.is_large_string(rare.type):
                digests.extend(_string_digests(keyed, rare))
            else:
                for value in rare.to_pylist():
                    text = normalise(value)
                    if text is not None:
                        digests.extend(_digest(keyed, v) for v in variants(text))
    packed = np.unique(np.frombuffer(digests, dtype=np.uint64))
    return SensitiveValueIndex(key, packed, tuple(columns))


def _keyed(key: bytes) -> Any:
    return hashlib.blake2b(key=key[:64], digest_size=_DIGEST_BYTES)


def _digest(keyed: Any, text: str) -> int:
    # Copying a keyed state is cheaper than keying a new one, per value.
    state = keyed.copy()
    state.update(text.encode("utf-8"))
    return int.from_bytes(state.digest(), "little")


def _rare_values(column: pa.ChunkedArray[Any], limit: int) -> pa.Array[Any]:
    if pa.types.is_dictionary(column.type):
        column = column.cast(column.type.value_type)
    counts = pc.value_counts(column.drop_null())
    rare = pc.less(counts.field("counts"), pa.scalar(limit, type=pa.int64()))
    return pc.filter(counts.field("values"), rare)


def _string_digests(keyed: Any, values: pa.Array[Any]) -> Iterator[int]:
    """``variants`` of ``normalise`` for a whole string array, the text work done in Arrow:
    an identifier column of a million rows is indexed in seconds, not minutes."""
    trimmed = pc.utf8_trim_whitespace(values)
    texts = pc.if_else(pc.match_substring(trimmed, "@"), pc.utf8_lower(trimmed), trimmed)
    digit_runs = pc.replace_substring_regex(texts, pattern=r"\D", replacement="")
    for text, digits in zip(texts.to_pylist(), digit_runs.to_pylist(), strict=True):
        if text is None or len(text) < _MIN_LENGTH:
            continue
        yield _digest(keyed, text)
        if len(digits) >= _MIN_PHONE_DIGITS and digits != text:
            yield _digest(keyed, digits)
        if len(digits) > _CN_NATIONAL_DIGITS and digits.startswith("86"):
            yield _digest(keyed, digits[-_CN_NATIONAL_DIGITS:])
