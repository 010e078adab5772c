"""The canonical form: the same table gives the same bytes, and only the table's values."""

from __future__ import annotations

import datetime as dt
import io
import json
import struct

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest

from jobs.canonical_output import (
    DEFAULT_SIGNIFICANT_DIGITS,
    FloatPrecision,
    canonical_table,
    round_floats,
    write_canonical,
)
from jobs.output_table import parse_output_table

NAMES = ("t.csv", "t.json", "t.parquet")


def mixed_table() -> pa.Table:
    return pa.table(
        {
            "segment": ["gold", 'say "hi"\n', "张伟", None],
            "customers": pa.array([120, 35, 0, None], pa.int32()),
            "mean_spend_cny": pa.array([101.25, 33.1, float("nan"), None], pa.float32()),
            "vip": [True, False, None, True],
            "day": [dt.date(2026, 1, 2), None, dt.date(2026, 12, 31), dt.date(2026, 6, 1)],
            "empty": pa.nulls(4),
        }
    )


def canonical(name: str, table: pa.Table, precision: FloatPrecision | None = None) -> bytes:
    return write_canonical(name, canonical_table(table, precision or FloatPrecision()))


@pytest.mark.parametrize("name", NAMES)
def test_the_same_table_gives_the_same_bytes_whatever_its_chunks(name: str) -> None:
    table = mixed_table()
    chunked = pa.concat_tables([table.slice(0, 1), table.slice(1, 2), table.slice(3)])
    assert chunked.column(0).num_chunks == 3
    assert canonical(name, table) == canonical(name, chunked) == canonical(name, table)


@pytest.mark.parametrize("name", NAMES)
def test_canonical_bytes_are_a_fixed_point(name: str) -> None:
    once = canonical(name, mixed_table())
    assert canonical(name, parse_output_table(name, once)) == once


@pytest.mark.parametrize("name", NAMES)
def test_schema_and_field_metadata_are_not_written(name: str) -> None:
    plain = mixed_table()
    marked = plain.replace_schema_metadata({"payload": "13800138000"})
    marked = marked.cast(
        pa.schema([f.with_metadata({"note": "13911112222"}) for f in marked.schema]).with_metadata(
            {"payload": "13800138000"}
        )
    )
    released = canonical(name, marked)
    assert released == canonical(name, plain)
    assert b"13800138000" not in released and b"13911112222" not in released


def test_canonical_csv_spells_values_one_way() -> None:
    released = canonical("t.csv", mixed_table()).decode("utf-8")
    assert released == (
        '"segment","customers","mean_spend_cny","vip","day","empty"\n'
        '"gold",120,101.25,true,2026-01-02,\n'
        '"say ""hi""\n",35,33.1,false,,\n'
        '"张伟",0,,,2026-12-31,\n'
        ",,,true,2026-06-01,\n"
    )


def test_canonical_json_is_one_compact_array_in_column_order() -> None:
    released = canonical("t.json", mixed_table())
    assert released.decode("utf-8") == (
        '[{"segment":"gold","customers":120,"mean_spend_cny":101.25,"vip":true,'
        '"day":"2026-01-02","empty":null},'
        '{"segment":"say \\"hi\\"\\n","customers":35,"mean_spend_cny":33.1,"vip":false,'
        '"day":null,"empty":null},'
        '{"segment":"张伟","customers":0,"mean_spend_cny":null,"vip":null,'
        '"day":"2026-12-31","empty":null},'
        '{"segment":null,"customers":null,"mean_spend_cny":null,"vip":true,'
        '"day":"2026-06-01","empty":null}]'
    )


def test_canonical_json_escapes_every_control_character_as_json_does() -> None:
    text = "".join(chr(c) for c in range(0x20)) + '\\"\u2028é'
    released = canonical("t.json", pa.table({"s": [text]}))
    assert released == json.dumps([{"s": text}], ensure_ascii=False, separators=(",", ":")).encode()
    assert json.loads(released) == [{"s": text}]


def test_canonical_json_of_no_rows_is_an_empty_array() -> None:
    assert canonical("t.json", mixed_table().slice(0, 0)) == b"[]"


def test_canonical_parquet_has_no_metadata_dictionary_or_statistics() -> None:
    released = canonical("t.parquet", mixed_table())
    meta = pq.ParquetFile(io.BytesIO(released)).metadata
    assert meta.metadata is None  # no key-value metadata, not even Arrow's schema
    for group in range(meta.num_row_groups):
        for position in range(meta.num_columns):
            chunk = meta.row_group(group).column(position)
            assert not chunk.has_dictionary_page
            assert chunk.statistics is None


def test_dictionary_columns_are_released_as_plain_strings() -> None:
    encoded = pa.DictionaryArray.from_arrays(
        pa.array([0, 1, 0], pa.int8()), pa.array(["gold", "silver", "13800138000"])
    )
    table = canonical_table(pa.table({"segment": encoded}), FloatPrecision())
    assert table.schema == pa.schema([pa.field("segment", pa.string())])
    assert table.column(0).to_pylist() == ["gold", "silver", "gold"]


def test_zoned_timestamps_are_released_in_utc_without_the_zone_name() -> None:
    moment = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    zoned = pa.array([moment], pa.timestamp("s", tz="Asia/Shanghai"))
    table = canonical_table(pa.table({"at": zoned}), FloatPrecision())
    assert table.schema.field("at").type == pa.timestamp("s", tz="UTC")
    assert table.column(0).to_pylist() == [moment]


def with_low_bits(value: float, bits: int) -> float:
    (word,) = struct.unpack("<q", struct.pack("<d", value))
    return float(struct.unpack("<d", struct.pack("<q", word ^ bits))[0])


def test_low_mantissa_bits_do_not_survive_rounding() -> None:
    honest = [101.25, 33.1, 0.000123456, 1234567.0, -42.5]
    smuggled = [with_low_bits(v, 0b1011_0110) for v in honest]
    assert smuggled != honest
    for precision in (FloatPrecision(), FloatPrecision(decimals=2), FloatPrecision(decimals=4)):
        rounded = round_floats(pa.array(smuggled), precision)
        assert rounded == round_floats(pa.array(honest), precision)


def test_default_rounding_keeps_six_significant_digits() -> None:
    assert DEFAULT_SIGNIFICANT_DIGITS == 6
    values = pa.array([101.254871, 12345678.91, 0.000123456789, -0.0, None])
    assert round_floats(values, FloatPrecision()).to_pylist() == [
        101.255,
        12345700.0,
        0.000123457,
        0.0,
        None,
    ]


def test_declared_decimals_round_to_those_decimals_within_fifteen_digits() -> None:
    values = pa.array([12345678.916, 0.125000001, 1e20 + 12345.0])
    assert round_floats(values, FloatPrecision(decimals=2)).to_pylist() == [
        12345678.92,
        0.13,
        1.00000000000000e20,
    ]


def test_every_nan_is_the_one_nan_and_negative_zero_is_zero() -> None:
    payload_nan = struct.unpack("<d", struct.pack("<q", 0x7FF8_0000_DEAD_BEEF))[0]
    rounded = round_floats(pa.array([payload_nan, -0.0]), FloatPrecision())
    words = np.frombuffer(rounded.buffers()[1], dtype=np.uint64, count=2)
    plain = np.frombuffer(struct.pack("<d", float("nan")), dtype=np.uint64)[0]
    assert int(words[0]) == int(plain) and int(words[1]) == 0


def test_csv_written_by_other_tools_comes_out_the_same() -> None:
    crlf = b"segment,customers\r\ngold,120\r\nsilver,35\r\n"
    sink = io.BytesIO()
    pa_csv.write_csv(pa.table({"segment": ["gold", "silver"], "customers": [120, 35]}), sink)
    assert canonical("a.csv", parse_output_table("a.csv", crlf)) == sink.getvalue()
