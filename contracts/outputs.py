"""Output rules: what a real run's results must satisfy before anyone may review them."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import Field, StrictBool, model_validator

from contracts.datasets import LogicalType
from contracts.names import ColumnName, ColumnRef, PositiveInt, Text
from contracts.section import Section


class Aggregate(StrEnum):
    COUNT = "count"
    COUNT_DISTINCT = "count_distinct"
    SUM = "sum"
    MEAN = "mean"
    MEDIAN = "median"
    MIN = "min"
    MAX = "max"

    @property
    def needs_numeric(self) -> bool:
        return self in (Aggregate.SUM, Aggregate.MEAN)


class OutputColumn(Section):
    """One column of the declared output schema."""

    name: ColumnName
    logical_type: LogicalType = Field(alias="logicalType")
    source: ColumnRef | None = Field(
        default=None, description="The input column this output column is derived from."
    )
    aggregate: Aggregate | None = Field(
        default=None, description="How the source is aggregated; required for aggregate_only."
    )
    required: StrictBool = True
    description: Text | None = None


class Rounding(Section):
    counts_to_multiple_of: PositiveInt | None = Field(
        default=None, description="Counts are rounded to a multiple of this base (e.g. 5)."
    )
    decimals: Annotated[int, Field(strict=True, ge=0, le=15)] | None = Field(
        default=None, description="Non-count numbers are rounded to this many decimals."
    )


class DifferentialPrivacy(Section):
    epsilon: Annotated[float, Field(gt=0, le=100)] = Field(
        description="Total privacy budget over the contract's life."
    )
    delta: Annotated[float, Field(ge=0, lt=1)] = 0.0


DEFAULT_MAX_BYTES = 10 * 1024 * 1024


class OutputRules(Section):
    # Cells describing fewer people than this are suppressed (statistical disclosure control).
    min_group_size: PositiveInt = 10
    forbidden_columns: tuple[ColumnRef, ...] = Field(
        default=(), description="Input columns that may never appear in an output."
    )
    max_rows: PositiveInt = 10_000
    max_bytes: PositiveInt = DEFAULT_MAX_BYTES
    rounding: Rounding | None = None
    output_schema: Annotated[tuple[OutputColumn, ...], Field(min_length=1)] | None = Field(
        default=None,
        alias="schema",
        description="The declared output schema; when present, outputs must match it.",
    )
    differential_privacy: DifferentialPrivacy | None = None

    @model_validator(mode="after")
    def _unique_output_names(self) -> OutputRules:
        names = [column.name for column in self.output_schema or ()]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"output schema names {', '.join(duplicates)} more than once")
        return self
