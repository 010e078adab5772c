"""The real inputs an output schema's ``source`` points at, in the form checks compare with.

Checks that hold an output to its sources (values of a grouping column, bounds
of an aggregate, counts, recomputed groups) read the run's own input tables,
never a description of them: the tables the job itself was given.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pyarrow as pa

from jobs.categories import decoded

_SHOWN_ROWS = 5


def source_column(inputs: Mapping[str, pa.Table], ref: str) -> pa.ChunkedArray[Any] | None:
    """The input column ``dataset.column``, dictionaries decoded; ``None`` if absent."""
    dataset, _, column = ref.partition(".")
    table = inputs.get(dataset)
    if table is None or column not in table.column_names:
        return None
    return decoded(table.column(column))


def dataset_of(ref: str) -> str:
    return ref.partition(".")[0]


def is_number_type(data_type: pa.DataType) -> bool:
    return (
        pa.types.is_integer(data_type)
        or pa.types.is_floating(data_type)
        or pa.types.is_decimal(data_type)
    )


def tolerance(decimals: int | None) -> float:
    """How far a released number may sit from an exact one and still be the same number:
    half a unit of the declared rounding, or float noise when none is declared."""
    if decimals is None:
        return 1e-9
    return 0.5 * 10.0**-decimals + 1e-9


def rows_text(rows: list[int]) -> str:
    """``rows 1, 4, 7 and 2 more`` for 0-based ``rows``, as a spreadsheet numbers them."""
    shown = ", ".join(str(r + 1) for r in rows[:_SHOWN_ROWS])
    more = len(rows) - _SHOWN_ROWS
    noun = "row" if len(rows) == 1 else "rows"
    return f"{noun} {shown}" + (f" and {more} more" if more > 0 else "")
