"""Reading output files into tables for checking, and writing checked tables back.

A job writes whatever it likes to ``/outputs``; only tables we can read can be
checked, so anything else is refused by the checks rather than passed on
unread. Formats: ``.csv`` (header row), ``.parquet``, ``.json`` (an array of
records, or JSON lines).
"""

from __future__ import annotations

import io
import json
from pathlib import PurePosixPath
from typing import Any

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.json as pa_json
import pyarrow.parquet as pq

from jobs.errors import OutputUnreadable

TABLE_SUFFIXES = (".csv", ".parquet", ".json")


def suffix_of(name: str) -> str:
    return PurePosixPath(name).suffix.lower()


def read_output(name: str, data: bytes) -> pa.Table:
    """The table in output file ``name``; ``OutputUnreadable`` if it is not one."""
    suffix = suffix_of(name)
    if suffix not in TABLE_SUFFIXES:
        raise OutputUnreadable(name, f"{suffix or 'no suffix'} is not a table format")
    try:
        if suffix == ".csv":
            return pa_csv.read_csv(io.BytesIO(data))
        if suffix == ".parquet":
            return pq.read_table(io.BytesIO(data))
        return _read_json(data)
    except (pa.ArrowException, ValueError, TypeError, UnicodeDecodeError) as err:
        # The library's own words locate the problem (line, column) without values.
        raise OutputUnreadable(name, type(err).__name__) from err


def read_output_text(name: str, data: bytes, table: pa.Table) -> pa.Table:
    """``table`` as its file spells it, for value comparisons.

    CSV type inference turns ``0012345`` into ``12345``; comparing the inferred
    numbers with the inputs' identifiers would miss exactly the values with
    leading zeros. Other formats store types, so ``table`` is returned as is.
    """
    if suffix_of(name) != ".csv":
        return table
    as_text = pa_csv.ConvertOptions(column_types=dict.fromkeys(table.column_names, pa.string()))
    return pa_csv.read_csv(io.BytesIO(data), convert_options=as_text)


def _read_json(data: bytes) -> pa.Table:
    if data.lstrip().startswith(b"["):
        records: Any = json.loads(data)
        if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
            raise ValueError("a JSON output must be an array of objects")
        return pa.Table.from_pylist(records)
    return pa_json.read_json(io.BytesIO(data))


def write_output(name: str, table: pa.Table) -> bytes:
    """``table`` in the format ``name`` says, for release after suppression."""
    suffix = suffix_of(name)
    sink = io.BytesIO()
    if suffix == ".csv":
        pa_csv.write_csv(table, sink)
        return sink.getvalue()
    if suffix == ".parquet":
        pq.write_table(table, sink)
        return sink.getvalue()
    if suffix == ".json":
        return json.dumps(table.to_pylist(), ensure_ascii=False, default=str).encode("utf-8")
    raise OutputUnreadable(name, f"{suffix or 'no suffix'} is not a table format")
