"""Identifiers hidden in a file's bytes, around honest values: none of them is released.

Each test builds a file that carries customers' mobile numbers where no check
on the parsed values looks (and proves they are there), runs the checks, and
asserts the released bytes hold none of them: either the file is refused, or
its release is byte for byte the release of the same table written honestly.
"""

from __future__ import annotations

import io
import json
import re
import struct
from dataclasses import replace

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from contracts import Contract
from jobs.canonical_output import FloatPrecision, canonical_table
from jobs.check_report import CheckName, FileOutcome
from jobs.output_checks import CheckedOutputs, OutputCheckPolicy, check_outputs
from jobs.sensitive_index import SensitiveValueIndex, build_sensitive_index

KEY = bytes(range(32))
MOBILES = ["13800138000", "13911112222", "13700001111", "15000002222"]
PAYLOAD = ",".join(MOBILES).encode()
CUSTOMERS = pa.table({"customer_id": ["C1", "C2", "C3", "C4"], "mobile": MOBILES})
ROWS = len(PAYLOAD) * 8  # one row per payload bit, where a bit per row is smuggled
HONEST = {
    "segment": [f"segment-{i % 4}" for i in range(ROWS)],
    "customers": [20 + 5 * (i % 7) for i in range(ROWS)],
    "mean_spend_cny": [100 + 0.25 * (i % 9) for i in range(ROWS)],
}


@pytest.fixture
def policy(contract: Contract) -> OutputCheckPolicy:
    return replace(OutputCheckPolicy.from_contract(contract), max_rows=10_000)


@pytest.fixture
def index(contract: Contract) -> SensitiveValueIndex:
    return build_sensitive_index(contract, {"customers": CUSTOMERS}, key=KEY)


def bits(data: bytes) -> list[int]:
    return [(byte >> shift) & 1 for byte in data for shift in range(7, -1, -1)]


def released(checked: CheckedOutputs) -> bytes:
    assert len(checked.releasable) == 1
    return next(iter(checked.releasable.values()))


def assert_no_mobile(data: bytes) -> None:
    for mobile in MOBILES:
        assert mobile.encode() not in data


def honest_json() -> bytes:
    return json.dumps(pa.table(HONEST).to_pylist()).encode()


def honest_parquet() -> bytes:
    sink = io.BytesIO()
    pq.write_table(pa.table(HONEST), sink)
    return sink.getvalue()


def test_whitespace_bits_between_json_tokens_are_gone(
    policy: OutputCheckPolicy, index: SensitiveValueIndex
) -> None:
    rows = pa.table(HONEST).to_pylist()
    parts = [
        json.dumps(row) + (" ," if bit else "\t,")
        for row, bit in zip(rows, bits(PAYLOAD), strict=False)
    ]
    smuggled = ("[" + "".join(parts)[:-1] + "]").encode()
    recovered = [int(gap == " ") for gap in re.findall(r"\}([ \t]),", smuggled.decode())]
    assert recovered == bits(PAYLOAD)[:-1]  # the file carries the payload
    checked = check_outputs({"spend.json": smuggled}, policy, index)
    out = released(checked)
    assert out == released(check_outputs({"spend.json": honest_json()}, policy, index))
    assert b" " not in out and b"\t" not in out and b"\n" not in out


def test_a_key_in_one_json_row_is_refused_and_nothing_released(
    policy: OutputCheckPolicy, index: SensitiveValueIndex
) -> None:
    rows = pa.table(HONEST).to_pylist()
    rows[7]["note"] = PAYLOAD.decode()
    checked = check_outputs({"spend.json": json.dumps(rows).encode()}, policy, index)
    [report] = checked.report.files
    assert report.outcome is FileOutcome.BLOCKED
    assert [f.check for f in report.failures] == [CheckName.READABLE]
    assert "row 8 has a key that row 1 lacks" in report.failures[0].reason
    assert checked.releasable == {}


def test_a_duplicate_json_key_is_refused_and_nothing_released(
    policy: OutputCheckPolicy, index: SensitiveValueIndex
) -> None:
    # ``{"segment": "13800138000", "segment": "gold"}``: a lenient reader keeps "gold".
    body = honest_json().decode()
    smuggled = body.replace('{"segment"', f'{{"segment": "{MOBILES[0]}", "segment"', 1).encode()
    assert json.loads(smuggled) == json.loads(body)  # Python's own reader sees no difference
    checked = check_outputs({"spend.json": smuggled}, policy, index)
    [report] = checked.report.files
    assert report.outcome is FileOutcome.BLOCKED
    assert "row 1 repeats a key" in report.failures[0].reason
    assert checked.releasable == {}


def test_parquet_key_value_metadata_is_gone(
    policy: OutputCheckPolicy, index: SensitiveValueIndex
) -> None:
    table = pa.table(HONEST).replace_schema_metadata({"provenance": PAYLOAD})
    sink = io.BytesIO()
    pq.write_table(table, sink, compression="none")
    smuggled = sink.getvalue()
    read_back = pq.ParquetFile(io.BytesIO(smuggled)).metadata.metadata
    assert read_back is not None and read_back[b"provenance"] == PAYLOAD
    out = released(check_outputs({"spend.parquet": smuggled}, policy, index))
    assert out == released(check_outputs({"spend.parquet": honest_parquet()}, policy, index))
    assert pq.ParquetFile(io.BytesIO(out)).metadata.metadata is None
    assert_no_mobile(out)


def test_unreferenced_parquet_dictionary_entries_are_gone(
    policy: OutputCheckPolicy, index: SensitiveValueIndex
) -> None:
    labels = sorted(set(HONEST["segment"]))
    codes = pa.array([labels.index(s) for s in HONEST["segment"]], pa.int32())
    dictionary = pa.array([*labels, *MOBILES])  # the mobiles: in the page, never referenced
    segment = pa.DictionaryArray.from_arrays(codes, dictionary)
    table = pa.table({**HONEST, "segment": segment})
    sink = io.BytesIO()
    pq.write_table(table, sink, compression="none")
    smuggled = sink.getvalue()
    assert all(m.encode() in smuggled for m in MOBILES)
    checked = check_outputs({"spend.parquet": smuggled}, policy, index)
    [report] = checked.report.files
    assert report.outcome is FileOutcome.PASSED  # no row holds a mobile: checks see nothing
    out = released(checked)
    assert out == released(check_outputs({"spend.parquet": honest_parquet()}, policy, index))
    assert_no_mobile(out)


@pytest.mark.parametrize("decimals", [2, None])
def test_low_mantissa_bits_of_honest_floats_are_gone(
    policy: OutputCheckPolicy, index: SensitiveValueIndex, decimals: int | None
) -> None:
    policy = replace(policy, decimals=decimals)
    # Eight payload bits per value, in the last bits of the mantissa: each still rounds to
    # two decimals within the rounding check's tolerance, and prints as honestly.
    means = [
        struct.unpack("<d", struct.pack("<q", struct.unpack("<q", struct.pack("<d", v))[0] ^ b))[0]
        for v, b in zip(HONEST["mean_spend_cny"], PAYLOAD, strict=False)
    ] + HONEST["mean_spend_cny"][len(PAYLOAD) :]
    assert (
        bytes(
            struct.unpack("<q", struct.pack("<d", m))[0]
            ^ struct.unpack("<q", struct.pack("<d", v))[0]
            for m, v in zip(means[: len(PAYLOAD)], HONEST["mean_spend_cny"], strict=False)
        )
        == PAYLOAD
    )
    sink = io.BytesIO()
    pq.write_table(pa.table({**HONEST, "mean_spend_cny": means}), sink)
    checked = check_outputs({"spend.parquet": sink.getvalue()}, policy, index)
    assert checked.report.files[0].outcome is FileOutcome.PASSED
    out = released(checked)
    assert out == released(check_outputs({"spend.parquet": honest_parquet()}, policy, index))
    assert (
        pq.read_table(io.BytesIO(out)).column("mean_spend_cny").to_pylist()
        == (HONEST["mean_spend_cny"])
    )


def test_digits_far_below_a_decimals_scale_are_gone(
    policy: OutputCheckPolicy, index: SensitiveValueIndex
) -> None:
    # A decimal(38, 30) mean: the honest value plus 1e-22 x a mobile number, every check
    # of the value (bounds, recomputation, identifiers) untouched by the tail.
    from decimal import Decimal

    tails = [Decimal(MOBILES[i % len(MOBILES)]) * Decimal("1e-22") for i in range(ROWS)]
    means = [Decimal(str(v)) + t for v, t in zip(HONEST["mean_spend_cny"], tails, strict=True)]
    table = pa.table({**HONEST, "mean_spend_cny": pa.array(means, type=pa.decimal128(38, 30))})
    assert MOBILES[0] in str(table.column("mean_spend_cny")[0].as_py())
    sink = io.BytesIO()
    pq.write_table(table, sink)
    checked = check_outputs({"spend.parquet": sink.getvalue()}, policy, index)
    if checked.releasable:  # else refused whole, which releases nothing either
        column = pq.read_table(io.BytesIO(released(checked))).column("mean_spend_cny")
        assert not any(m in repr(column.to_pylist()) for m in MOBILES)
    # Whatever the checks decide, the canonical form keeps no digit of the tail.
    canonical = canonical_table(table, FloatPrecision()).column("mean_spend_cny").to_pylist()
    assert canonical == HONEST["mean_spend_cny"]


def test_sub_second_digits_of_timestamps_are_gone(
    policy: OutputCheckPolicy, index: SensitiveValueIndex
) -> None:
    from datetime import UTC, datetime

    base = datetime(2026, 12, 1, tzinfo=UTC)
    # Nanoseconds carry the payload's bits, the seconds stay honest.
    stamps = pa.array(
        [int(base.timestamp()) * 10**9 + b for b in bits(PAYLOAD)], type=pa.timestamp("ns", "UTC")
    )
    sink = io.BytesIO()
    pq.write_table(pa.table({**HONEST, "as_of": stamps}), sink)
    checked = check_outputs({"spend.parquet": sink.getvalue()}, policy, index)
    if checked.releasable:  # released only as whole seconds
        column = pq.read_table(io.BytesIO(released(checked))).column("as_of")
        assert {value.microsecond for value in column.to_pylist()} == {0}
