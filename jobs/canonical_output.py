"""Sealroom's own serialisation of a checked output table: the only bytes that are released.

A job's file carries more than its table: Parquet key-value metadata and
dictionary pages nobody references, the whitespace between JSON tokens, the low
mantissa bits of a float that prints as ``101.25``. Any of them can hold a list
of mobile numbers that no check on the parsed values would see. So the job's
bytes are never released: the parsed table is re-written here, and reviewers,
the receipt and the recipient all get these bytes.

What the canonical form keeps is the table's values, its column names and
their order, nothing else:

- types: integers as int64 (uint64 as it is), floats as float64, strings (also
  dictionary-encoded ones) as plain UTF-8 strings, dates as date32, timestamps
  in their own unit and, when zoned, in UTC (a zone name is free text);
- floats rounded (see ``FloatPrecision``): to the contract's declared decimals,
  else to ``DEFAULT_SIGNIFICANT_DIGITS`` significant digits; every NaN is the
  one quiet NaN, ``-0.0`` is ``0.0``;
- no schema or field metadata; every column nullable.

Per format, keeping the file's own extension:

- ``.csv``: a header row, names and strings always quoted (``"`` doubled), other
  values bare, ``\\n`` line ends, UTF-8, ISO dates and times, empty for null and
  NaN (CSV readers read ``nan`` as null);
- ``.json``: one compact array of objects, keys in column order, no whitespace,
  non-ASCII as UTF-8, non-finite floats as ``null`` (JSON has no NaN);
- ``.parquet``: no key-value metadata (not even Arrow's schema), no dictionary
  encoding, no statistics, zstd level 3, one row group per ``_ROW_GROUP_ROWS``.

The same table gives the same bytes, whatever chunks it arrived in.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from jobs.errors import OutputUnreadable
from jobs.output_table import suffix_of

#: Without a declared rounding, floats keep six significant digits: a mean of
#: ``101.254871`` or a total of ``1.23457e+10`` reads as it should, and at most
#: six visible digits per cell remain to carry anything.
DEFAULT_SIGNIFICANT_DIGITS = 6
#: A float64 holds 15 significant decimal digits exactly; beyond that the
#: nearest double to the rounded decimal has free low bits again.
MAX_SIGNIFICANT_DIGITS = 15

_ROW_GROUP_ROWS = 1 << 20
_MAX_PLACES = 300
# The stubs lag the library: these options and the string join exist since pyarrow 15.
_write_options: Any = pa_csv.WriteOptions
_join: Any = pc.binary_join_element_wise
_compute: Any = pc  # the stubs reject arrays mixed with Python scalars
_CSV_OPTIONS = _write_options(
    include_header=True,
    delimiter=",",
    eol="\n",
    null_string="",
    quoting_style="needed",  # Arrow quotes every string and no number
    quoting_header="needed",
)


@dataclass(frozen=True)
class FloatPrecision:
    """How floats are rounded before release.

    ``decimals`` is the contract's ``output.rounding.decimals``; the result keeps at
    most ``MAX_SIGNIFICANT_DIGITS`` significant digits either way.
    """

    decimals: int | None = None
    significant: int = DEFAULT_SIGNIFICANT_DIGITS


def canonical_table(table: pa.Table, precision: FloatPrecision) -> pa.Table:
    """``table``'s values in canonical types, floats rounded, without any metadata."""
    fields = []
    columns = []
    for column_field, column in zip(table.schema, table.columns, strict=True):
        values = _canonical_column(column.combine_chunks(), precision)
        fields.append(pa.field(column_field.name, values.type, nullable=True))
        columns.append(values)
    return pa.Table.from_arrays(columns, schema=pa.schema(fields))


def write_canonical(name: str, table: pa.Table) -> bytes:
    """``table`` (already canonical) in the canonical form of ``name``'s format."""
    suffix = suffix_of(name)
    table = table.combine_chunks()
    if suffix == ".csv":
        sink = io.BytesIO()
        pa_csv.write_csv(_without_nan(table), sink, _CSV_OPTIONS)
        return sink.getvalue()
    if suffix == ".parquet":
        sink = io.BytesIO()
        pq.write_table(
            table,
            sink,
            row_group_size=_ROW_GROUP_ROWS,
            version="2.6",
            use_dictionary=False,
            compression="zstd",
            compression_level=3,
            write_statistics=False,
            store_schema=False,
            write_page_index=False,
            write_page_checksum=False,
            data_page_version="1.0",
        )
        return sink.getvalue()
    if suffix == ".json":
        return _json_records(table)
    raise OutputUnreadable(name, f"{suffix or 'no suffix'} is not a table format")


def _without_nan(table: pa.Table) -> pa.Table:
    """NaN as empty: a CSV reader reads ``nan`` as null, so writing it would not round-trip."""
    for position, column_field in enumerate(table.schema):
        if pa.types.is_floating(column_field.type):
            column = table.column(position)
            nan = _compute.fill_null(pc.is_nan(column), False)
            empty = pc.if_else(nan, pa.scalar(None, column_field.type), column)
            table = table.set_column(position, column_field, empty)
    return table


def _canonical_column(values: pa.Array[Any], precision: FloatPrecision) -> pa.Array[Any]:
    kind = values.type
    if pa.types.is_dictionary(kind):
        values = values.cast(kind.value_type)
        kind = values.type
    if pa.types.is_floating(kind):
        return round_floats(values.cast(pa.float64()), precision)
    if pa.types.is_integer(kind):
        return values if pa.types.is_uint64(kind) else values.cast(pa.int64())
    if pa.types.is_large_string(kind) or pa.types.is_string_view(kind):
        return values.cast(pa.string())
    if pa.types.is_date(kind):
        return values.cast(pa.date32())
    if pa.types.is_timestamp(kind):
        # Whole seconds: sub-second digits of a job's timestamps are room for data.
        seconds = pc.floor_temporal(values, unit="second")
        return seconds.cast(pa.timestamp("s", tz="UTC" if kind.tz is not None else None))
    if pa.types.is_time(kind):
        return pc.floor_temporal(values, unit="second").cast(pa.time32("s"))
    if pa.types.is_decimal(kind):
        # A decimal's scale is the job's choice (up to 38 digits): rounded like a float,
        # else its low digits carry whatever the job hid there.
        return round_floats(values.cast(pa.float64()), precision)
    return values


def round_floats(values: pa.Array[Any], precision: FloatPrecision) -> pa.Array[Any]:
    """Each float as the nearest double to its rounded decimal: no low bits left to carry data.

    Division by an exact power of ten is correctly rounded, so ``q / 10**k`` is the
    double nearest the decimal the reviewer sees, whatever bits ``x`` had.
    """
    numbers = values.to_numpy(zero_copy_only=False).astype(np.float64, copy=True)
    valid = np.isfinite(numbers) & (numbers != 0)
    finite = numbers[valid]
    magnitude = np.floor(np.log10(np.abs(finite))).astype(np.int64)
    significant = min(precision.significant, MAX_SIGNIFICANT_DIGITS)
    if precision.decimals is not None:
        significant = MAX_SIGNIFICANT_DIGITS
    # Decimal places to keep: the declared ones, within the significant-digit cap.
    places = significant - 1 - magnitude
    if precision.decimals is not None:
        places = np.minimum(places, precision.decimals)
    finite = _round_to_places(finite, places)
    numbers[valid] = finite
    numbers[numbers == 0] = 0.0  # -0.0 carries a sign bit and nothing else
    numbers[np.isnan(numbers)] = np.nan  # one NaN: a NaN's payload is 51 free bits
    mask = values.is_null().to_numpy(zero_copy_only=False)
    return pa.array(numbers, type=pa.float64(), mask=mask)


def _round_to_places(numbers: np.ndarray[Any, Any], places: np.ndarray[Any, Any]) -> Any:
    # The result is a function of the rounded integer and the places alone, so it
    # carries nothing but the digits shown. Values below about 1e-290 become 0.
    places = np.clip(places, -_MAX_PLACES, _MAX_PLACES)
    rounded = np.empty_like(numbers)
    up = places >= 0
    scale = 10.0 ** places[up].astype(np.float64)
    rounded[up] = np.round(numbers[up] * scale) / scale
    scale = 10.0 ** (-places[~up]).astype(np.float64)
    with np.errstate(over="ignore"):
        down = np.round(numbers[~up] / scale) * scale
    # Rounding the largest doubles up would overflow: those are cut towards zero instead.
    overflow = ~np.isfinite(down)
    down[overflow] = np.trunc(numbers[~up][overflow] / scale[overflow]) * scale[overflow]
    rounded[~up] = down
    return rounded


def _json_records(table: pa.Table) -> bytes:
    """A compact array of objects, built column by column in Arrow: no per-cell Python."""
    if table.num_rows == 0:
        return b"[]"
    parts: list[Any] = []
    for position, (name, column) in enumerate(zip(table.column_names, table.columns, strict=True)):
        opener = "{" if position == 0 else ","
        parts.append(opener + json.dumps(name, ensure_ascii=False) + ":")
        parts.append(_json_values(column.combine_chunks()))
    parts.append("},")
    rows = _join(*parts, "")
    # The rows lie end to end in the array's data buffer: join them without a copy per row.
    offsets = np.frombuffer(rows.buffers()[1], dtype=np.int32, count=len(rows) + 1)
    body: bytes = rows.buffers()[2].to_pybytes()[offsets[0] : offsets[-1] - 1]  # the last comma
    return b"[" + body + b"]"


def _json_values(values: pa.Array[Any]) -> pa.Array[Any]:
    kind = values.type
    text: Any
    if pa.types.is_string(kind):
        text = _join('"', _json_escaped(values), '"', "")
    elif pa.types.is_boolean(kind) or pa.types.is_integer(kind):
        text = values.cast(pa.string())
    elif pa.types.is_floating(kind):
        finite = pc.is_finite(values)
        text = pc.if_else(finite, values.cast(pa.string()), pa.scalar(None, pa.string()))
    elif pa.types.is_null(kind):
        text = pa.nulls(len(values), pa.string())
    elif pa.types.is_decimal(kind):
        text = values.cast(pa.string())
    else:  # dates and times: their ISO text, as a JSON string
        text = _join('"', values.cast(pa.string()), '"', "")
    filled: pa.Array[Any] = _compute.fill_null(text, "null")
    return filled


# JSON's escapes, the short ones where JSON has them (as ``json.dumps`` writes them).
_SHORT_ESCAPES = {"\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _json_escaped(values: pa.Array[Any]) -> pa.Array[Any]:
    escaped = pc.replace_substring(values, "\\", "\\\\")
    escaped = pc.replace_substring(escaped, '"', '\\"')
    if not pc.any(pc.match_substring_regex(escaped, r"[\x00-\x1f]")).as_py():
        return escaped
    for code in range(0x20):
        char = chr(code)
        escape = _SHORT_ESCAPES.get(char, f"\\u{code:04x}")
        escaped = pc.replace_substring(escaped, char, escape)
    return escaped
