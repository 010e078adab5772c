"""Calibrated noise for a contract with a differential-privacy budget (OpenDP).

Applied once, when the worker stores a real run's checked outputs, so that the
reviewers approve (and sign the digests of) exactly the noisy bytes that are
released. Each release spends the contract's per-release share
(``jobs.leakage_ledger.release_share``), split evenly over every noisy column of
every releasable file (sequential composition). Within a column, rows are
taken to be disjoint groups (one person in one row, the shape the output schema
declares), so one person moves one cell by at most the column's sensitivity:

    count, count_distinct      1
    sum                        max(|lower|, |upper|) of the source column
    mean                       (upper - lower) / min_group_size (smaller groups are
                               suppressed before this runs)
    median, min, max           upper - lower

``lower`` and ``upper`` are the source column's bounds. The contract declares
none today, so they are read from the real input the worker holds. That bound
depends on the data (a strict DP analysis wants it fixed in advance); it is
recorded in the ledger so reviewers see it, and a declared bound in the output
schema should replace it.

With ``delta == 0`` the noise is Laplace (discrete Laplace on integer columns);
with ``delta > 0`` it is Gaussian (discrete Gaussian on integers) calibrated to
(epsilon, delta) through zCDP. OpenDP draws from the operating system's
cryptographic generator and cannot be seeded, on purpose: noise that could be
replayed could be subtracted.

A statistic column the schema does not tie to an aggregate of a source column
cannot be calibrated; its file is blocked with the reason. Noisy counts are then
post-processed (never negative, rounded to the contract's base) and other
numbers rounded to its decimals; post-processing costs no privacy.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import opendp.prelude as dp
import pyarrow as pa
import pyarrow.compute as pc

from contracts import Aggregate, Contract, FileSchema
from jobs.leakage_ledger import PrivacySpend, release_share
from jobs.output_checks import (
    CheckedOutputs,
    OutputCheckPolicy,
    count_like_columns,
    statistic_columns,
)
from jobs.output_files import read_output, write_output
from jobs.output_schemas import schema_for

dp.enable_features("contrib")

UNCALIBRATED_MSG = (
    "{file} column {column} is a statistic, but the contract's output schema does not "
    "declare its aggregate and source column, so differential-privacy noise cannot be "
    "calibrated for it: declare the column with `aggregate` and `source`, or leave it out."
)
NO_SOURCE_MSG = (
    "{file} column {column} aggregates {source}, which the run's inputs do not hold as "
    "numbers, so its noise cannot be calibrated: ask the owner to fix the output schema."
)

CHECK_NAME = "differential_privacy"


@dataclass(frozen=True)
class ColumnNoise:
    """The noise one released column got: what a reviewer and the ledger see."""

    file: str
    column: str
    aggregate: str
    sensitivity: float
    mechanism: str
    scale: float
    epsilon: float
    delta: float
    bounds: tuple[float, float] | None  # the source's (lower, upper), where one was used

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "column": self.column,
            "aggregate": self.aggregate,
            "sensitivity": self.sensitivity,
            "mechanism": self.mechanism,
            "scale": self.scale,
            "epsilon": self.epsilon,
            "delta": self.delta,
            "bounds": list(self.bounds) if self.bounds else None,
        }


@dataclass(frozen=True)
class ColumnPlan:
    column: str
    aggregate: str
    sensitivity: float
    bounds: tuple[float, float] | None
    is_count: bool


@dataclass(frozen=True)
class NoisedOutputs:
    """The checked outputs with noise applied, and the report that says how."""

    releasable: Mapping[str, bytes]
    report: dict[str, Any]
    spend: PrivacySpend | None  # None when the contract has no DP budget

    def report_json(self) -> dict[str, Any]:
        return self.report


def apply_noise(
    checked: CheckedOutputs, contract: Contract, inputs: Mapping[str, pa.Table]
) -> NoisedOutputs:
    """Adds the contract's calibrated noise to every releasable file (none without DP).

    ``inputs`` are the run's real input tables by dataset name (for source bounds).
    """
    report = checked.report.to_json()
    share = release_share(contract)
    if share is None:
        return NoisedOutputs(dict(checked.releasable), report, None)
    policy = OutputCheckPolicy.from_contract(contract)
    tables = {name: read_output(name, data) for name, data in checked.releasable.items()}
    plans: dict[str, list[ColumnPlan]] = {}
    refused: dict[str, str] = {}
    for name, table in tables.items():
        # The schema this file's name matched decides its columns' sensitivity, as it
        # decided its checks: never a same-named column of another file's schema.
        schema = schema_for(name, contract.output.schemas)
        planned = plan_columns(name, table, schema, policy.for_file(schema), inputs)
        if isinstance(planned, str):
            refused[name] = planned
        else:
            plans[name] = planned
    noisy = sum(1 for planned in plans.values() for p in planned if p.sensitivity > 0)
    per_column = PrivacySpend(share.epsilon / max(noisy, 1), share.delta / max(noisy, 1))
    released: dict[str, bytes] = {}
    columns: list[ColumnNoise] = []
    for name, planned in plans.items():
        table = tables[name]
        for plan in planned:
            file_policy = policy.for_file(schema_for(name, contract.output.schemas))
            table, noise = noise_column(name, table, plan, per_column, file_policy)
            if noise is not None:
                columns.append(noise)
        released[name] = write_output(name, table, policy.float_precision)
    report["differential_privacy"] = {
        "epsilon_spent": share.epsilon if released else 0.0,
        "delta_spent": share.delta if released else 0.0,
        "columns": [c.to_json() for c in columns],
    }
    _mark_files(report, released, refused)
    spend = share if released else PrivacySpend(0.0, 0.0)
    return NoisedOutputs(released, report, spend)


def plan_columns(
    name: str,
    table: pa.Table,
    schema: FileSchema | None,
    policy: OutputCheckPolicy,
    inputs: Mapping[str, pa.Table],
) -> list[ColumnPlan] | str:
    """Each statistic column's sensitivity (from the file's matched schema), or why the
    file cannot be noised."""
    declared = {c.name: c for c in (schema.columns if schema is not None else ())}
    counts = set(count_like_columns(table, policy))
    plans = []
    for column in statistic_columns(table, policy):
        spec = declared.get(column)
        aggregate = spec.aggregate if spec is not None else None
        if aggregate in (Aggregate.COUNT, Aggregate.COUNT_DISTINCT) or (
            spec is None and column in counts
        ):
            plans.append(ColumnPlan(column, "count", 1.0, None, True))
            continue
        if spec is None or aggregate is None or spec.source is None:
            return UNCALIBRATED_MSG.format(file=name, column=column)
        bounds = source_bounds(spec.source, inputs)
        if bounds is None:
            return NO_SOURCE_MSG.format(file=name, column=column, source=spec.source)
        sensitivity = aggregate_sensitivity(aggregate, bounds, policy.min_group_size)
        plans.append(ColumnPlan(column, aggregate.value, sensitivity, bounds, False))
    return plans


def source_bounds(source: str, inputs: Mapping[str, pa.Table]) -> tuple[float, float] | None:
    dataset, _, column = source.partition(".")
    table = inputs.get(dataset)
    if table is None or column not in table.column_names:
        return None
    values = table.column(column)
    if not (pa.types.is_integer(values.type) or pa.types.is_floating(values.type)):
        return None
    lowest, highest = pc.min(values).as_py(), pc.max(values).as_py()
    if lowest is None or highest is None:
        return (0.0, 0.0)
    return (float(lowest), float(highest))


def aggregate_sensitivity(
    aggregate: Aggregate, bounds: tuple[float, float], min_group_size: int
) -> float:
    """How far one person can move one released cell of this aggregate."""
    lower, upper = bounds
    if aggregate in (Aggregate.COUNT, Aggregate.COUNT_DISTINCT):
        return 1.0
    if aggregate is Aggregate.SUM:
        return max(abs(lower), abs(upper))
    if aggregate is Aggregate.MEAN:
        return (upper - lower) / min_group_size
    return upper - lower


def noise_column(
    name: str,
    table: pa.Table,
    plan: ColumnPlan,
    budget: PrivacySpend,
    policy: OutputCheckPolicy,
) -> tuple[pa.Table, ColumnNoise | None]:
    """``table`` with ``plan.column`` noised (emptied cells stay empty) and post-processed."""
    if plan.sensitivity <= 0:
        return table, None  # every person holds the same value: nothing to hide
    position = table.column_names.index(plan.column)
    original = table.column(position)
    integers = pa.types.is_integer(original.type)
    cells: list[Any] = original.to_pylist()
    present = [i for i, v in enumerate(cells) if v is not None]
    measurement, mechanism = calibrated_measurement(plan.sensitivity, budget, integers=integers)
    values = [int(cells[i]) if integers else float(cells[i]) for i in present]
    noisy = measurement(values) if values else []
    for i, value in zip(present, noisy, strict=True):
        cells[i] = _post_process(value, plan.is_count, integers, policy)
    column = pa.array(cells, type=original.type)
    noise = ColumnNoise(
        file=name,
        column=plan.column,
        aggregate=plan.aggregate,
        sensitivity=plan.sensitivity,
        mechanism=mechanism,
        scale=_scale_of(measurement),
        epsilon=budget.epsilon,
        delta=budget.delta,
        bounds=plan.bounds,
    )
    return table.set_column(position, table.field(position), column), noise


def calibrated_measurement(
    sensitivity: float, budget: PrivacySpend, *, integers: bool
) -> tuple[Any, str]:
    """The OpenDP measurement on a column of values whose one-person change is
    ``sensitivity``, with the smallest noise that keeps within ``budget``."""
    kind = int if integers else float
    domain = dp.vector_domain(dp.atom_domain(T=kind) if integers else _floats())
    d_in: int | float = math.ceil(sensitivity) if integers else float(sensitivity)
    if budget.delta > 0:

        def gaussian(scale: float) -> Any:
            zcdp = dp.m.make_gaussian(domain, dp.l2_distance(T=kind), scale=scale)
            return dp.c.make_fix_delta(dp.c.make_zCDP_to_approxDP(zcdp), delta=budget.delta)

        scale = dp.binary_search_param(gaussian, d_in=d_in, d_out=(budget.epsilon, budget.delta))
        name = "discrete_gaussian" if integers else "gaussian"
        return _Scaled(gaussian(scale), scale), name

    def laplace(scale: float) -> Any:
        return dp.m.make_laplace(domain, dp.l1_distance(T=kind), scale=scale)

    scale = dp.binary_search_param(laplace, d_in=d_in, d_out=budget.epsilon)
    return _Scaled(laplace(scale), scale), "discrete_laplace" if integers else "laplace"


def _floats() -> Any:
    return dp.atom_domain(T=float, nan=False)


@dataclass(frozen=True)
class _Scaled:
    """An OpenDP measurement with the scale it was built with (OpenDP does not expose it)."""

    measurement: Any
    scale: float

    def __call__(self, values: list[Any]) -> list[Any]:
        return list(self.measurement(values))

    def map(self, d_in: Any) -> Any:
        return self.measurement.map(d_in)


def _scale_of(measurement: Any) -> float:
    return float(measurement.scale) if isinstance(measurement, _Scaled) else math.nan


def _post_process(value: Any, is_count: bool, integers: bool, policy: OutputCheckPolicy) -> Any:
    if is_count:
        count = max(0, round(value))
        if policy.count_base:
            count = policy.count_base * round(count / policy.count_base)
        return count if integers else float(count)
    if integers:
        return int(value)
    if policy.decimals is not None:
        return round(float(value), policy.decimals)
    return float(value)


def _mark_files(
    report: dict[str, Any], released: Mapping[str, bytes], refused: dict[str, str]
) -> None:
    """The stored check report names the noisy bytes' digests and the files DP blocked."""
    for entry in report["files"]:
        name = entry["name"]
        if name in released:
            entry["released_sha256"] = hashlib.sha256(released[name]).hexdigest()
        elif name in refused:
            entry["outcome"] = "blocked"
            entry["released_sha256"] = None
            entry["failures"].append(
                {
                    "check": CHECK_NAME,
                    "action": "block",
                    "reason": refused[name],
                    "column": None,
                    "cells": 0,
                }
            )
    report["blocked"] = bool(report.get("bundle_failures")) or not released
