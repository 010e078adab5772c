"""Identifiers in any disguise: each disguise, in CSV and Parquet, fails the checks;
honest outputs pass (their false-positive rate is measured and must stay zero)."""

from __future__ import annotations

import io
from dataclasses import replace
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest

from contracts import Contract
from jobs.check_report import Action, CheckName, FileReport
from jobs.output_checks import OutputCheckPolicy, check_outputs
from jobs.sensitive_index import SensitiveValueIndex, build_sensitive_index
from tests.fixtures.identifier_disguises import CUSTOMERS, DISGUISES, HONEST, KEY, MOBILES

IDENTIFIER_CHECKS = frozenset(
    {
        CheckName.VERBATIM_VALUES,
        CheckName.VERBATIM_HEADERS,
        CheckName.DISGUISED_IDENTIFIERS,
        CheckName.IDENTIFIER_SHAPED,
    }
)


@pytest.fixture
def free(contract: Contract) -> OutputCheckPolicy:
    """The example's rules without its output schema, so only the values decide."""
    return replace(OutputCheckPolicy.from_contract(contract), schema=None)


@pytest.fixture
def index(contract: Contract) -> SensitiveValueIndex:
    return build_sensitive_index(contract, {"customers": CUSTOMERS}, key=KEY)


def csv_bytes(columns: dict[str, list[Any]]) -> bytes:
    sink = io.BytesIO()
    pa_csv.write_csv(pa.table(columns), sink)
    return sink.getvalue()


def parquet_bytes(columns: dict[str, list[Any]]) -> bytes:
    sink = io.BytesIO()
    pq.write_table(pa.table(columns), sink)
    return sink.getvalue()


def check_one(
    name: str, data: bytes, policy: OutputCheckPolicy, index: SensitiveValueIndex
) -> FileReport:
    [report] = check_outputs({name: data}, policy, index).report.files
    return report


def identifier_failures(report: FileReport) -> set[CheckName]:
    return {f.check for f in report.failures if f.check in IDENTIFIER_CHECKS}


def disguised_output(disguise: str) -> dict[str, list[Any]]:
    values = DISGUISES[disguise]()
    column = "total_cny" if isinstance(values[0], int | float) else "note"
    return {"segment": ["a", "b", "c", "d", "e"], column: values}


@pytest.mark.parametrize("disguise", sorted(DISGUISES))
@pytest.mark.parametrize("writer", [csv_bytes, parquet_bytes], ids=["csv", "parquet"])
def test_each_disguise_blocks_the_file(
    disguise: str, writer: Any, free: OutputCheckPolicy, index: SensitiveValueIndex
) -> None:
    suffix = ".csv" if writer is csv_bytes else ".parquet"
    report = check_one(f"out{suffix}", writer(disguised_output(disguise)), free, index)
    assert identifier_failures(report), report.failures
    # Blocked by the identifier checks themselves, not only by some other check.
    assert any(f.action is Action.BLOCK for f in report.failures if f.check in IDENTIFIER_CHECKS)


def test_a_disguise_is_named_as_one_and_blocks_even_where_verbatim_copies_suppress(
    free: OutputCheckPolicy, index: SensitiveValueIndex
) -> None:
    lenient = replace(free, actions={CheckName.VERBATIM_VALUES: Action.SUPPRESS})
    report = check_one("r.csv", csv_bytes(disguised_output("reversed")), lenient, index)
    [failure] = [f for f in report.failures if f.check is CheckName.DISGUISED_IDENTIFIERS]
    assert failure.column == "note" and failure.cells == 5
    assert "in disguise" in failure.reason and "rows 1, 2, 3, 4, 5" in failure.reason
    assert not any(m[::-1] in failure.reason for m in MOBILES)
    assert failure.action is Action.BLOCK  # a disguise blocks where a plain copy suppresses
    plain = check_one("p.csv", csv_bytes({"note": ["张伟", "ok"]}), lenient, index)
    # A plain copy still suppresses (the file is blocked anyway: no schema declares it).
    [copy] = [f for f in plain.failures if f.check is CheckName.VERBATIM_VALUES]
    assert copy.action is Action.SUPPRESS


def test_disguised_column_names_and_file_names_fail(
    free: OutputCheckPolicy, index: SensitiveValueIndex
) -> None:
    headers = {m.translate({ord("0"): chr(0xFF10)}): [1] for m in MOBILES[:2]}
    report = check_one("pivot.csv", csv_bytes({"segment": ["a"], **headers}), free, index)
    assert CheckName.VERBATIM_HEADERS in identifier_failures(report)
    named = check_one(f"{MOBILES[0][::-1]}_report.csv", csv_bytes({"n": [20]}), free, index)
    [failure] = [f for f in named.failures if f.check is CheckName.VERBATIM_HEADERS]
    assert "name of this output file" in failure.reason
    assert MOBILES[0][::-1] not in failure.reason


@pytest.mark.parametrize(
    ("kind", "values"),
    [
        ("fresh mobiles", [13_512_345_678 + 7_919 * i for i in range(6)]),
        ("fresh mobiles as floats", [18_612_345_678.0 + 7_919 * i for i in range(6)]),
        ("fresh mobiles as text", [f"+86 186 {1234_5678 + 7_919 * i}" for i in range(6)]),
        ("resident IDs as text", [f"11010519900101{1000 + i * 7}" for i in range(6)]),
        ("card numbers", [6_222_020_200_112_233_441 + 13 * i for i in range(6)]),
    ],
)
def test_identifier_shaped_columns_fail_though_the_index_does_not_know_them(
    kind: str, values: list[Any], free: OutputCheckPolicy, index: SensitiveValueIndex
) -> None:
    report = check_one("fresh.parquet", parquet_bytes({"ref": values}), free, index)
    assert identifier_failures(report) == {CheckName.IDENTIFIER_SHAPED}, kind
    [failure] = [f for f in report.failures if f.check is CheckName.IDENTIFIER_SHAPED]
    assert failure.column == "ref" and "shaped like" in failure.reason
    assert str(values[0]) not in failure.reason


@pytest.mark.parametrize("name", sorted(HONEST))
@pytest.mark.parametrize("writer", [csv_bytes, parquet_bytes], ids=["csv", "parquet"])
def test_honest_outputs_pass_the_identifier_checks(
    name: str, writer: Any, free: OutputCheckPolicy, index: SensitiveValueIndex
) -> None:
    suffix = ".csv" if writer is csv_bytes else ".parquet"
    report = check_one(f"{name}{suffix}", writer(HONEST[name]), free, index)
    assert not identifier_failures(report), report.failures


def test_the_false_positive_rate_of_random_honest_outputs_is_zero(contract: Contract) -> None:
    """60 random aggregate tables (sums, means, counts, money, years) against an index of
    50,000 customers with 11-digit mobiles and 18-digit ID numbers."""
    rng = np.random.default_rng(17)
    people = 50_000
    customers = pa.table(
        {
            "name": [f"客户{i}" for i in range(people)],
            "mobile": (13_000_000_000 + rng.choice(6_999_999_999, people, replace=False))
            .astype(str)
            .tolist(),
            "id_number": (110_105_190_000_000_000 + rng.choice(10**9, people, replace=False))
            .astype(str)
            .tolist(),
        }
    )
    index = build_sensitive_index(contract, {"customers": customers}, key=KEY)
    policy = replace(OutputCheckPolicy.from_contract(contract), schema=None)
    failed = 0
    outputs = 60
    for number in range(outputs):
        rows = int(rng.integers(3, 60))
        counts = rng.integers(10, 100_000, rows)
        sums = np.round(rng.uniform(100, 2e10, rows), 2)
        table = {
            "segment": [f"segment {i}" for i in range(rows)],
            "year": rng.integers(2000, 2026, rows).tolist(),
            "customers": counts.tolist(),
            "sum_spend_cny": sums.tolist(),
            "mean_spend_cny": np.round(sums / counts, 2).tolist(),
            "share": np.round(rng.uniform(0, 1, rows), 4).tolist(),
        }
        writer = csv_bytes if number % 2 else parquet_bytes
        report = check_one(f"o{number}.csv" if number % 2 else f"o{number}.parquet",
                           writer(table), policy, index)  # fmt: skip
        failed += bool(identifier_failures(report))
        assert not identifier_failures(report), [f.reason for f in report.failures]
    rate = failed / outputs
    print(f"false-positive rate: {failed}/{outputs} = {rate:.3%}")
    assert rate == 0
