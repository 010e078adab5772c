"""Canonical JSON and the contract hash every approval signs.

Two documents that mean the same contract must hash the same, whatever the key
order, spacing, quoting or Unicode normalisation of the file they came from;
and any change of meaning must change the hash. So the hash is taken over the
validated model, not the file, serialised as:

- objects with keys sorted by code point, no insignificant whitespace;
- strings in Unicode NFC, written as UTF-8 (not ``\\u`` escapes), JSON-escaped;
- integers in decimal; floats with an integral value as that integer (``1.0`` and
  ``1`` are one number), other floats in Python's shortest round-trip form;
  NaN and infinities refused (JSON has none);
- ``true``, ``false``, ``null``.
"""

from __future__ import annotations

import hashlib
import json
import math
import unicodedata
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from contracts.model import Contract


def canonical_json(value: Any) -> bytes:
    """``value`` (JSON-like Python data) as canonical UTF-8 bytes."""
    parts: list[str] = []
    _write(value, parts)
    return "".join(parts).encode("utf-8")


def contract_body(contract: Contract) -> dict[str, Any]:
    """The JSON data the hash covers: the whole model, defaults included, by document key."""
    return contract.model_dump(mode="json", by_alias=True)


def contract_hash(contract: Contract) -> str:
    """sha256 (hex) over the canonical JSON of the contract."""
    return hashlib.sha256(canonical_json(contract_body(contract))).hexdigest()


def _write(value: Any, out: list[str]) -> None:
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, int):
        out.append(str(int(value)))
    elif isinstance(value, float):
        out.append(_number(value))
    elif isinstance(value, str):
        out.append(_string(value))
    elif isinstance(value, Mapping):
        _write_object(value, out)
    elif isinstance(value, Sequence) and not isinstance(value, bytes | bytearray):
        out.append("[")
        for index, item in enumerate(value):
            if index:
                out.append(",")
            _write(item, out)
        out.append("]")
    else:
        raise TypeError(f"{type(value).__name__} has no canonical JSON form")


def _write_object(value: Mapping[Any, Any], out: list[str]) -> None:
    keys: dict[str, Any] = {}
    for key, item in value.items():
        if not isinstance(key, str):
            raise TypeError(f"object keys must be strings, got {type(key).__name__}")
        normal = unicodedata.normalize("NFC", key)
        if normal in keys:
            raise ValueError(f"keys {key!r} collide once normalised to NFC")
        keys[normal] = item
    out.append("{")
    for index, key in enumerate(sorted(keys)):
        if index:
            out.append(",")
        out.append(_string(key))
        out.append(":")
        _write(keys[key], out)
    out.append("}")


def _number(value: float) -> str:
    if not math.isfinite(value):
        raise ValueError("NaN and infinity have no JSON form")
    if value.is_integer():
        return str(int(value))
    return repr(value)


def _string(value: str) -> str:
    return json.dumps(unicodedata.normalize("NFC", value), ensure_ascii=False)
