"""Counts that count: a column the output schema declares as a count holds counts.

A count of people is a whole number from zero to the number of rows counted,
and the counts of a file that partitions one dataset (the schema's
``partition_of``) add up to at most its rows. Anything else is not a count
but a number wearing a count's name, such as five times a mobile number in a
"customers" column, and fails with its rows and the rule it breaks.

Which rows a count counts: its source's dataset (a ``count_distinct`` at most
the distinct values of its source), else the schema's ``partition_of``, else
the run's only input; with several inputs and no word from the contract, the
largest of them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from decimal import Decimal

import pyarrow as pa
import pyarrow.compute as pc

from contracts import Aggregate, FileSchema, OutputColumn
from jobs.categories import decoded
from jobs.check_report import CheckName
from jobs.input_columns import dataset_of, is_number_type, rows_text, source_column
from jobs.output_finding import Finding

NOT_WHOLE_MSG = (
    "{file} column {column} is declared a count but has {cells} value(s) that are not whole "
    "non-negative numbers ({rows}): a count is 0, 1, 2, ... Write the count itself."
)
TOO_LARGE_MSG = (
    "{file} column {column} is declared a count but has {cells} value(s) larger than {what} "
    "({rows}): a count cannot exceed what it counts. Write the count itself."
)
PARTITION_SUM_MSG = (
    "{file} column {column} is declared a count of a partition of {dataset}, but its counts "
    "add up to more than the rows of {dataset}: each row of {dataset} may be counted once."
)


def check_counts(
    name: str, table: pa.Table, schema: FileSchema | None, inputs: Mapping[str, pa.Table]
) -> list[Finding]:
    findings: list[Finding] = []
    for declared in schema.columns if schema else ():
        if not declared.is_count or declared.name not in table.column_names:
            continue
        column = decoded(table.column(declared.name))
        if not is_number_type(column.type):
            continue  # a count written as text fails the schema's type check
        values = column.to_pylist()
        findings.extend(_whole(name, declared.name, values))
        limit, what = _limit(declared, schema, inputs)
        if limit is not None:
            rows = [i for i, v in enumerate(values) if v is not None and _above(v, limit)]
            if rows:
                message = TOO_LARGE_MSG.format(
                    file=name, column=declared.name, cells=len(rows), what=what,
                    rows=rows_text(rows),
                )  # fmt: skip
                cells = tuple((row, declared.name) for row in rows)
                findings.append(Finding(CheckName.COUNTS, message, declared.name, cells))
        partition = schema.partition_of if schema else None
        if partition is not None and partition in inputs:
            total = pc.sum(column).as_py() or 0
            if _above(total, inputs[partition].num_rows):
                message = PARTITION_SUM_MSG.format(
                    file=name, column=declared.name, dataset=partition
                )
                findings.append(Finding(CheckName.COUNTS, message, declared.name))
    return findings


def _whole(name: str, column: str, values: list[object]) -> list[Finding]:
    rows = [i for i, v in enumerate(values) if v is not None and not _is_count_value(v)]
    if not rows:
        return []
    message = NOT_WHOLE_MSG.format(file=name, column=column, cells=len(rows), rows=rows_text(rows))
    return [Finding(CheckName.COUNTS, message, column, tuple((row, column) for row in rows))]


def _is_count_value(value: object) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return value >= 0
    if isinstance(value, float):
        return math.isfinite(value) and value.is_integer() and value >= 0
    if isinstance(value, Decimal):
        return value.is_finite() and value == value.to_integral_value() and value >= 0
    return False


def _above(value: object, limit: int) -> bool:
    if isinstance(value, int | float | Decimal):
        return value > limit
    return False


def _limit(
    declared: OutputColumn, schema: FileSchema | None, inputs: Mapping[str, pa.Table]
) -> tuple[int | None, str]:
    if declared.source is not None:
        source = source_column(inputs, declared.source)
        dataset = dataset_of(declared.source)
        if source is not None and declared.aggregate is Aggregate.COUNT_DISTINCT:
            distinct: int = pc.count_distinct(source, mode="only_valid").as_py()
            return distinct, f"the number of distinct values of {declared.source}"
        if dataset in inputs:
            return inputs[dataset].num_rows, f"the number of rows of {dataset}"
    partition = schema.partition_of if schema is not None else None
    if partition is not None and partition in inputs:
        return inputs[partition].num_rows, f"the number of rows of {partition}"
    if not inputs:
        return None, ""
    if len(inputs) == 1:
        dataset = next(iter(inputs))
        return inputs[dataset].num_rows, f"the number of rows of {dataset}"
    return max(t.num_rows for t in inputs.values()), "the number of rows of the largest input"
