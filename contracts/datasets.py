"""Datasets named by a contract, with the classification and policy of every column.

Field names follow the Open Data Contract Standard v3 where the meaning is the
same (``logicalType``, ``physicalType``, ``classification``, ``required``).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import Field, StrictBool

from contracts.names import ColumnName, DatasetName, PartyName, Text
from contracts.section import Section


class Classification(StrEnum):
    """What a column holds, in the terms of PIPL and the 2024 export rules."""

    IDENTIFIER = "identifier"  # singles out a person: phone, email, customer id
    PERSONAL = "personal"  # personal information that is not sensitive: name, birth date
    SENSITIVE_PERSONAL = "sensitive_personal"  # PIPL art. 28: ID numbers, health, finance
    IMPORTANT = "important"  # 重要数据: export needs a CAC security assessment
    GENERAL = "general"  # none of the above


class ColumnPolicy(StrEnum):
    """How a column may be used by jobs and whether it may reach an output."""

    FREE = "free"  # may appear in outputs (still subject to output checks)
    AGGREGATE_ONLY = "aggregate_only"  # only inside an aggregate (count, sum, mean, ...)
    JOIN_ONLY = "join_only"  # only to match records (PSI keys, joins); never in outputs
    NEVER_OUTPUT = "never_output"  # never in any output, not even aggregated


class LogicalType(StrEnum):
    """The subset of ODCS v3 logical types a tabular column can have."""

    STRING = "string"
    INTEGER = "integer"
    NUMBER = "number"
    BOOLEAN = "boolean"
    DATE = "date"
    TIMESTAMP = "timestamp"

    @property
    def is_numeric(self) -> bool:
        return self in (LogicalType.INTEGER, LogicalType.NUMBER)

    @property
    def is_temporal(self) -> bool:
        return self in (LogicalType.DATE, LogicalType.TIMESTAMP)


class Column(Section):
    name: ColumnName
    logical_type: LogicalType = Field(alias="logicalType")
    physical_type: Text | None = Field(
        default=None, alias="physicalType", description="Type in the source, e.g. VARCHAR(18)."
    )
    classification: Classification
    policy: ColumnPolicy = ColumnPolicy.FREE
    required: StrictBool = Field(default=False, description="True when the column has no nulls.")
    description: Text | None = None


class Dataset(Section):
    name: DatasetName
    owner: PartyName = Field(description="The party holding the data; must have the owner role.")
    description: Text | None = None
    columns: Annotated[tuple[Column, ...], Field(min_length=1)]

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)
