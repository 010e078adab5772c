"""Outputs held to what their declared sources make possible.

A column the output schema declares as grouping by a source (``city`` from
``customers.city``) may hold only values that occur in that source: anything
else (a mobile number in the ``city`` column, a name spelt into a label) was
not grouped by, it was smuggled. An aggregate (sum, mean, median, min, max) of
a numeric source must lie where that source allows: a mean, median, minimum or
maximum between the source's smallest and largest value, a sum between the sum
of its negative and the sum of its positive values. A "mean spend" of
13800138000 is not a mean of anything the inputs hold.

Messages name the file, column, rows and rule, never a value or a bound: the
bounds are facts about the real data too.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from contracts import Aggregate, FileSchema
from jobs.categories import decoded
from jobs.check_report import CheckName
from jobs.input_columns import is_number_type, rows_text, source_column, tolerance
from jobs.output_finding import Finding

NOT_A_SOURCE_VALUE_MSG = (
    "{file} column {column} has {cells} value(s) that never occur in its declared source "
    "{source} ({rows}): a grouping column may hold only values of its source. Group by "
    "the source's own values."
)
SOURCE_MISSING_MSG = (
    "{file} column {column} declares source {source}, which is not among the run's "
    "inputs, so its values cannot be checked: the contract and the run disagree; ask the "
    "platform operator."
)
OUT_OF_BOUNDS_MSG = (
    "{file} column {column} ({aggregate} of {source}) has {cells} value(s) that no "
    "{aggregate} of that source can take ({rows}): {rule}. Write the aggregate itself."
)

_BOUNDED = frozenset(
    {Aggregate.SUM, Aggregate.MEAN, Aggregate.MEDIAN, Aggregate.MIN, Aggregate.MAX}
)
_RULES = {
    Aggregate.SUM: "a sum lies between the sum of the source's negative and of its positive values",
    Aggregate.MEAN: "a mean lies between the source's smallest and largest value",
    Aggregate.MEDIAN: "a median lies between the source's smallest and largest value",
    Aggregate.MIN: "a minimum lies between the source's smallest and largest value",
    Aggregate.MAX: "a maximum lies between the source's smallest and largest value",
}


def check_source_values(
    name: str, table: pa.Table, schema: FileSchema | None, inputs: Mapping[str, pa.Table]
) -> list[Finding]:
    """Every value of a grouping column occurs in its source column (nulls aside)."""
    findings: list[Finding] = []
    for declared in schema.columns if schema else ():
        if not declared.is_grouping or declared.name not in table.column_names:
            continue
        assert declared.source is not None
        source = source_column(inputs, declared.source)
        if source is None:
            message = SOURCE_MISSING_MSG.format(
                file=name, column=declared.name, source=declared.source
            )
            findings.append(Finding(CheckName.SOURCE_VALUES, message, declared.name))
            continue
        released, known = comparable(decoded(table.column(declared.name)), source)
        found = pc.is_in(released, value_set=pc.unique(known.drop_null()))
        rows = [
            i
            for i, (value, hit) in enumerate(
                zip(released.to_pylist(), found.to_pylist(), strict=True)
            )
            if value is not None and not hit
        ]
        if rows:
            message = NOT_A_SOURCE_VALUE_MSG.format(
                file=name, column=declared.name, cells=len(rows), source=declared.source,
                rows=rows_text(rows),
            )  # fmt: skip
            cells = tuple((row, declared.name) for row in rows)
            findings.append(Finding(CheckName.SOURCE_VALUES, message, declared.name, cells))
    return findings


def comparable(
    released: pa.ChunkedArray[Any], source: pa.ChunkedArray[Any]
) -> tuple[pa.ChunkedArray[Any], pa.ChunkedArray[Any]]:
    """Both columns in one type: the source's when the released values convert to it
    without loss, else both as text (so ``"2020"`` and ``2020`` still meet)."""
    if released.type == source.type:
        return released, source
    try:
        return released.cast(source.type), source
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return released.cast(pa.string()), source.cast(pa.string())


def check_aggregate_bounds(
    name: str,
    table: pa.Table,
    schema: FileSchema | None,
    inputs: Mapping[str, pa.Table],
    decimals: int | None = None,
) -> list[Finding]:
    """Every released aggregate lies where its source's values allow it to."""
    findings: list[Finding] = []
    for declared in schema.columns if schema else ():
        aggregate = declared.aggregate
        if aggregate not in _BOUNDED or declared.source is None:
            continue
        if declared.name not in table.column_names:
            continue
        column = decoded(table.column(declared.name))
        source = source_column(inputs, declared.source)
        if source is None:
            message = SOURCE_MISSING_MSG.format(
                file=name, column=declared.name, source=declared.source
            )
            findings.append(Finding(CheckName.AGGREGATE_BOUNDS, message, declared.name))
            continue
        if not is_number_type(column.type) or not is_number_type(source.type):
            continue  # a text "mean" fails the schema's type check; dates have no sum
        low, high = _bounds(aggregate, source.drop_null().cast(pa.float64()))
        rows = [
            i
            for i, value in enumerate(column.to_pylist())
            if value is not None and not _within(float(value), low, high, decimals)
        ]
        if rows:
            message = OUT_OF_BOUNDS_MSG.format(
                file=name, column=declared.name, aggregate=aggregate.value,
                source=declared.source, cells=len(rows), rows=rows_text(rows),
                rule=_RULES[aggregate],
            )  # fmt: skip
            cells = tuple((row, declared.name) for row in rows)
            findings.append(Finding(CheckName.AGGREGATE_BOUNDS, message, declared.name, cells))
    return findings


def _bounds(
    aggregate: Aggregate, values: pa.ChunkedArray[Any]
) -> tuple[float, float] | tuple[None, None]:
    if len(values) == 0:
        return None, None  # no source values: no aggregate of them can be released
    if aggregate is Aggregate.SUM:
        numbers = np.asarray(values.to_numpy(), dtype=np.float64)
        return float(numbers[numbers < 0].sum()), float(numbers[numbers > 0].sum())
    return float(pc.min(values).as_py()), float(pc.max(values).as_py())


def _within(value: float, low: float | None, high: float | None, decimals: int | None) -> bool:
    if math.isnan(value):
        return True  # an empty group's mean: carries nothing
    if low is None or high is None:
        return False
    slack = tolerance(decimals) + 1e-12 * max(abs(low), abs(high))
    return low - slack <= value <= high + slack
