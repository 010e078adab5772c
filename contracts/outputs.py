"""Output rules: what a real run's results must satisfy before anyone may review them."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import Field, StrictBool, StringConstraints, model_validator

from contracts.datasets import LogicalType
from contracts.names import ColumnName, ColumnRef, DatasetName, PositiveInt, Text
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

    @property
    def is_count(self) -> bool:
        return self.aggregate in (Aggregate.COUNT, Aggregate.COUNT_DISTINCT)

    @property
    def is_grouping(self) -> bool:
        """A column naming a group (a city), not describing one: a source, no aggregate."""
        return self.source is not None and self.aggregate is None


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


#: A shell-style pattern over output file names (``by_city*.csv``): letters, digits,
#: ``._-`` and the glob characters ``*?[]!``; no path separators, since outputs are flat.
FilePattern = Annotated[
    str, StringConstraints(strict=True, pattern=r"^[A-Za-z0-9_.*?\[\]!-]{1,128}$")
]

#: The pattern a contract's single ``output.schema`` applies under: every file.
EVERY_FILE = "*"


def _duplicates(names: list[str]) -> list[str]:
    return sorted({n for n in names if names.count(n) > 1})


class FileSchema(Section):
    """The columns output files whose names match ``files`` must have.

    Files are matched against the contract's schemas in the order declared; the
    first pattern that matches decides. ``partition_of`` says each row of such a
    file counts a disjoint part of one dataset's rows, so its counts may sum to
    at most that dataset's rows.
    """

    files: FilePattern = Field(description="Shell-style pattern over output file names.")
    partition_of: DatasetName | None = Field(
        default=None,
        description="The dataset whose rows the file's counts partition (their sum is at "
        "most its rows).",
    )
    columns: Annotated[tuple[OutputColumn, ...], Field(min_length=1)]
    description: Text | None = None

    @model_validator(mode="after")
    def _unique_column_names(self) -> FileSchema:
        duplicates = _duplicates([c.name for c in self.columns])
        if duplicates:
            raise ValueError(
                f"output schema for {self.files} names {', '.join(duplicates)} more than once"
            )
        return self


class Dominance(Section):
    """Dominance rules for sums over a group (ACRO/SACRO's defaults).

    nk-rule: the ``n`` largest contributions may make up at most ``k_percent`` of
    the group's total. p% rule: what is left once the two largest are taken
    away must be at least ``p_percent`` of the largest, or the second largest
    contributor learns the largest one's value to within p%.
    """

    n: PositiveInt = 2
    k_percent: Annotated[float, Field(gt=0, le=100)] = 90.0
    p_percent: Annotated[float, Field(ge=0, le=100)] = 10.0


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
    file_schemas: Annotated[tuple[FileSchema, ...], Field(min_length=1)] | None = Field(
        default=None,
        alias="schemas",
        description="Per file-name pattern, the columns those output files must have; a "
        "file no pattern matches is never passed automatically.",
    )
    dominance: Dominance = Field(default_factory=Dominance)
    differential_privacy: DifferentialPrivacy | None = None

    @model_validator(mode="after")
    def _unique_output_names(self) -> OutputRules:
        duplicates = _duplicates([column.name for column in self.output_schema or ()])
        if duplicates:
            raise ValueError(f"output schema names {', '.join(duplicates)} more than once")
        patterns = _duplicates([schema.files for schema in self.file_schemas or ()])
        if patterns:
            raise ValueError(
                f"output schemas declare the file pattern(s) {', '.join(patterns)} more than "
                "once: give each pattern one schema"
            )
        return self

    @property
    def schemas(self) -> tuple[FileSchema, ...]:
        """Every declared file schema in matching order; the single ``schema`` matches
        every file, after the patterned ones."""
        declared = tuple(self.file_schemas or ())
        if self.output_schema is not None:
            declared += (FileSchema(files=EVERY_FILE, columns=self.output_schema),)
        return declared
