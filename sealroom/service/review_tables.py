"""The releasable outputs as reviewers read them: each stored file parsed as a table.

What a reviewer approves is what is stored as releasable (the checked table
in Sealroom's own serialisation), so these views are parsed from exactly those
bytes, one window of rows at a time. Cells are the raw values as text; making
them safe for a terminal or a page is the display's job.

CSV cells are read as the text the file spells (``0012`` stays ``0012``): type
inference would show a reviewer a number the recipient never receives.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.csv as pa_csv

from jobs import OutputUnreadable, read_output

Cell = str | None


@dataclass(frozen=True)
class OutputTable:
    """One window of an output file's rows; ``unreadable`` files come as lines of text."""

    name: str
    columns: tuple[str, ...]
    types: tuple[str, ...]
    total_rows: int
    first_row: int  # 1-based number of rows[0]
    rows: tuple[tuple[Cell, ...], ...]
    unreadable: str | None = None  # why the bytes are no table; rows are then its lines


def output_table(name: str, data: bytes, *, first_row: int, last_row: int) -> OutputTable:
    """Rows ``first_row``..``last_row`` (1-based, inclusive) of the stored file ``name``."""
    try:
        table = read_output(name, data)
    except OutputUnreadable as err:
        # Bytes that are not UTF-8 (a PSI protocol message) show as \xNN: JSON carries
        # no lone surrogates, and the reviewer sees that they are bytes.
        lines = data.decode("utf-8", "backslashreplace").splitlines()
        start, stop = _bounds(first_row, last_row, len(lines))
        return OutputTable(
            name,
            (),
            (),
            len(lines),
            start + 1,
            tuple((line,) for line in lines[start:stop]),
            unreadable=err.reason,
        )
    types = tuple(str(field.type) for field in table.schema)
    if name.lower().endswith(".csv"):
        table = _as_spelled(data, table)
    start, stop = _bounds(first_row, last_row, table.num_rows)
    window = table.slice(start, stop - start).to_pylist()
    names = tuple(table.column_names)
    return OutputTable(
        name,
        names,
        types,
        table.num_rows,
        start + 1,
        tuple(tuple(_cell(row[c]) for c in names) for row in window),
    )


def _bounds(first_row: int, last_row: int, total: int) -> tuple[int, int]:
    return min(max(first_row, 1) - 1, total), min(max(last_row, first_row), total)


def _as_spelled(data: bytes, table: pa.Table) -> pa.Table:
    as_text = pa_csv.ConvertOptions(
        column_types=dict.fromkeys(table.column_names, pa.string()),
        strings_can_be_null=False,
        quoted_strings_can_be_null=False,
    )
    return pa_csv.read_csv(io.BytesIO(data), convert_options=as_text)


def _cell(value: Any) -> Cell:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return value.decode("utf-8", "backslashreplace")
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)
