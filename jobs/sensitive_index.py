"""Keyed hashes of the inputs' personal values, so outputs can be checked against them.

Hostile code may copy phone numbers, ID numbers or names straight into an
output column (DESIGN.md, Threat model: "encode raw data in its outputs"), or
disguise them (full width, reversed, base64, ``mobile + 0.5``...). The checker
must recognise such values without holding the raw table a second time, so the
inputs are reduced once, at run time, to keyed 64-bit SipHash-2-4 digests of
their canonical keys (``jobs.identifier_normalise``). The key is per run and
never stored with the index: phone and ID numbers are so few that an unkeyed
hash of them is a lookup table, not a secret.

Only values held by fewer than ``min_group_size`` people are indexed: those
single people out. A category shared by many (a common diagnosis, a city) is
what aggregates are grouped by, and flagging it would block every honest output.

Hashing and lookups run on whole arrays (pandas' SipHash over an array, NumPy's
sorted search), so a million-row output is checked in seconds.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
from pandas.util import hash_array

from contracts import Classification, Contract
from jobs.identifier_normalise import (
    MIN_LENGTH,
    Arrow,
    ColumnCandidates,
    column_candidates,
    index_keys,
    sorted_unique,
)

#: Classifications whose values may never leave in clear (names are ``personal``).
PROTECTED = frozenset(
    {Classification.IDENTIFIER, Classification.PERSONAL, Classification.SENSITIVE_PERSONAL}
)

_MIN_KEY_BYTES = 16
# SipHash takes a 16-byte key; pandas takes it as 16 characters that encode to one
# byte each, so each byte keeps 7 bits: 112 bits of key.
_SIPHASH_KEY_CHARS = 16

Rows = npt.NDArray[np.int64]


def normalise(value: object) -> str | None:
    """The text an input value of a non-text column is indexed as; ``None`` for nulls."""
    if value is None or isinstance(value, bool):
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
    return text if len(text) >= MIN_LENGTH else None


@dataclass(frozen=True)
class CellMatches:
    """Rows of one column that carry an indexed value: plainly, or only in disguise."""

    plain: Rows
    disguised: Rows  # rows not already in ``plain``


@dataclass(frozen=True)
class SensitiveValueIndex:
    key: bytes
    digests: npt.NDArray[np.uint64]  # sorted, unique
    columns: tuple[str, ...]  # ``dataset.column`` refs the values came from
    number_lengths: frozenset[int] = frozenset()  # how many digits the indexed numbers have

    def hash_keys(self, keys: Arrow) -> npt.NDArray[np.uint64]:
        return _hash(self.key, keys)

    def digest(self, text: str) -> int:
        return int(self.hash_keys(pa.array([text], pa.string()))[0])

    def holds(self, digests: npt.NDArray[np.uint64]) -> npt.NDArray[np.bool_]:
        """For each digest, is it in the index?"""
        if not len(self.digests) or not len(digests):
            return np.zeros(len(digests), dtype=np.bool_)
        # Sorted queries walk the digests in order: ten times faster than random probes.
        order = np.argsort(digests, kind="stable")
        ordered = digests[order]
        positions = np.searchsorted(self.digests, ordered)
        positions[positions == len(self.digests)] = 0
        held = np.empty(len(digests), dtype=np.bool_)
        held[order] = self.digests[positions] == ordered
        return held

    def match(self, column: Arrow) -> CellMatches:
        """The rows of ``column`` (an output column) whose cells carry an indexed value."""
        if not len(self.digests):
            return CellMatches(np.zeros(0, np.int64), np.zeros(0, np.int64))
        expanded = column_candidates(column, self.number_lengths)
        return _matches(self, expanded)

    def contains(self, value: object) -> bool:
        """Does ``value`` (an output cell) carry an indexed input value, in any disguise?"""
        if value is None:
            return False
        matches = self.match(pa.array([value]))
        return bool(len(matches.plain) or len(matches.disguised))

    def __len__(self) -> int:
        return len(self.digests)


def _matches(index: SensitiveValueIndex, expanded: ColumnCandidates) -> CellMatches:
    candidates = expanded.candidates
    if not len(candidates):
        return CellMatches(np.zeros(0, np.int64), np.zeros(0, np.int64))
    # Many candidates repeat (a cell and its only token): hash each distinct key once.
    encoded = pc.dictionary_encode(candidates.keys)
    held = index.holds(index.hash_keys(encoded.dictionary))
    hit = held[encoded.indices.to_numpy()]
    plain_values = sorted_unique(candidates.parents[hit & ~candidates.disguised])
    disguised_values = sorted_unique(candidates.parents[hit & candidates.disguised])
    disguised_values = disguised_values[~np.isin(disguised_values, plain_values)]
    return CellMatches(expanded.rows_of(plain_values), expanded.rows_of(disguised_values))


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
    digests: list[npt.NDArray[np.uint64]] = [np.zeros(0, dtype=np.uint64)]
    number_lengths: set[int] = set()
    columns: list[str] = []
    for dataset_name, table in inputs.items():
        dataset = contract.dataset(dataset_name)
        for name in table.column_names:
            column = dataset.column(name) if dataset is not None else None
            # A column the contract does not classify is treated as personal.
            if column is not None and column.classification not in PROTECTED:
                continue
            columns.append(f"{dataset_name}.{name}")
            found = index_keys(_as_text(_rare_values(table.column(name), limit)))
            number_lengths.update(found.number_lengths)
            digests.append(_hash(key, found.keys))
    packed = sorted_unique(np.concatenate(digests))
    return SensitiveValueIndex(key, packed, tuple(columns), frozenset(number_lengths))


def _siphash_key(key: bytes) -> str:
    derived = hashlib.blake2b(key, digest_size=_SIPHASH_KEY_CHARS, person=b"sealroom-index")
    return "".join(chr(byte & 0x7F) for byte in derived.digest())


def _hash(key: bytes, keys: Arrow) -> npt.NDArray[np.uint64]:
    if not len(keys):
        return np.zeros(0, dtype=np.uint64)
    texts = keys.to_numpy(zero_copy_only=False)
    hashed = hash_array(texts, encoding="utf8", hash_key=_siphash_key(key), categorize=False)
    return np.asarray(hashed, dtype=np.uint64)


def _rare_values(column: Arrow, limit: int) -> Arrow:
    if pa.types.is_dictionary(column.type):
        column = column.cast(column.type.value_type)
    counts = pc.value_counts(column.drop_null())
    rare = pc.less(counts.field("counts"), pa.scalar(limit, type=pa.int64()))
    return pc.filter(counts.field("values"), rare)


def _as_text(values: Arrow) -> Arrow:
    """Input values as the text they are indexed under: integers and whole floats as
    digits, dates as ISO text, anything else as Python spells it."""
    data_type = values.type
    if pa.types.is_string(data_type) or pa.types.is_large_string(data_type):
        return values.cast(pa.string())
    if pa.types.is_integer(data_type):
        return values.cast(pa.string())
    texts = [normalise(v) for v in values.to_pylist()]
    return pa.array([t for t in texts if t is not None], pa.string())
