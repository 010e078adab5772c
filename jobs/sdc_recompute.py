"""Statistical disclosure control on groups recomputed from the real inputs.

Where an output schema declares grouping columns and aggregates of one
dataset, the groups each released row describes are recomputed from the run's
own input (not from the file's claims about them) and held to the rules
trusted research environments apply (ACRO/SACRO's ``safe_threshold``,
``safe_nk_n``/``safe_nk_k`` and ``safe_pratio_p``):

- threshold: a group with fewer than ``min_group_size`` members;
- dominance, for sums and means: the nk-rule (the ``n`` largest contributions
  make up more than ``k`` percent of the group's total) and the p% rule (what the
  rest of the group adds up to is less than ``p`` percent of the largest
  contribution, so the second largest contributor could estimate the largest);
- class disclosure: every member of a group shares one value of a personal
  column, so knowing someone is in the group tells that value.

A job may filter rows before grouping, so a released value that differs from
its recomputation is not proof of cheating: it is FLAGGED, shown to the
reviewer beside the recomputed value, never blocked. The three rules above
concern the full group and hold for any part of it a filter leaves, so those fail.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from contracts import Aggregate, Classification, Contract, Dominance, FileSchema, OutputColumn
from jobs.categories import decoded
from jobs.check_report import CheckName, FlaggedValue
from jobs.input_columns import dataset_of, is_number_type, rows_text, tolerance
from jobs.output_finding import Finding
from jobs.source_bounds import comparable

THRESHOLD_MSG = (
    "{file} has {cells} row(s) whose group has fewer than {limit} members in the real "
    "inputs ({rows}), whatever the file's own counts say: leave these groups out or merge "
    "them with others."
)
NK_MSG = (
    "{file} column {column}: in {cells} group(s) ({rows}) the {n} largest contribution(s) "
    "make up more than {k:g}% of the group's total (nk-rule), so the total all but tells "
    "what they hold: leave these groups out or merge them."
)
P_PERCENT_MSG = (
    "{file} column {column}: in {cells} group(s) ({rows}) the rest of the group adds up to "
    "less than {p:g}% of its largest contribution (p% rule), so the second largest "
    "contributor could estimate the largest: leave these groups out or merge them."
)
CLASS_MSG = (
    "{file} has {cells} group(s) ({rows}) whose members all share one value of personal "
    "column {source} (class disclosure): knowing someone is in the group tells it. Merge "
    "these groups or leave them out."
)
RECOMPUTED_MSG = (
    "{file} column {column}: {cells} released value(s) differ from Sealroom's recomputation "
    "over the real inputs by more than the declared rounding ({detail}): the job may have "
    "filtered rows; compare before approving."
)

#: Personal columns whose one shared value a group may not reveal.
PERSONAL = frozenset({Classification.PERSONAL, Classification.SENSITIVE_PERSONAL})
_DOMINATED = frozenset({Aggregate.SUM, Aggregate.MEAN})
_RECOMPUTED = frozenset(
    {
        Aggregate.COUNT,
        Aggregate.COUNT_DISTINCT,
        Aggregate.SUM,
        Aggregate.MEAN,
        Aggregate.MIN,
        Aggregate.MAX,
    }
)
_SHOWN = 5
_NO_GROUP = -1


@dataclass(frozen=True)
class SdcRules:
    """The contract's disclosure-control parameters, as the recomputation uses them."""

    min_group_size: int
    dominance: Dominance
    # dataset -> its columns classified personal or sensitive personal
    personal: Mapping[str, tuple[str, ...]]
    count_base: int | None = None
    decimals: int | None = None

    @classmethod
    def from_contract(cls, contract: Contract) -> SdcRules:
        rounding = contract.output.rounding
        return cls(
            min_group_size=contract.output.min_group_size,
            dominance=contract.output.dominance,
            personal={
                d.name: tuple(c.name for c in d.columns if c.classification in PERSONAL)
                for d in contract.datasets
            },
            count_base=rounding.counts_to_multiple_of if rounding else None,
            decimals=rounding.decimals if rounding else None,
        )


@dataclass(frozen=True)
class _Groups:
    """The input's rows grouped by the schema's grouping sources."""

    dataset: str
    table: pa.Table
    row_group: npt.NDArray[np.int64]  # per input row, its group
    sizes: npt.NDArray[np.int64]  # per group, its members
    released_group: npt.NDArray[np.int64]  # per released row, its group or _NO_GROUP
    aggregates: tuple[OutputColumn, ...]  # those the released table has


def recomputable_dataset(schema: FileSchema) -> str | None:
    """The one dataset a schema groups and aggregates, if it declares such a table."""
    grouping = [c for c in schema.columns if c.is_grouping]
    aggregates = [c for c in schema.columns if c.aggregate is not None]
    if not grouping or not aggregates:
        return None
    datasets = {dataset_of(c.source) for c in schema.columns if c.source is not None}
    if schema.partition_of is not None:
        datasets.add(schema.partition_of)
    return datasets.pop() if len(datasets) == 1 else None


def check_recomputed_groups(
    name: str,
    table: pa.Table,
    schema: FileSchema | None,
    inputs: Mapping[str, pa.Table],
    rules: SdcRules,
) -> list[Finding]:
    """Threshold, dominance and class disclosure on the recomputed groups (they fail),
    and released values beside their recomputation (flagged)."""
    groups = _group(table, schema, inputs) if schema else None
    if groups is None:
        return []
    return [
        *_threshold(name, groups, rules),
        *_dominance(name, groups, rules),
        *_class_disclosure(name, groups, schema, rules),
        *_recomputed(name, table, groups, rules),
    ]


def _group(
    table: pa.Table, schema: FileSchema | None, inputs: Mapping[str, pa.Table]
) -> _Groups | None:
    dataset = recomputable_dataset(schema) if schema else None
    if schema is None or dataset is None or dataset not in inputs:
        return None
    source_table = inputs[dataset]
    keys = [
        c
        for c in schema.columns
        if c.is_grouping and c.name in table.column_names
        and c.source is not None and c.source.partition(".")[2] in source_table.column_names
    ]  # fmt: skip
    if not keys:
        return None
    input_codes = []
    released_codes = []
    radices = []
    for key in keys:
        assert key.source is not None
        source = decoded(source_table.column(key.source.partition(".")[2]))
        dictionary = pc.unique(source).drop_null()
        input_codes.append(_codes(source, dictionary))
        released, _ = comparable(decoded(table.column(key.name)), source)
        released_codes.append(_codes(released, dictionary))
        radices.append(len(dictionary) + 2)
    if math.prod(radices) < 2**62:
        # One integer per key combination: sorting a million of them takes milliseconds,
        # where numpy's row-wise unique takes seconds.
        packed = _pack(input_codes, radices)
        combinations, inverse = _distinct_with_inverse(packed)
        released_packed = _pack(released_codes, radices)
        position = np.searchsorted(combinations, released_packed)
        clipped = np.minimum(position, len(combinations) - 1)
        hit = (position < len(combinations)) & (combinations[clipped] == released_packed)
        released_group = np.where(hit, clipped, _NO_GROUP).astype(np.int64)
        group_count = len(combinations)
    else:
        unique_rows, inverse = np.unique(np.stack(input_codes, axis=1), axis=0, return_inverse=True)
        where = {tuple(int(v) for v in row): g for g, row in enumerate(unique_rows)}
        released_group = np.array(
            [
                where.get(tuple(int(v) for v in row), _NO_GROUP)
                for row in np.stack(released_codes, axis=1)
            ],
            dtype=np.int64,
        )
        group_count = len(unique_rows)
    row_group = inverse.reshape(-1).astype(np.int64)
    sizes = np.bincount(row_group, minlength=group_count).astype(np.int64)
    aggregates = tuple(
        c for c in schema.columns if c.aggregate is not None and c.name in table.column_names
    )
    return _Groups(dataset, source_table, row_group, sizes, released_group, aggregates)


def _pack(codes: list[npt.NDArray[np.int64]], radices: list[int]) -> npt.NDArray[np.int64]:
    """Each row's codes (from -2) as one mixed-radix integer."""
    packed = np.zeros(len(codes[0]), dtype=np.int64)
    for column, radix in zip(codes, radices, strict=True):
        packed = packed * radix + (column + 2)
    return packed


def _group_values(
    row_group: npt.NDArray[np.int64], codes: npt.NDArray[np.int64]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """The distinct (group, code) pairs, as two aligned arrays."""
    radix = int(codes.max(initial=0)) + 3
    pairs, _ = _distinct_with_inverse(row_group * radix + (codes + 2))
    return pairs // radix, pairs % radix - 2


def _distinct_with_inverse(
    values: npt.NDArray[np.int64],
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """``np.unique(values, return_inverse=True)`` by sorting: numpy's hashing unique
    takes seconds on a million mostly distinct integers, a sort milliseconds."""
    order = np.argsort(values)
    ordered = values[order]
    starts = np.empty(len(ordered), dtype=bool)
    starts[:1] = True
    np.not_equal(ordered[1:], ordered[:-1], out=starts[1:])
    inverse = np.empty(len(values), dtype=np.int64)
    inverse[order] = np.cumsum(starts) - 1
    return ordered[starts], inverse


def _codes(values: pa.ChunkedArray[Any], dictionary: Any) -> npt.NDArray[np.int64]:
    """Per value, its position in ``dictionary``: -1 for null, -2 when absent."""
    dictionary = dictionary.cast(values.type) if dictionary.type != values.type else dictionary
    index = pc.index_in(values, value_set=dictionary).to_numpy(zero_copy_only=False)
    nulls = values.is_null().to_numpy(zero_copy_only=False)
    codes = np.where(np.isnan(index.astype(np.float64)), -2, index).astype(np.int64)
    return np.where(nulls, -1, codes)


def _matched(groups: _Groups) -> list[tuple[int, int]]:
    """(released row, group) for the released rows that describe a real group."""
    return [(row, int(g)) for row, g in enumerate(groups.released_group) if g != _NO_GROUP]


def _row_cells(rows: Sequence[int], groups: _Groups) -> tuple[tuple[int, str], ...]:
    return tuple((row, c.name) for row in rows for c in groups.aggregates)


def _threshold(name: str, groups: _Groups, rules: SdcRules) -> list[Finding]:
    limit = rules.min_group_size
    rows = [row for row, g in _matched(groups) if 0 < groups.sizes[g] < limit]
    if not rows:
        return []
    message = THRESHOLD_MSG.format(file=name, cells=len(rows), limit=limit, rows=rows_text(rows))
    return [Finding(CheckName.THRESHOLD, message, None, _row_cells(rows, groups))]


def _values(groups: _Groups, source: str) -> npt.NDArray[np.float64] | None:
    """The source column as floats, NaN for null; ``None`` when it is not numeric."""
    column_name = source.partition(".")[2]
    if column_name not in groups.table.column_names:
        return None
    column = decoded(groups.table.column(column_name))
    if not is_number_type(column.type):
        return None
    # Nulls become NaN on the way to numpy.
    return np.asarray(column.cast(pa.float64()).to_numpy(), dtype=np.float64)


def _dominance(name: str, groups: _Groups, rules: SdcRules) -> list[Finding]:
    findings: list[Finding] = []
    rule = rules.dominance
    matched = _matched(groups)
    for declared in groups.aggregates:
        if declared.aggregate not in _DOMINATED or declared.source is None:
            continue
        values = _values(groups, declared.source)
        if values is None:
            continue
        valid = ~np.isnan(values)
        gid = groups.row_group[valid]
        contribution = np.abs(values[valid])
        # Largest first within each group: a stable sort by group after one by size
        # (np.lexsort does the same at twice the cost).
        by_size = np.argsort(-contribution)
        order = by_size[np.argsort(gid[by_size], kind="stable")]
        gid, contribution = gid[order], contribution[order]
        first = np.r_[0, np.flatnonzero(np.diff(gid)) + 1]
        starts = np.zeros(len(groups.sizes), dtype=np.int64)
        starts[gid[first]] = first
        rank = np.arange(len(gid)) - starts[gid]
        count = len(groups.sizes)
        total = np.bincount(gid, weights=contribution, minlength=count)
        top_n = np.bincount(gid, weights=contribution * (rank < rule.n), minlength=count)
        largest = np.bincount(gid, weights=contribution * (rank == 0), minlength=count)
        second = np.bincount(gid, weights=contribution * (rank == 1), minlength=count)
        k = rule.k_percent / 100
        nk_rows = [r for r, g in matched if total[g] > 0 and top_n[g] > k * total[g]]
        rest = total - largest - second
        p_rows = [
            r for r, g in matched if largest[g] > 0 and rest[g] < rule.p_percent / 100 * largest[g]
        ]
        if nk_rows:
            message = NK_MSG.format(
                file=name, column=declared.name, cells=len(nk_rows), rows=rows_text(nk_rows),
                n=rule.n, k=rule.k_percent,
            )  # fmt: skip
            findings.append(
                Finding(CheckName.DOMINANCE, message, declared.name, _row_cells(nk_rows, groups))
            )
        if p_rows:
            message = P_PERCENT_MSG.format(
                file=name, column=declared.name, cells=len(p_rows), rows=rows_text(p_rows),
                p=rule.p_percent,
            )  # fmt: skip
            findings.append(
                Finding(CheckName.DOMINANCE, message, declared.name, _row_cells(p_rows, groups))
            )
    return findings


def _class_disclosure(
    name: str, groups: _Groups, schema: FileSchema | None, rules: SdcRules
) -> list[Finding]:
    grouped_by = {c.source for c in schema.columns if c.is_grouping} if schema else set()
    findings: list[Finding] = []
    matched = _matched(groups)
    for column_name in rules.personal.get(groups.dataset, ()):
        ref = f"{groups.dataset}.{column_name}"
        if ref in grouped_by or column_name not in groups.table.column_names:
            continue  # grouping by a personal column is what the schema declares
        column = decoded(groups.table.column(column_name))
        codes = _codes(column, pc.unique(column).drop_null())
        group_of_pair, value_of_pair = _group_values(groups.row_group, codes)
        distinct = np.bincount(group_of_pair, minlength=len(groups.sizes))
        # The one value of a group with one distinct value; -1 when that value is null.
        only = np.full(len(groups.sizes), -1, dtype=np.int64)
        only[group_of_pair] = value_of_pair
        rows = [r for r, g in matched if distinct[g] == 1 and only[g] >= 0]
        if rows:
            message = CLASS_MSG.format(file=name, cells=len(rows), rows=rows_text(rows), source=ref)
            cells = _row_cells(rows, groups)
            findings.append(Finding(CheckName.CLASS_DISCLOSURE, message, None, cells))
    return findings


def _recomputed(name: str, table: pa.Table, groups: _Groups, rules: SdcRules) -> list[Finding]:
    findings: list[Finding] = []
    for declared in groups.aggregates:
        if declared.aggregate not in _RECOMPUTED:
            continue
        expected = _recompute(declared, groups)
        if expected is None:
            continue
        released = decoded(table.column(declared.name))
        if not is_number_type(released.type):
            continue
        flagged = []
        for row, value in enumerate(released.to_pylist()):
            group = int(groups.released_group[row])
            truth = None if group == _NO_GROUP else float(expected[group])
            shown = None if value is None else float(value)
            if not _agrees(shown, truth, declared, rules):
                flagged.append(FlaggedValue(row + 1, declared.name, shown, truth))
        if flagged:
            detail = "; ".join(
                f"row {f.row}: released {_number(f.released)}, recomputed {_number(f.recomputed)}"
                for f in flagged[:_SHOWN]
            ) + (f"; and {len(flagged) - _SHOWN} more" if len(flagged) > _SHOWN else "")
            message = RECOMPUTED_MSG.format(
                file=name, column=declared.name, cells=len(flagged), detail=detail
            )
            findings.append(
                Finding(CheckName.RECOMPUTED, message, declared.name, flagged=tuple(flagged))
            )
    return findings


def _recompute(declared: OutputColumn, groups: _Groups) -> npt.NDArray[np.float64] | None:
    count = len(groups.sizes)
    if declared.aggregate is Aggregate.COUNT and declared.source is None:
        sizes: npt.NDArray[np.float64] = groups.sizes.astype(np.float64)
        return sizes
    if declared.source is None:
        return None
    if declared.aggregate is Aggregate.COUNT_DISTINCT:
        column = decoded(groups.table.column(declared.source.partition(".")[2]))
        codes = _codes(column, pc.unique(column).drop_null())
        keep = codes >= 0
        group_of_pair, _ = _group_values(groups.row_group[keep], codes[keep])
        return np.bincount(group_of_pair, minlength=count).astype(np.float64)
    values = _values(groups, declared.source)
    if values is None:
        return None
    valid = ~np.isnan(values)
    gid = groups.row_group[valid]
    present = np.bincount(gid, minlength=count).astype(np.float64)
    if declared.aggregate is Aggregate.COUNT:
        return present
    sums = np.bincount(gid, weights=values[valid], minlength=count).astype(np.float64)
    if declared.aggregate is Aggregate.SUM:
        return sums
    if declared.aggregate is Aggregate.MEAN:
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(present > 0, sums / np.maximum(present, 1), math.nan)
    extreme = np.full(count, math.nan)
    if declared.aggregate is Aggregate.MIN:
        low = np.full(count, math.inf)
        np.minimum.at(low, gid, values[valid])
        extreme = np.where(present > 0, low, math.nan)
    elif declared.aggregate is Aggregate.MAX:
        high = np.full(count, -math.inf)
        np.maximum.at(high, gid, values[valid])
        extreme = np.where(present > 0, high, math.nan)
    return extreme


def _agrees(
    released: float | None, truth: float | None, declared: OutputColumn, rules: SdcRules
) -> bool:
    if released is None:
        return True  # an emptied cell says nothing
    if truth is None or math.isnan(truth):
        return math.isnan(released)
    if math.isnan(released):
        return False
    if declared.is_count:
        # "Rounded to a multiple of 5" may be down (n // 5 * 5) as well as to the nearest.
        return abs(released - truth) < (rules.count_base or 1)
    slack = tolerance(rules.decimals) + 1e-9 * abs(truth)
    return abs(released - truth) <= slack


def _number(value: float | Decimal | None) -> str:
    if value is None:
        return "nothing (no such group in the inputs)"
    return f"{value:g}" if isinstance(value, float) else str(value)
