"""Automatic disclosure checks over a real run's output files.

Each check is a plain function from one table (and the policy) to findings; its
failure texts are the module-level templates below, so a reader sees every
message the checker can say in one place (after OpenSAFELY's ``MAX_SIZE_MSG``).
Messages name files, columns, row numbers and limits, never cell values.

Per the contract a failure either BLOCKS the file or SUPPRESSES the offending
cells (they are emptied and the rest goes on to review). Caps, unreadable files
and the declared schema can only block: there is no cell to empty that would
make a too-long file short or a wrong type right.

``check_outputs`` runs them all and returns the report and the bytes that may go
on to review. Those bytes are never the job's: each file is parsed strictly into
one table, checked, and re-written in Sealroom's canonical form
(``jobs.canonical_output``), so nothing the checks did not read can ride along.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from contracts import Aggregate, ColumnPolicy, Contract, FileSchema, LogicalType
from jobs.canonical_output import FloatPrecision, canonical_table, write_canonical
from jobs.check_report import (
    Action,
    CheckName,
    CheckReport,
    Failure,
    FileOutcome,
    FileReport,
    SuppressedCell,
)
from jobs.count_bounds import check_counts
from jobs.errors import OutputUnreadable
from jobs.identifier_checks import (
    check_identifier_names,
    check_identifier_shaped,
    check_identifier_values,
    of_check,
)
from jobs.output_files import read_output, read_output_text
from jobs.output_finding import Finding
from jobs.output_schemas import check_declared, schema_for
from jobs.sdc_recompute import SdcRules, check_recomputed_groups
from jobs.sensitive_index import SensitiveValueIndex
from jobs.source_bounds import check_aggregate_bounds, check_source_values

MAX_FILES_MSG = (
    "The job wrote {count} output files, more than the {limit} allowed: combine the "
    "results into fewer files."
)
MAX_BYTES_MSG = (
    "{file} is {size:,} bytes, more than the contract's maximum of {limit:,}: write "
    "aggregates, not records."
)
MAX_ROWS_MSG = (
    "{file} has {rows:,} rows, more than the contract's maximum of {limit:,}: aggregate "
    "further so the output describes groups, not people."
)
UNREADABLE_MSG = (
    "{file} cannot be read as one table ({detail}), so it cannot be checked: write tables as "
    ".csv, .parquet or .json records, one column per name and one type per column."
)
FORBIDDEN_COLUMN_MSG = (
    "{file} has column {column}, which repeats input column {source} ({why}): remove it "
    "from the output."
)
UNDECLARED_COLUMN_MSG = (
    "{file} has column {column}, which the contract's output schema does not declare: "
    "remove it, or ask the owner for a contract version that declares it."
)
MISSING_COLUMN_MSG = (
    "{file} lacks column {column}, which the contract's output schema requires: write it."
)
WRONG_TYPE_MSG = (
    "{file} column {column} holds {found} values, but the output schema declares "
    "{expected}: cast it before writing."
)
SMALL_GROUP_MSG = (
    "{file} column {column} has {cells} count(s) below the minimum group size of {limit} "
    "({rows}): merge small groups or leave them out."
)
NESTED_COLUMN_MSG = (
    "{file} column {column} holds {kind} values, which cannot be checked cell by cell: "
    "write flat columns of text, numbers, booleans or dates."
)
COUNT_ROUNDING_MSG = (
    "{file} column {column} has {cells} count(s) that are not multiples of {base} ({rows}): "
    "round counts to the nearest {base}."
)
DECIMAL_ROUNDING_MSG = (
    "{file} column {column} has {cells} value(s) with more than {decimals} decimal(s) "
    "({rows}): round them to {decimals} decimal(s)."
)

#: The contract has no file-count rule yet; this is the platform's.
DEFAULT_MAX_FILES = 20

#: Only these can be met by emptying cells; the rest always block.
SUPPRESSIBLE = frozenset(
    {
        CheckName.FORBIDDEN_COLUMNS,
        CheckName.SMALL_GROUPS,
        CheckName.VERBATIM_VALUES,
        CheckName.ROUNDING,
        CheckName.THRESHOLD,
        CheckName.DOMINANCE,
        CheckName.CLASS_DISCLOSURE,
    }
)

#: Shown to the reviewer, never blocking: a job may filter, so a value unlike its
#: recomputation is a question for the reviewer, not proof.
FLAGGED = frozenset({CheckName.RECOMPUTED})

_COUNT_NAME = re.compile(
    r"^(n|cnt|count|counts|num|freq|frequency)$|^(n|num|cnt|count)_|_(n|cnt|count|counts|num)$"
    # Chinese names have no separators to anchor on: 客户人数, 交易笔数.
    r"|人数|计数|次数|个数|户数|笔数",
    re.IGNORECASE,
)
# Integers that group rather than count: an age of 3 is not a group of 3 people.
_KEY_NAME = re.compile(
    r"(^|_)(id|year|month|day|week|quarter|hour|age|code|rank|level|group|bucket|band|"
    r"index|idx|zip|postcode)($|_)"
    r"|编号|代码|年份|月份|日期|年龄|等级|分组|区间|邮编",
    re.IGNORECASE,
)
# Numbers about money or measures, not people: a total spend of 7 CNY is no group of 7.
_STATISTIC_NAME = re.compile(
    r"(^|_)(sum|total|mean|avg|average|median|min|max|std|var|amount|value|spend|revenue|"
    r"price|cost|rate|ratio|pct|percent|share|cny|usd|eur|gbp)($|_)"
    r"|金额|总额|合计|总计|平均|均值|中位|最大|最小|收入|价格|费用|比例|占比|比率|消费",
    re.IGNORECASE,
)
_SHOWN_ROWS = 5
_compute: Any = pc  # pyarrow's stubs reject arrays mixed with Python scalars


@dataclass(frozen=True)
class DeclaredColumn:
    name: str
    logical_type: LogicalType
    required: bool
    aggregate: Aggregate | None

    @property
    def is_count(self) -> bool:
        return self.aggregate in (Aggregate.COUNT, Aggregate.COUNT_DISTINCT)


@dataclass(frozen=True)
class OutputCheckPolicy:
    """The contract's output rules, in the form the checks use them."""

    max_rows: int
    max_bytes: int
    min_group_size: int
    max_files: int = DEFAULT_MAX_FILES
    # Output column name (case-folded) -> why it may not appear.
    forbidden: Mapping[str, str] = field(default_factory=dict)
    schema: tuple[DeclaredColumn, ...] | None = None
    count_base: int | None = None
    decimals: int | None = None
    actions: Mapping[CheckName, Action] = field(default_factory=dict)
    # Every declared file schema in matching order; a file none matches never passes.
    schemas: tuple[FileSchema, ...] = ()
    sdc: SdcRules | None = None

    @property
    def float_precision(self) -> FloatPrecision:
        """How released floats are rounded: the declared decimals, else the default."""
        return FloatPrecision(decimals=self.decimals)

    def action_for(self, check: CheckName) -> Action:
        if check in FLAGGED:
            return Action.FLAG
        if check not in SUPPRESSIBLE:
            return Action.BLOCK
        return self.actions.get(check, Action.BLOCK)

    @classmethod
    def from_contract(
        cls,
        contract: Contract,
        *,
        actions: Mapping[CheckName, Action] | None = None,
        max_files: int = DEFAULT_MAX_FILES,
    ) -> OutputCheckPolicy:
        """``actions`` says which suppressible checks suppress; unlisted ones block.

        The contract model has no such field yet, so the caller passes it.
        """
        rules = contract.output
        schema = (
            None
            if rules.output_schema is None
            else tuple(
                DeclaredColumn(c.name, c.logical_type, c.required, c.aggregate)
                for c in rules.output_schema
            )
        )
        declared = {c.name.casefold() for s in rules.schemas for c in s.columns}
        forbidden: dict[str, str] = {}
        for dataset in contract.datasets:
            for column in dataset.columns:
                ref = f"{dataset.name}.{column.name}"
                if column.name.casefold() in declared:
                    continue
                if ref in rules.forbidden_columns:
                    forbidden[column.name.casefold()] = f"{ref}, listed in forbidden_columns"
                elif column.policy in (ColumnPolicy.JOIN_ONLY, ColumnPolicy.NEVER_OUTPUT):
                    forbidden[column.name.casefold()] = f"{ref}, which is {column.policy.value}"
        rounding = rules.rounding
        return cls(
            max_rows=rules.max_rows,
            max_bytes=rules.max_bytes,
            min_group_size=rules.min_group_size,
            max_files=max_files,
            forbidden=forbidden,
            schema=schema,
            count_base=rounding.counts_to_multiple_of if rounding else None,
            decimals=rounding.decimals if rounding else None,
            actions=dict(actions or {}),
            schemas=rules.schemas,
            sdc=SdcRules.from_contract(contract),
        )

    def for_file(self, schema: FileSchema | None) -> OutputCheckPolicy:
        """This policy with ``schema`` (the one the file's name matched) as the declared one."""
        if schema is None:
            return replace(self, schema=None)
        columns = tuple(
            DeclaredColumn(c.name, c.logical_type, c.required, c.aggregate) for c in schema.columns
        )
        return replace(self, schema=columns)


# Recognising columns.


def _is_integer(data_type: pa.DataType) -> bool:
    return pa.types.is_integer(data_type)


def _is_numeric(data_type: pa.DataType) -> bool:
    return (
        pa.types.is_integer(data_type)
        or pa.types.is_floating(data_type)
        or pa.types.is_decimal(data_type)
    )


def _declared(policy: OutputCheckPolicy) -> dict[str, DeclaredColumn]:
    return {c.name: c for c in policy.schema or ()}


def count_like_columns(table: pa.Table, policy: OutputCheckPolicy) -> tuple[str, ...]:
    """Columns that count people.

    A declared ``count`` column; otherwise a numeric column named like a count
    (``n``, ``count``, ``cnt``, ``num_*``, ``*_count``), or an integer column with no
    negative values that is not named like a key (``*_id``, ``year``, ``age``, ...) or
    a measure (``total_*``, ``*_spend``, ``*_cny``, ...).
    """
    declared = _declared(policy)
    found = []
    for name in table.column_names:
        column = table.column(name)
        if not _is_numeric(column.type):
            continue  # a count written as text fails the schema check instead
        if name in declared:
            if declared[name].is_count:
                found.append(name)
            continue
        if _COUNT_NAME.search(name):
            found.append(name)
        elif (
            _is_integer(column.type)
            and not _KEY_NAME.search(name)
            and not _STATISTIC_NAME.search(name)
        ):
            smallest = pc.min(column).as_py()
            if smallest is None or smallest >= 0:
                found.append(name)
    return tuple(found)


def statistic_columns(table: pa.Table, policy: OutputCheckPolicy) -> tuple[str, ...]:
    """Numeric columns describing a group (counts, sums, means), not naming one."""
    declared = _declared(policy)
    found = []
    for name in table.column_names:
        if name in declared:
            if declared[name].aggregate is not None:
                found.append(name)
        elif _is_numeric(table.column(name).type) and not _KEY_NAME.search(name):
            found.append(name)
    return tuple(found)


def _rows_text(rows: list[int]) -> str:
    shown = ", ".join(str(r + 1) for r in rows[:_SHOWN_ROWS])
    more = len(rows) - _SHOWN_ROWS
    noun = "row" if len(rows) == 1 else "rows"
    return f"{noun} {shown}" + (f" and {more} more" if more > 0 else "")


# The checks.


def check_file_count(names: list[str], policy: OutputCheckPolicy) -> list[Finding]:
    if len(names) <= policy.max_files:
        return []
    message = MAX_FILES_MSG.format(count=len(names), limit=policy.max_files)
    return [Finding(CheckName.FILE_COUNT, message)]


def check_max_bytes(name: str, size: int, policy: OutputCheckPolicy) -> list[Finding]:
    if size <= policy.max_bytes:
        return []
    message = MAX_BYTES_MSG.format(file=name, size=size, limit=policy.max_bytes)
    return [Finding(CheckName.MAX_BYTES, message)]


def check_max_rows(name: str, table: pa.Table, policy: OutputCheckPolicy) -> list[Finding]:
    if table.num_rows <= policy.max_rows:
        return []
    message = MAX_ROWS_MSG.format(file=name, rows=table.num_rows, limit=policy.max_rows)
    return [Finding(CheckName.MAX_ROWS, message)]


def check_forbidden_columns(name: str, table: pa.Table, policy: OutputCheckPolicy) -> list[Finding]:
    findings = []
    for column in table.column_names:
        why = policy.forbidden.get(column.casefold())
        if why is None:
            continue
        source, _, reason = why.partition(", ")
        message = FORBIDDEN_COLUMN_MSG.format(file=name, column=column, source=source, why=reason)
        cells = tuple((row, column) for row in range(table.num_rows))
        findings.append(Finding(CheckName.FORBIDDEN_COLUMNS, message, column, cells))
    return findings


def check_flat(name: str, table: pa.Table) -> list[Finding]:
    """Only flat columns of text, numbers, booleans and dates can be checked cell by cell;
    a list, struct or binary column could carry anything inside one cell."""
    findings = []
    for column_field in table.schema:
        data_type = _plain_type(column_field.type)
        if not (
            _is_numeric(data_type)
            or pa.types.is_string(data_type)
            or pa.types.is_large_string(data_type)
            or pa.types.is_boolean(data_type)
            or pa.types.is_temporal(data_type)
            or pa.types.is_null(data_type)
        ):
            message = NESTED_COLUMN_MSG.format(
                file=name, column=column_field.name, kind=str(data_type)
            )
            findings.append(Finding(CheckName.READABLE, message, column_field.name))
    return findings


def _plain_type(data_type: pa.DataType) -> pa.DataType:
    return data_type.value_type if pa.types.is_dictionary(data_type) else data_type


def check_verbatim_headers(name: str, table: pa.Table, index: SensitiveValueIndex) -> list[Finding]:
    """A pivoted output can carry personal values in its column names; a file, in its name."""
    return check_identifier_names(name, table, index)


def check_output_schema(name: str, table: pa.Table, policy: OutputCheckPolicy) -> list[Finding]:
    if policy.schema is None:
        return []
    declared = _declared(policy)
    findings = []
    for column in table.column_names:
        if column not in declared:
            message = UNDECLARED_COLUMN_MSG.format(file=name, column=column)
            findings.append(Finding(CheckName.OUTPUT_SCHEMA, message, column))
            continue
        found = table.column(column).type
        expected = declared[column].logical_type
        if not _type_matches(found, expected):
            message = WRONG_TYPE_MSG.format(
                file=name, column=column, found=_type_word(found), expected=expected.value
            )
            findings.append(Finding(CheckName.OUTPUT_SCHEMA, message, column))
    for wanted in policy.schema:
        if wanted.required and wanted.name not in table.column_names:
            message = MISSING_COLUMN_MSG.format(file=name, column=wanted.name)
            findings.append(Finding(CheckName.OUTPUT_SCHEMA, message, wanted.name))
    return findings


def _type_matches(found: pa.DataType, expected: LogicalType) -> bool:
    if pa.types.is_null(found):  # an all-empty column fits any type
        return True
    if pa.types.is_dictionary(found):
        found = found.value_type
    checks: dict[LogicalType, Callable[[pa.DataType], bool]] = {
        LogicalType.STRING: lambda t: pa.types.is_string(t) or pa.types.is_large_string(t),
        LogicalType.INTEGER: pa.types.is_integer,
        LogicalType.NUMBER: _is_numeric,
        LogicalType.BOOLEAN: pa.types.is_boolean,
        LogicalType.DATE: pa.types.is_date,
        LogicalType.TIMESTAMP: pa.types.is_timestamp,
    }
    return checks[expected](found)


def _type_word(found: pa.DataType) -> str:
    if pa.types.is_dictionary(found):
        found = found.value_type
    for word, test in (
        ("string", lambda t: pa.types.is_string(t) or pa.types.is_large_string(t)),
        ("integer", pa.types.is_integer),
        ("number", _is_numeric),
        ("boolean", pa.types.is_boolean),
        ("date", pa.types.is_date),
        ("timestamp", pa.types.is_timestamp),
    ):
        if test(found):
            return word
    return str(found)


def check_small_groups(name: str, table: pa.Table, policy: OutputCheckPolicy) -> list[Finding]:
    """Counts of 1 to ``min_group_size - 1`` people; a zero describes nobody.

    Suppression empties the count and every other statistic of the same row: a
    mean over three people is as disclosive as the three.
    """
    limit = policy.min_group_size
    statistics = statistic_columns(table, policy)
    findings = []
    for column in count_like_columns(table, policy):
        values = table.column(column)
        rows = _true_rows(pc.and_(_compute.greater(values, 0), _compute.less(values, limit)))
        if not rows:
            continue
        companions = [column, *(s for s in statistics if s != column)]
        cells = tuple((row, c) for row in rows for c in companions)
        message = SMALL_GROUP_MSG.format(
            file=name, column=column, cells=len(rows), limit=limit, rows=_rows_text(rows)
        )
        findings.append(Finding(CheckName.SMALL_GROUPS, message, column, cells))
    return findings


def _true_rows(mask: Any) -> list[int]:
    """0-based rows where ``mask`` is true (null counts as false)."""
    marked = _compute.fill_null(mask, False).to_numpy(zero_copy_only=False)
    return [int(row) for row in np.flatnonzero(marked)]


def check_rounding(name: str, table: pa.Table, policy: OutputCheckPolicy) -> list[Finding]:
    """Counts rounded to a multiple of the base; other numbers to the declared decimals."""
    findings = []
    counts = count_like_columns(table, policy)
    for column in table.column_names:
        data_type = table.column(column).type
        if column in counts and policy.count_base is not None:
            base = policy.count_base
            rows = _not_multiples(table.column(column), base)
            if rows:
                message = COUNT_ROUNDING_MSG.format(
                    file=name, column=column, cells=len(rows), base=base, rows=_rows_text(rows)
                )
                findings.append(Finding(CheckName.ROUNDING, message, column, _cells(rows, column)))
        elif policy.decimals is not None and (
            pa.types.is_floating(data_type) or pa.types.is_decimal(data_type)
        ):
            decimals = policy.decimals
            rows = _not_rounded(table.column(column), decimals)
            if rows:
                message = DECIMAL_ROUNDING_MSG.format(
                    file=name, column=column, cells=len(rows), decimals=decimals,
                    rows=_rows_text(rows),
                )  # fmt: skip
                findings.append(Finding(CheckName.ROUNDING, message, column, _cells(rows, column)))
    return findings


def _cells(rows: list[int], column: str) -> tuple[tuple[int, str], ...]:
    return tuple((row, column) for row in rows)


def _not_multiples(column: pa.ChunkedArray[Any], base: int) -> list[int]:
    if pa.types.is_integer(column.type):
        numbers = _compute.fill_null(column, 0).to_numpy().astype(np.int64)
        return [int(row) for row in np.flatnonzero(numbers % base != 0)]
    values = column.to_pylist()
    return [i for i, v in enumerate(values) if v is not None and not _multiple(v, base)]


def _not_rounded(column: pa.ChunkedArray[Any], decimals: int) -> list[int]:
    if pa.types.is_floating(column.type):
        numbers = column.cast(pa.float64()).to_numpy(zero_copy_only=False)  # null is NaN
        finite = np.isfinite(numbers)
        # Floats: 0.1 + 0.2 is "rounded to 2 decimals" though not exactly 0.30.
        close = np.isclose(numbers, np.round(numbers, decimals), rtol=1e-12, atol=1e-12)
        return [int(row) for row in np.flatnonzero(finite & ~close)]
    values = column.to_pylist()
    return [i for i, v in enumerate(values) if v is not None and not _rounded(v, decimals)]


def _multiple(value: float | Decimal, base: int) -> bool:
    if isinstance(value, float) and not value.is_integer():
        return False
    return int(value) % base == 0


def _rounded(value: float | Decimal, decimals: int) -> bool:
    if isinstance(value, Decimal):
        return value == round(value, decimals)
    if not math.isfinite(value):
        return True
    return math.isclose(value, round(value, decimals), rel_tol=1e-12, abs_tol=1e-12)


# Running them all.


@dataclass(frozen=True)
class CheckedOutputs:
    report: CheckReport
    releasable: Mapping[str, bytes]  # what may go on to review: suppressed and written back


def check_outputs(
    files: Mapping[str, bytes],
    policy: OutputCheckPolicy,
    index: SensitiveValueIndex,
    *,
    inputs: Mapping[str, pa.Table] | None = None,
) -> CheckedOutputs:
    """Check every output file; the report says per file what passed, failed, was emptied.

    ``inputs`` are the run's real input tables by dataset name, for checks that
    recompute what an output claims. ``releasable`` holds canonical bytes only.
    """
    names = sorted(files)
    bundle = [Failure(f.check, Action.BLOCK, f.reason) for f in check_file_count(names, policy)]
    if bundle:
        # Not even parsed: a job writing thousands of files must not cost thousands of reads.
        return CheckedOutputs(
            CheckReport(tuple(_unread(n, files[n], bundle) for n in names), tuple(bundle)), {}
        )
    reports = []
    releasable: dict[str, bytes] = {}
    for name in names:
        report, released = _check_file(name, files[name], policy, index, inputs)
        reports.append(report)
        if released is not None:
            releasable[name] = released
    return CheckedOutputs(CheckReport(tuple(reports)), releasable)


def _unread(name: str, data: bytes, bundle: list[Failure]) -> FileReport:
    digest = hashlib.sha256(data).hexdigest()
    return FileReport(name, digest, len(data), None, (), tuple(bundle))


def _check_file(
    name: str,
    data: bytes,
    policy: OutputCheckPolicy,
    index: SensitiveValueIndex,
    inputs: Mapping[str, pa.Table] | None = None,
) -> tuple[FileReport, bytes | None]:
    """Parse strictly, check, re-serialise: the released bytes are written from ``table``.

    ``inputs`` are the real input tables, for checks that recompute an output from them.
    """
    digest = hashlib.sha256(data).hexdigest()
    schema = schema_for(name, policy.schemas)
    policy = policy.for_file(schema) if policy.schemas else policy
    passed: list[CheckName] = []
    failures: list[Failure] = []

    def record(check: CheckName, findings: list[Finding]) -> list[Finding]:
        if not findings:
            passed.append(check)
        action = policy.action_for(check)
        failures.extend(
            Failure(check, action, f.reason, f.column, len(f.cells), f.flagged) for f in findings
        )
        return findings if action is Action.SUPPRESS else []

    def blocked(rows: int | None) -> tuple[FileReport, None]:
        return FileReport(name, digest, len(data), rows, tuple(passed), tuple(failures)), None

    # A file over the byte cap is not even parsed: it may be built to exhaust the checker.
    record(CheckName.MAX_BYTES, check_max_bytes(name, len(data), policy))
    if failures:
        return blocked(None)
    try:
        parsed = read_output(name, data)
    except OutputUnreadable as err:
        reason = UNREADABLE_MSG.format(file=name, detail=err.reason)
        record(CheckName.READABLE, [Finding(CheckName.READABLE, reason)])
        return blocked(None)
    record(CheckName.READABLE, check_flat(name, parsed))
    record(CheckName.MAX_ROWS, check_max_rows(name, parsed, policy))
    if failures:
        return blocked(parsed.num_rows)
    record(CheckName.DECLARED_SCHEMA, check_declared(name, policy.schemas))
    # The checks read the values that will be released (floats already rounded), except
    # the rounding check, which tells the job whether it rounded as the contract says.
    table = canonical_table(parsed, policy.float_precision)
    as_written = read_output_text(name, data, parsed)
    to_empty: list[Finding] = []
    record(CheckName.VERBATIM_HEADERS, check_verbatim_headers(name, table, index))
    to_empty += record(CheckName.FORBIDDEN_COLUMNS, check_forbidden_columns(name, table, policy))
    to_empty += record(CheckName.OUTPUT_SCHEMA, check_output_schema(name, table, policy))
    to_empty += record(CheckName.SMALL_GROUPS, check_small_groups(name, table, policy))
    # Identifiers are looked for in the values as the job wrote them (CSV text keeps
    # leading zeros; floats before rounding): canonical rounding may hide a disguised
    # mobile from the release, but the attempt is still blocked and shown to reviewers.
    values = check_identifier_values(name, as_written, index)
    to_empty += record(CheckName.VERBATIM_VALUES, of_check(values, CheckName.VERBATIM_VALUES))
    record(CheckName.DISGUISED_IDENTIFIERS, of_check(values, CheckName.DISGUISED_IDENTIFIERS))
    record(CheckName.IDENTIFIER_SHAPED, check_identifier_shaped(name, table))
    to_empty += record(CheckName.ROUNDING, check_rounding(name, parsed, policy))
    if inputs is not None and schema is not None:  # without a schema, nothing to hold it to
        record(CheckName.SOURCE_VALUES, check_source_values(name, table, schema, inputs))
        bounds = check_aggregate_bounds(name, table, schema, inputs, policy.decimals)
        record(CheckName.AGGREGATE_BOUNDS, bounds)
        record(CheckName.COUNTS, check_counts(name, table, schema, inputs))
        if policy.sdc is not None:
            sdc = check_recomputed_groups(name, table, schema, inputs, policy.sdc)
            for check in (CheckName.THRESHOLD, CheckName.DOMINANCE, CheckName.CLASS_DISCLOSURE):
                to_empty += record(check, [f for f in sdc if f.check is check])
            record(CheckName.RECOMPUTED, [f for f in sdc if f.check is CheckName.RECOMPUTED])
    report = FileReport(name, digest, len(data), table.num_rows, tuple(passed), tuple(failures))
    if report.outcome is FileOutcome.BLOCKED:
        return report, None
    return _release(name, table, to_empty, report)


def _release(
    name: str, table: pa.Table, to_empty: list[Finding], report: FileReport
) -> tuple[FileReport, bytes]:
    """The canonical bytes of ``table`` with the cells to suppress emptied, and the report
    that names those cells and hashes those bytes."""
    cells = sorted({(row, f.check, column) for f in to_empty for row, column in f.cells})
    first_check: dict[tuple[int, str], CheckName] = {}
    for row, check, column in cells:
        first_check.setdefault((row, column), check)
    released = write_canonical(name, empty_cells(table, set(first_check)))
    suppressed = tuple(
        SuppressedCell(row + 1, column, check)
        for (row, column), check in sorted(first_check.items())
    )
    digest = hashlib.sha256(released).hexdigest()
    return replace(report, suppressed=suppressed, released_sha256=digest), released


def empty_cells(table: pa.Table, cells: set[tuple[int, str]]) -> pa.Table:
    """``table`` with the given (0-based row, column) cells set to null, types unchanged."""
    by_column: dict[str, set[int]] = {}
    for row, column in cells:
        by_column.setdefault(column, set()).add(row)
    for column, rows in by_column.items():
        position = table.column_names.index(column)
        original = table.column(column)
        marked = np.zeros(table.num_rows, dtype=np.bool_)
        marked[sorted(rows)] = True
        mask = pa.array(marked, type=pa.bool_())
        emptied = pc.if_else(mask, pa.scalar(None, type=original.type), original)
        table = table.set_column(position, table.field(position).with_nullable(True), emptied)
    return table
