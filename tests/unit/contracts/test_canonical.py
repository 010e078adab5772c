"""The contract hash depends on meaning only: not on key order, spelling of numbers or
Unicode normalisation, and it changes with any edit."""

from __future__ import annotations

import functools
import hashlib
import io
import json
import unicodedata
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from contracts import (
    Contract,
    canonical_json,
    contract_body,
    contract_hash,
    load_contract,
    parse_contract,
)
from tests.unit.contracts.conftest import EXAMPLE

scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


def shuffled(value: Any, data: st.DataObject) -> Any:
    """The same JSON value with every object's keys in a random order."""
    if isinstance(value, dict):
        keys = data.draw(st.permutations(list(value)))
        return {key: shuffled(value[key], data) for key in keys}
    if isinstance(value, list):
        return [shuffled(item, data) for item in value]
    return value


def nfd(value: Any) -> Any:
    if isinstance(value, str):
        return unicodedata.normalize("NFD", value)
    if isinstance(value, dict):
        return {nfd(k): nfd(v) for k, v in value.items()}
    if isinstance(value, list):
        return [nfd(item) for item in value]
    return value


@given(json_values, st.data())
def test_key_order_never_changes_the_bytes(value: Any, data: st.DataObject) -> None:
    assert canonical_json(shuffled(value, data)) == canonical_json(value)


@given(json_values)
def test_canonical_bytes_are_json_that_reads_back_to_the_same_value(value: Any) -> None:
    text = canonical_json(value).decode("utf-8")
    assert canonical_json(json.loads(text)) == canonical_json(value)
    assert text == text.strip() and "\n" not in text


@given(st.dictionaries(st.text(max_size=6), st.text(max_size=6), max_size=5))
def test_nfc_and_nfd_spellings_hash_the_same(value: dict[str, str]) -> None:
    # Two decomposed keys can collide once composed; only distinct-after-NFC maps apply.
    if len({unicodedata.normalize("NFC", k) for k in value}) == len(value):
        assert canonical_json(nfd(value)) == canonical_json(value)


@given(st.text(), st.text())
def test_different_text_gives_different_bytes(a: str, b: str) -> None:
    same = unicodedata.normalize("NFC", a) == unicodedata.normalize("NFC", b)
    assert (canonical_json(a) == canonical_json(b)) == same


def test_unicode_is_written_as_utf8_not_escapes() -> None:
    assert canonical_json({"城市": "上海"}) == '{"城市":"上海"}'.encode()


@given(st.integers(min_value=-(2**70), max_value=2**70))
def test_an_integral_float_is_the_same_number_as_the_integer(n: int) -> None:
    as_float = float(n)
    if as_float == n:  # exactly representable
        assert canonical_json([as_float]) == canonical_json([n])


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_floats_round_trip_exactly(x: float) -> None:
    assert json.loads(canonical_json(x)) == x


@given(
    st.floats(allow_nan=False, allow_infinity=False),
    st.floats(allow_nan=False, allow_infinity=False),
)
def test_different_numbers_give_different_bytes(x: float, y: float) -> None:
    assert (canonical_json(x) == canonical_json(y)) == (x == y)


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), b"bytes", {1: "int key"}])
def test_values_without_a_json_form_are_refused(bad: Any) -> None:
    with pytest.raises((ValueError, TypeError)):
        canonical_json(bad)


def test_negative_zero_is_zero() -> None:
    assert canonical_json(-0.0) == b"0"


# The contract hash over the model.


def test_reformatted_contract_hashes_the_same(example: Contract, example_text: str) -> None:
    # The same contract as JSON with sorted keys and every default spelled out.
    as_json = json.dumps(contract_body(example), sort_keys=True, indent=1, ensure_ascii=True)
    assert contract_hash(load_contract(as_json)) == contract_hash(example)


@functools.cache
def example_body() -> dict[str, Any]:
    return contract_body(load_contract(EXAMPLE.read_text(encoding="utf-8")))


@settings(max_examples=10, deadline=None)
@given(st.data())
def test_contract_key_order_in_the_file_does_not_change_the_hash(data: st.DataObject) -> None:
    body = example_body()
    out = io.StringIO()
    YAML(typ="safe", pure=True).dump(shuffled(body, data), out)
    assert contract_hash(load_contract(out.getvalue())) == contract_hash(parse_contract(body))


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("version: 1\n", "version: 2\n"),
        ("  min_group_size: 10", "  min_group_size: 11"),
        ("Customer insights for Globex UK", "Customer insights for Globex UK."),
        ("    roles: [owner, reviewer]", "    roles: [reviewer, owner]"),
        ("  timezone: Asia/Shanghai", "  timezone: UTC"),
    ],
)
def test_any_edit_changes_the_hash(
    example: Contract, example_text: str, old: str, new: str
) -> None:
    assert example_text.count(old) == 1
    edited = load_contract(example_text.replace(old, new))
    assert contract_hash(edited) != contract_hash(example)


def test_spelling_out_a_default_does_not_change_the_hash(
    example: Contract, example_text: str
) -> None:
    # ``policy: free`` is the default: the same contract, so the same hash.
    text = example_text.replace(
        "      - name: city\n        logicalType: string\n",
        "      - name: city\n        logicalType: string\n        policy: free\n",
    )
    assert text != example_text
    assert contract_hash(load_contract(text)) == contract_hash(example)


def test_hash_is_sha256_hex_of_the_canonical_body(example: Contract) -> None:
    expected = hashlib.sha256(canonical_json(contract_body(example))).hexdigest()
    assert contract_hash(example) == expected
    assert len(expected) == 64
