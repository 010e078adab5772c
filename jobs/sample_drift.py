"""The schema-drift report: where a masked sample differs in shape from the real data.

Shapes only, never values: column presence, types, nullability, null-rate bands
and category counts, so the report can go to the scientist whose code will meet
the real data.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import pyarrow as pa

from jobs.categories import CATEGORY_LIMIT, decoded, distinct_up_to


class DriftAspect(StrEnum):
    MISSING_COLUMN = "missing_column"
    EXTRA_COLUMN = "extra_column"
    TYPE = "type"
    NULLABILITY = "nullability"
    NULL_RATE = "null_rate"
    CATEGORIES = "categories"


DRIFT_MSG = "{column}: the sample's {aspect} is {sample}, the real data's is {real}."

_NULL_BANDS: tuple[tuple[float, str], ...] = (
    (0.0, "none"),
    (0.01, "under 1%"),
    (0.10, "1% to 10%"),
    (0.50, "10% to 50%"),
    (0.9999999, "50% to 100%"),
)


@dataclass(frozen=True)
class DriftFinding:
    column: str
    aspect: str
    real: str
    sample: str

    @property
    def message(self) -> str:
        return DRIFT_MSG.format(
            column=self.column, aspect=self.aspect.replace("_", " "), sample=self.sample,
            real=self.real,
        )  # fmt: skip


@dataclass(frozen=True)
class DriftReport:
    """Where the sample differs in shape from the real data; shapes only, never values."""

    dataset: str
    findings: tuple[DriftFinding, ...]

    @property
    def clean(self) -> bool:
        return not self.findings

    def to_json(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset,
            "clean": self.clean,
            "findings": [
                {"column": f.column, "aspect": f.aspect, "real": f.real, "sample": f.sample,
                 "message": f.message}
                for f in self.findings
            ],
        }  # fmt: skip


def null_rate_band(nulls: int, rows: int) -> str:
    if rows == 0 or nulls == 0:
        return "none"
    if nulls == rows:
        return "all"
    rate = nulls / rows
    for upper, band in _NULL_BANDS[1:]:
        if rate < upper:
            return band
    return "50% to 100%"


def _category_shape(column: pa.ChunkedArray[Any]) -> str:
    distinct = distinct_up_to(decoded(column), CATEGORY_LIMIT, count_nulls=False)
    if distinct is None:
        return f"more than {CATEGORY_LIMIT} distinct values"
    return f"{distinct} distinct value(s)"


def schema_drift(dataset: str, real: pa.Table, sample: pa.Table) -> DriftReport:
    """Compare ``sample`` with ``real`` column by column, in shape only."""
    findings: list[DriftFinding] = []
    sample_names = set(sample.column_names)
    for field in real.schema:
        if field.name not in sample_names:
            findings.append(
                DriftFinding(field.name, DriftAspect.MISSING_COLUMN, "present", "absent")
            )
            continue
        other = sample.schema.field(field.name)
        if field.type != other.type:
            findings.append(
                DriftFinding(field.name, DriftAspect.TYPE, str(field.type), str(other.type))
            )
        if field.nullable != other.nullable:
            findings.append(
                DriftFinding(
                    field.name, DriftAspect.NULLABILITY, _nullable(field), _nullable(other)
                )
            )
        real_nulls = real.column(field.name).null_count
        sample_nulls = sample.column(field.name).null_count
        if _null_rates_differ(real_nulls, real.num_rows, sample_nulls, sample.num_rows):
            real_band = null_rate_band(real_nulls, real.num_rows)
            sample_band = null_rate_band(sample_nulls, sample.num_rows)
            findings.append(DriftFinding(field.name, DriftAspect.NULL_RATE, real_band, sample_band))
        real_shape = _category_shape(real.column(field.name))
        sample_shape = _category_shape(sample.column(field.name))
        if _is_categorical(real_shape) and real_shape != sample_shape:
            findings.append(
                DriftFinding(field.name, DriftAspect.CATEGORIES, real_shape, sample_shape)
            )
    for name in sample.column_names:
        if name not in real.schema.names:
            findings.append(DriftFinding(name, DriftAspect.EXTRA_COLUMN, "absent", "present"))
    return DriftReport(dataset, tuple(findings))


def _null_rates_differ(real_nulls: int, real_rows: int, nulls: int, rows: int) -> bool:
    """Different bands, beyond what drawing ``rows`` rows explains (three standard errors);
    but having nulls at all, or only nulls, always counts: code meets them or it does not."""
    real_band = null_rate_band(real_nulls, real_rows)
    band = null_rate_band(nulls, rows)
    if real_band == band:
        return False
    if {real_band, band} & {"none", "all"}:
        return True
    real_rate = real_nulls / real_rows
    error = math.sqrt(real_rate * (1 - real_rate) / rows)
    return abs(nulls / rows - real_rate) > 3 * error


def _nullable(field: pa.Field[Any]) -> str:
    return "nullable" if field.nullable else "not nullable"


def _is_categorical(shape: str) -> bool:
    return not shape.startswith("more than")
