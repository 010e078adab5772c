"""Strict parsing of one output file into one typed table.

A result can carry data in everything a lenient reader skips: a key that only
row 500 has, the second of two equal JSON keys (the last one wins), a second
column of the same name. Each of those is refused here with a reason that names
positions, never names or values (an extra key's name can itself be the
payload). What is parsed is what gets checked and re-serialised; nothing a
reader would silently drop survives into the released file.

Formats: ``.csv`` (header row; pyarrow's type inference), ``.parquet`` and
``.json`` (an array of objects, or one object per line). Every other format is
refused: the contract has no class of output reviewed by hand only, and until it
does nothing unparsed may go on to review.

CSV has no mixed-type column to refuse: every cell is text, and inference picks
the one type all of a column's cells fit (a column of numbers and one label is
a column of strings).
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from pathlib import PurePosixPath
from typing import Any

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from jobs.errors import OutputUnreadable

TABLE_SUFFIXES = (".csv", ".parquet", ".json")

DUPLICATE_COLUMN = "column {position} repeats the name of column {first}"
DUPLICATE_KEY = "row {row} repeats a key"
EXTRA_KEY = "row {row} has a key that row 1 lacks"
MISSING_KEY = "row {row} lacks the key of column {position}"
NOT_RECORDS = "a JSON output must be an array of objects, or one object per line"
NOT_AN_OBJECT = "row {row} is not an object"
NESTED_VALUE = "row {row} column {position} holds a nested {kind}"
MIXED_TYPES = "column {position} holds {first} in row {first_row} and {other} in row {row}"
NON_STANDARD_NUMBER = "{constant} is not a JSON number"
OUT_OF_RANGE = "row {row} column {position} holds an integer beyond 64 bits"
NOT_UTF8 = "the file is not UTF-8"

_INT64 = (-(2**63), 2**63 - 1)
# An empty CSV cell is null in every column: CSV cannot tell an empty string from a
# missing one, and the canonical form writes both as nothing. Only the empty cell:
# pyarrow's other null spellings include ``NA``, a fine label for North America.
_CSV_CONVERT = pa_csv.ConvertOptions(strings_can_be_null=True, null_values=[""])


def suffix_of(name: str) -> str:
    return PurePosixPath(name).suffix.lower()


def parse_output_table(name: str, data: bytes) -> pa.Table:
    """The one table in output file ``name``; ``OutputUnreadable`` saying why if it is not one."""
    suffix = suffix_of(name)
    if suffix not in TABLE_SUFFIXES:
        raise OutputUnreadable(name, f"{suffix or 'no suffix'} is not a table format")
    try:
        if suffix == ".csv":
            table = pa_csv.read_csv(io.BytesIO(data), convert_options=_CSV_CONVERT)
        elif suffix == ".parquet":
            # Not ``pq.read_table``: it refuses repeated names with a bare ArrowInvalid,
            # where the reason should say which column repeats which.
            table = pq.ParquetFile(io.BytesIO(data)).read()
        else:
            table = _json_table(data)
    except _Refused as refused:
        raise OutputUnreadable(name, str(refused)) from None
    except (pa.ArrowException, ValueError, TypeError, UnicodeDecodeError) as err:
        # The library's own words locate the problem (line, column) without values.
        raise OutputUnreadable(name, type(err).__name__) from err
    duplicate = _duplicate_column(table.column_names)
    if duplicate is not None:
        raise OutputUnreadable(name, duplicate)
    return table


class _Refused(Exception):
    """A strict-parsing refusal; its text is the reason shown to reviewers."""


def _duplicate_column(names: Sequence[str]) -> str | None:
    first: dict[str, int] = {}
    for position, column in enumerate(names, start=1):
        if column in first:
            return DUPLICATE_COLUMN.format(position=position, first=first[column])
        first[column] = position
    return None


def _json_table(data: bytes) -> pa.Table:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise _Refused(NOT_UTF8) from None
    if text.lstrip().startswith("["):
        records = _loads(text)
        if not isinstance(records, list):
            raise _Refused(NOT_RECORDS)
    else:
        records = [_loads(line) for line in text.splitlines() if line.strip()]
    return _records_table(records)


def _loads(text: str) -> Any:
    return json.loads(text, object_pairs_hook=_unique_keys, parse_constant=_no_constant)


class _Object(dict[str, Any]):
    """A JSON object that kept a note of whether one of its keys was repeated."""

    repeated = False


def _unique_keys(pairs: list[tuple[str, Any]]) -> _Object:
    found = _Object(pairs)
    found.repeated = len(found) != len(pairs)
    return found


def _no_constant(constant: str) -> Any:
    raise _Refused(NON_STANDARD_NUMBER.format(constant=constant))


def _records_table(records: list[Any]) -> pa.Table:
    if not records:
        return pa.table({})
    for row, record in enumerate(records, start=1):
        if not isinstance(record, dict):
            raise _Refused(NOT_AN_OBJECT.format(row=row))
    # Row 1 fixes the columns; key order within a row carries nothing once re-serialised.
    columns = list(records[0])
    known = set(columns)
    values: list[list[Any]] = [[] for _ in columns]
    for row, record in enumerate(records, start=1):
        if isinstance(record, _Object) and record.repeated:
            raise _Refused(DUPLICATE_KEY.format(row=row))
        if record.keys() != known:
            raise _Refused(_key_mismatch(row, columns, record))
        for position, column in enumerate(columns):
            values[position].append(record[column])
    return pa.table({column: _json_column(values[i], i + 1) for i, column in enumerate(columns)})


def _key_mismatch(row: int, columns: list[str], record: dict[str, Any]) -> str:
    if any(key not in set(columns) for key in record):
        return EXTRA_KEY.format(row=row)
    missing = next(i for i, column in enumerate(columns, start=1) if column not in record)
    return MISSING_KEY.format(row=row, position=missing)


_KINDS = {bool: "booleans", int: "numbers", float: "numbers", str: "strings"}


def _json_column(values: list[Any], position: int) -> pa.Array[Any]:
    kind: str | None = None
    kind_row = 0
    has_float = False
    for row, value in enumerate(values, start=1):
        if value is None:
            continue
        if isinstance(value, dict | list):
            noun = "object" if isinstance(value, dict) else "array"
            raise _Refused(NESTED_VALUE.format(row=row, position=position, kind=noun))
        this = _KINDS[type(value)]
        if kind is None:
            kind, kind_row = this, row
        elif this != kind:
            raise _Refused(
                MIXED_TYPES.format(
                    position=position, first=kind, first_row=kind_row, other=this, row=row
                )
            )
        if isinstance(value, float):
            has_float = True
        elif this == "numbers" and not _INT64[0] <= value <= _INT64[1]:
            raise _Refused(OUT_OF_RANGE.format(row=row, position=position))
    if kind == "numbers":
        return pa.array(values, type=pa.float64() if has_float else pa.int64())
    if kind == "strings":
        return pa.array(values, type=pa.string())
    if kind == "booleans":
        return pa.array(values, type=pa.bool_())
    return pa.nulls(len(values))
