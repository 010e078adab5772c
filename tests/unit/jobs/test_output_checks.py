"""Disclosure checks: for each check, an output that breaks it and one that passes."""

from __future__ import annotations

import io
import json
from dataclasses import replace
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest

from contracts import Contract
from jobs.check_report import Action, CheckName, FileOutcome, FileReport
from jobs.output_checks import (
    CheckedOutputs,
    OutputCheckPolicy,
    check_outputs,
    count_like_columns,
)
from jobs.output_files import read_output
from jobs.sensitive_index import SensitiveValueIndex, build_sensitive_index

KEY = bytes(range(32))

CUSTOMERS = pa.table(
    {
        "customer_id": ["C0001", "C0002", "C0003", "C0004"],
        "name": ["张伟", "李娜", "Wang Fang", "Liu Yang"],
        "mobile": ["+8613800138000", "+8613911112222", "+8613700001111", "+8615000002222"],
        "id_number": ["11010519491231002X", "440524188001010014", None, "11010519800101001X"],
        "email": ["zw@example.cn", "ln@example.cn", "wf@example.cn", "ly@example.cn"],
        "city": ["Shanghai", "Shanghai", "Beijing", "Shanghai"],
        "segment": ["gold", "gold", "silver", "silver"],
        "spend_cny": [120.5, 80.0, 33.25, 10.0],
    }
)

GOOD: dict[str, list[Any]] = {
    "segment": ["gold", "silver"],
    "city": ["Shanghai", "Beijing"],
    "customers": [120, 35],
    "mean_spend_cny": [101.25, 33.1],
}


def csv_bytes(columns: dict[str, list[Any]]) -> bytes:
    sink = io.BytesIO()
    pa_csv.write_csv(pa.table(columns), sink)
    return sink.getvalue()


@pytest.fixture
def policy(contract: Contract) -> OutputCheckPolicy:
    return OutputCheckPolicy.from_contract(contract)


@pytest.fixture
def index(contract: Contract) -> SensitiveValueIndex:
    return build_sensitive_index(contract, {"customers": CUSTOMERS}, key=KEY)


def run(
    files: dict[str, bytes], policy: OutputCheckPolicy, index: SensitiveValueIndex
) -> CheckedOutputs:
    return check_outputs(files, policy, index)


def only_file(checked: CheckedOutputs) -> FileReport:
    assert len(checked.report.files) == 1
    return checked.report.files[0]


def test_a_clean_aggregate_passes_every_check(
    policy: OutputCheckPolicy, index: SensitiveValueIndex
) -> None:
    data = csv_bytes(GOOD)
    checked = run({"by_segment.csv": data}, policy, index)
    report = only_file(checked)
    assert report.outcome is FileOutcome.PASSED
    # The checks against the real inputs have their own tests (test_source_checks.py).
    needs_inputs = {
        CheckName.SOURCE_VALUES, CheckName.AGGREGATE_BOUNDS, CheckName.COUNTS,
        CheckName.THRESHOLD, CheckName.DOMINANCE, CheckName.CLASS_DISCLOSURE,
        CheckName.RECOMPUTED,
    }  # fmt: skip
    assert set(report.passed) == set(CheckName) - {CheckName.FILE_COUNT} - needs_inputs
    assert checked.releasable == {"by_segment.csv": data}
    assert not checked.report.blocked


def test_too_many_files_block_the_whole_bundle(
    policy: OutputCheckPolicy, index: SensitiveValueIndex
) -> None:
    two = replace(policy, max_files=2)
    data = csv_bytes(GOOD)
    assert run({"a.csv": data, "b.csv": data}, two, index).releasable.keys() == {"a.csv", "b.csv"}
    checked = run({"a.csv": data, "b.csv": data, "c.csv": data}, two, index)
    assert checked.report.blocked
    assert checked.releasable == {}
    assert {f.outcome for f in checked.report.files} == {FileOutcome.BLOCKED}
    [failure] = checked.report.bundle_failures
    assert failure.reason == (
        "The job wrote 3 output files, more than the 2 allowed: combine the results into "
        "fewer files."
    )


def test_a_file_over_the_byte_cap_is_blocked_unread(
    policy: OutputCheckPolicy, index: SensitiveValueIndex
) -> None:
    data = csv_bytes(GOOD)
    at_cap = only_file(run({"ok.csv": data}, replace(policy, max_bytes=len(data)), index))
    assert at_cap.outcome is FileOutcome.PASSED
    report = only_file(run({"big.csv": data}, replace(policy, max_bytes=len(data) - 1), index))
    assert report.outcome is FileOutcome.BLOCKED
    assert report.rows is None
    assert report.failures[0].check is CheckName.MAX_BYTES
    assert f"more than the contract's maximum of {len(data) - 1:,}" in report.failures[0].reason


def test_a_file_over_the_row_cap_is_blocked(
    policy: OutputCheckPolicy, index: SensitiveValueIndex
) -> None:
    data = csv_bytes(GOOD)
    assert only_file(run({"ok.csv": data}, replace(policy, max_rows=2), index)).outcome is (
        FileOutcome.PASSED
    )
    report = only_file(run({"rows.csv": data}, replace(policy, max_rows=1), index))
    assert report.outcome is FileOutcome.BLOCKED
    assert report.failures[0].reason == (
        "rows.csv has 2 rows, more than the contract's maximum of 1: aggregate further so the "
        "output describes groups, not people."
    )


def test_a_file_that_is_not_a_table_is_blocked(
    policy: OutputCheckPolicy, index: SensitiveValueIndex
) -> None:
    report = only_file(run({"plot.png": b"\x89PNG\r\n"}, policy, index))
    assert report.outcome is FileOutcome.BLOCKED
    assert report.failures[0].check is CheckName.READABLE
    garbage = only_file(run({"x.parquet": b"not parquet"}, policy, index))
    assert garbage.failures[0].check is CheckName.READABLE


def test_a_forbidden_input_column_blocks_the_file(
    policy: OutputCheckPolicy, index: SensitiveValueIndex
) -> None:
    leaked = csv_bytes({**GOOD, "Mobile": ["x", "y"]})
    report = only_file(run({"leak.csv": leaked}, policy, index))
    assert report.outcome is FileOutcome.BLOCKED
    forbidden = [f for f in report.failures if f.check is CheckName.FORBIDDEN_COLUMNS]
    assert forbidden[0].reason == (
        "leak.csv has column Mobile, which repeats input column customers.mobile (which is "
        "join_only): remove it from the output."
    )
    assert forbidden[0].action is Action.BLOCK


def test_a_column_listed_in_forbidden_columns_is_named_as_such(contract: Contract) -> None:
    no_schema = OutputCheckPolicy.from_contract(contract)
    no_schema = replace(no_schema, schema=None, schemas=())
    index = build_sensitive_index(contract, {}, key=KEY)
    report = only_file(run({"o.csv": csv_bytes({"name": ["a"], "n": [20]})}, no_schema, index))
    [forbidden] = [f for f in report.failures if f.check is CheckName.FORBIDDEN_COLUMNS]
    assert "customers.name (listed in forbidden_columns)" in forbidden.reason
    clean = only_file(run({"o.csv": csv_bytes({"segment": ["a"], "n": [20]})}, no_schema, index))
    # Without a declared schema nothing passes on its own, but nothing else is wrong.
    assert [f.check for f in clean.failures] == [CheckName.DECLARED_SCHEMA]


def test_the_declared_output_schema_is_enforced(
    policy: OutputCheckPolicy, index: SensitiveValueIndex
) -> None:
    wrong = csv_bytes(
        {"segment": ["gold"], "customers": ["many"], "mean_spend_cny": [1.5], "extra": [1]}
    )
    report = only_file(run({"wrong.csv": wrong}, policy, index))
    schema = [f.reason for f in report.failures if f.check is CheckName.OUTPUT_SCHEMA]
    assert schema == [
        "wrong.csv column customers holds string values, but the output schema declares "
        "integer: cast it before writing.",
        "wrong.csv has column extra, which the contract's output schema does not declare: "
        "remove it, or ask the owner for a contract version that declares it.",
    ]
    missing = csv_bytes({"segment": ["gold"], "mean_spend_cny": [1.5]})
    report = only_file(run({"missing.csv": missing}, policy, index))
    assert report.outcome is FileOutcome.BLOCKED
    assert "lacks column customers" in report.failures[0].reason
    # The optional city column may be left out.
    without_city = csv_bytes({k: v for k, v in GOOD.items() if k != "city"})
    assert only_file(run({"ok.csv": without_city}, policy, index)).outcome is FileOutcome.PASSED


def test_small_groups_block_by_default(
    policy: OutputCheckPolicy, index: SensitiveValueIndex
) -> None:
    small = csv_bytes({**GOOD, "customers": [120, 5]})
    report = only_file(run({"small.csv": small}, policy, index))
    assert report.outcome is FileOutcome.BLOCKED
    [failure] = [f for f in report.failures if f.check is CheckName.SMALL_GROUPS]
    assert failure.reason == (
        "small.csv column customers has 1 count(s) below the minimum group size of 10 "
        "(row 2): merge small groups or leave them out."
    )


def test_small_groups_are_suppressed_with_their_statistics_when_the_contract_says_so(
    policy: OutputCheckPolicy, index: SensitiveValueIndex
) -> None:
    suppress = replace(policy, actions={CheckName.SMALL_GROUPS: Action.SUPPRESS})
    small = csv_bytes({**GOOD, "customers": [120, 5]})
    checked = run({"small.csv": small}, suppress, index)
    report = only_file(checked)
    assert report.outcome is FileOutcome.SUPPRESSED
    assert [(c.row, c.column) for c in report.suppressed] == [
        (2, "customers"),
        (2, "mean_spend_cny"),
    ]
    released = read_output("small.csv", checked.releasable["small.csv"]).to_pydict()
    assert released["customers"] == [120, None]
    assert released["mean_spend_cny"] == [101.25, None]
    assert released["segment"] == ["gold", "silver"]
    assert report.released_sha256 != report.sha256


def test_count_like_columns_are_recognised_by_name_and_by_values(
    policy: OutputCheckPolicy,
) -> None:
    table = pa.table(
        {
            "n": [1.0],
            "num_buyers": [3],
            "visit_count": [4],
            "CNT": [5],
            "people": [6],
            "age": [7],
            "year": [2026],
            "delta": [-3],
            "mean_spend": [1.5],
            "total_spend_cny": [12],
            "label": ["x"],
        }
    )
    assert count_like_columns(table, replace(policy, schema=None, schemas=())) == (
        "n",
        "num_buyers",
        "visit_count",
        "CNT",
        "people",
    )


def test_personal_values_copied_into_an_output_are_caught(
    contract: Contract, index: SensitiveValueIndex
) -> None:
    free = replace(OutputCheckPolicy.from_contract(contract), schema=None, schemas=())
    sneaky = csv_bytes(
        {
            "segment": ["gold", "silver", "silver"],
            "note": ["call 138-0013-8000 today", "ok", "Wang Fang"],
            "ref": [440524188001010014, 1, 2],
            "n": [20, 20, 20],
        }
    )
    report = only_file(run({"sneaky.csv": sneaky}, free, index))
    verbatim = [f for f in report.failures if f.check is CheckName.VERBATIM_VALUES]
    assert [(f.column, f.cells) for f in verbatim] == [("note", 2), ("ref", 1)]
    assert "138" not in verbatim[0].reason and "Wang" not in verbatim[0].reason
    assert "(rows 1, 3)" in verbatim[0].reason
    honest = csv_bytes(
        {"segment": ["gold", "silver"], "city": ["Shanghai", "Beijing"], "n": [20, 20]}
    )
    clean = only_file(run({"honest.csv": honest}, free, index))
    assert [f.check for f in clean.failures] == [CheckName.DECLARED_SCHEMA]


def test_common_values_are_not_indexed_only_rare_ones(contract: Contract) -> None:
    # "Shanghai" is held by 3 people: with a minimum group of 3 it singles nobody out.
    index = build_sensitive_index(
        contract, {"customers": CUSTOMERS.append_column("home", CUSTOMERS["city"])},
        key=KEY, min_group_size=3,
    )  # fmt: skip
    assert not index.contains("Shanghai")
    assert index.contains("Beijing")
    assert index.contains("13800138000")
    assert index.contains("ZW@example.cn")
    assert not index.contains("gold")


def test_the_index_depends_on_its_key(contract: Contract) -> None:
    one = build_sensitive_index(contract, {"customers": CUSTOMERS}, key=KEY)
    other = build_sensitive_index(contract, {"customers": CUSTOMERS}, key=bytes(32))
    assert len(one) == len(other) > 0
    assert np.intersect1d(one.digests, other.digests).size == 0
    with pytest.raises(ValueError, match="at least 16 random bytes"):
        build_sensitive_index(contract, {}, key=b"short")


def test_counts_must_be_rounded_to_the_base(
    policy: OutputCheckPolicy, index: SensitiveValueIndex
) -> None:
    unrounded = csv_bytes({**GOOD, "customers": [121, 35]})
    report = only_file(run({"r.csv": unrounded}, policy, index))
    [failure] = [f for f in report.failures if f.check is CheckName.ROUNDING]
    assert failure.reason == (
        "r.csv column customers has 1 count(s) that are not multiples of 5 (row 1): round "
        "counts to the nearest 5."
    )


def test_other_numbers_must_be_rounded_to_the_decimals(
    policy: OutputCheckPolicy, index: SensitiveValueIndex
) -> None:
    precise = csv_bytes({**GOOD, "mean_spend_cny": [101.254, 0.1 + 0.2]})
    report = only_file(run({"d.csv": precise}, policy, index))
    [failure] = [f for f in report.failures if f.check is CheckName.ROUNDING]
    assert failure.column == "mean_spend_cny"
    assert failure.cells == 1
    assert "more than 2 decimal(s) (row 1)" in failure.reason


def test_rounding_failures_can_be_suppressed(
    policy: OutputCheckPolicy, index: SensitiveValueIndex
) -> None:
    suppress = replace(policy, actions={CheckName.ROUNDING: Action.SUPPRESS})
    checked = run({"d.csv": csv_bytes({**GOOD, "mean_spend_cny": [101.254, 3.5]})}, suppress, index)
    assert only_file(checked).outcome is FileOutcome.SUPPRESSED
    assert read_output("d.csv", checked.releasable["d.csv"]).column(
        "mean_spend_cny"
    ).to_pylist() == [
        None,
        3.5,
    ]


def test_caps_and_schema_cannot_be_downgraded_to_suppression(
    policy: OutputCheckPolicy, index: SensitiveValueIndex
) -> None:
    lenient = replace(policy, actions={c: Action.SUPPRESS for c in CheckName}, max_rows=1)
    report = only_file(run({"o.csv": csv_bytes(GOOD)}, lenient, index))
    assert report.outcome is FileOutcome.BLOCKED


def test_parquet_and_json_outputs_are_checked_too(
    policy: OutputCheckPolicy, index: SensitiveValueIndex
) -> None:
    sink = io.BytesIO()
    pq.write_table(pa.table({**GOOD, "customers": [120, 5]}), sink)
    records = [dict(zip(GOOD, row, strict=True)) for row in zip(*GOOD.values(), strict=True)]
    records[0]["customers"] = 3
    files = {"p.parquet": sink.getvalue(), "j.json": json.dumps(records).encode()}
    checked = run(files, policy, index)
    outcomes = {f.name: f.outcome for f in checked.report.files}
    assert outcomes == {"j.json": FileOutcome.BLOCKED, "p.parquet": FileOutcome.BLOCKED}
    ok = run({"j.json": json.dumps(records[1:]).encode()}, policy, index)
    assert only_file(ok).outcome is FileOutcome.PASSED


def test_the_report_serialises_for_the_reviewer_and_says_block_or_suppress(
    policy: OutputCheckPolicy, index: SensitiveValueIndex
) -> None:
    suppress = replace(policy, actions={CheckName.SMALL_GROUPS: Action.SUPPRESS})
    files = {
        "ok.csv": csv_bytes(GOOD),
        "small.csv": csv_bytes({**GOOD, "customers": [120, 5]}),
        "leak.csv": csv_bytes({**GOOD, "email": ["a", "b"]}),
    }
    checked = run(files, suppress, index)
    document = json.loads(checked.report.to_json_bytes())
    outcomes = {f["name"]: f["outcome"] for f in document["files"]}
    assert outcomes == {"leak.csv": "blocked", "ok.csv": "passed", "small.csv": "suppressed"}
    small = next(f for f in document["files"] if f["name"] == "small.csv")
    assert small["failures"][0]["action"] == "suppress"
    assert small["suppressed_cells"][0] == {
        "row": 2,
        "column": "customers",
        "check": "small_groups",
    }
    assert document["blocked"] is False
    assert checked.report.releasable == ("ok.csv", "small.csv")
    assert "leak.csv" not in checked.releasable
    assert checked.report.checks_passed()["ok.csv"][0] == "max_bytes"


def test_the_index_normalises_inputs_as_it_normalises_outputs(contract: Contract) -> None:
    messy = pa.table(
        {
            "mobile": [" +86 138-0013-8000 ", "+8613911112222"],
            "email": ["Zhang.Wei@Example.CN", None],
            "customer_id": pa.array([4405241880, 12], type=pa.int64()),
            "id_number": pa.array(["11010519491231002X", "x"]).dictionary_encode(),
        }
    )
    index = build_sensitive_index(contract, {"customers": messy}, key=KEY)
    assert index.contains("13800138000")
    assert index.contains("+86 139 1111 2222")
    assert index.contains("mail zhang.wei@example.cn now")
    assert index.contains(4405241880)
    assert index.contains(4405241880.0)
    assert index.contains("id: 11010519491231002X")
    assert not index.contains("x")  # one character singles nobody out
    assert not index.contains("13800138001")


def test_nested_columns_that_could_hide_records_in_one_cell_are_blocked(
    policy: OutputCheckPolicy, index: SensitiveValueIndex
) -> None:
    free = replace(policy, schema=None, schemas=())
    records = [{"segment": "gold", "n": 20, "members": ["+8613800138000", "+8613911112222"]}]
    report = only_file(run({"nested.json": json.dumps(records).encode()}, free, index))
    assert report.outcome is FileOutcome.BLOCKED
    [failure] = report.failures
    assert failure.check is CheckName.READABLE
    assert "(row 1 column 3 holds a nested array)" in failure.reason
    sink = io.BytesIO()
    pq.write_table(pa.Table.from_pylist(records), sink)
    report = only_file(run({"nested.parquet": sink.getvalue()}, free, index))
    assert report.outcome is FileOutcome.BLOCKED
    [failure] = report.failures
    assert failure.check is CheckName.READABLE
    assert failure.reason.startswith("nested.parquet column members holds list<element: string>")


def test_personal_values_used_as_column_names_are_blocked(
    policy: OutputCheckPolicy, index: SensitiveValueIndex
) -> None:
    pivoted = csv_bytes({"segment": ["gold"], "13800138000": [20]})
    free = replace(policy, schema=None, schemas=(), actions={c: Action.SUPPRESS for c in CheckName})
    report = only_file(run({"pivot.csv": pivoted}, free, index))
    assert report.outcome is FileOutcome.BLOCKED
    assert [f.check for f in report.failures] == [
        CheckName.DECLARED_SCHEMA,
        CheckName.VERBATIM_HEADERS,
    ]
    assert "13800138000" not in report.failures[0].reason


def test_identifiers_with_leading_zeros_are_caught_in_csv_as_written(
    contract: Contract, policy: OutputCheckPolicy
) -> None:
    ids = pa.table({"customer_id": ["0012345678", "0098765432"], "segment": ["a", "b"]})
    index = build_sensitive_index(contract, {"customers": ids}, key=KEY)
    free = replace(policy, schema=None, schemas=(), forbidden={})
    leaked = b"ref,n\n0012345678,20\n"
    report = only_file(run({"ids.csv": leaked}, free, index))
    verbatim = [f for f in report.failures if f.check is CheckName.VERBATIM_VALUES]
    assert [f.column for f in verbatim] == ["ref"]
