"""Outputs held to the contract's per-file schemas and to the real inputs they come from.

Each rule has an output that breaks it and the honest output that passes; the
honest one passes every check, so no rule here is bought with false positives.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pyarrow as pa
import pyarrow.csv as pa_csv
import pytest

from contracts import Contract, contract_hash
from jobs.check_report import Action, CheckName, FileOutcome, FileReport
from jobs.ledger import export_events_for_release
from jobs.output_checks import OutputCheckPolicy, check_outputs
from jobs.output_schemas import output_lineage, schema_for
from jobs.receipt import Receipt
from jobs.sensitive_index import build_sensitive_index
from tests.unit.jobs.conftest import load_example

KEY = bytes(range(32))
SCHEMAS = """  schemas:
    - files: "by_city*.csv"
      partition_of: customers
      columns:
        - {name: city, logicalType: string, source: customers.city}
        - {name: customers, logicalType: integer, aggregate: count}
        - name: total_spend_cny
          logicalType: number
          source: customers.spend_cny
          aggregate: sum
          required: false
        - name: mean_spend_cny
          logicalType: number
          source: customers.spend_cny
          aggregate: mean
          required: false
        - name: max_spend_cny
          logicalType: number
          source: customers.spend_cny
          aggregate: max
          required: false
"""
INPUT_CHECKS = {
    CheckName.DECLARED_SCHEMA,
    CheckName.SOURCE_VALUES,
    CheckName.AGGREGATE_BOUNDS,
    CheckName.COUNTS,
    CheckName.THRESHOLD,
    CheckName.DOMINANCE,
    CheckName.CLASS_DISCLOSURE,
    CheckName.RECOMPUTED,
}
# 30 in Shanghai, 20 in Beijing, 10 in Shenzhen: every group meets the minimum of 10.
CITY_SIZES = {"Shanghai": 30, "Beijing": 20, "Shenzhen": 10}


SINGLE_SCHEMA = """  schema:
    - name: segment
      logicalType: string
      source: customers.segment
    - name: city
      logicalType: string
      source: customers.city
      required: false
    - name: customers
      logicalType: integer
      aggregate: count
    - name: mean_spend_cny
      logicalType: number
      source: customers.spend_cny
      aggregate: mean
"""


def contract_with(*edits: tuple[str, str]) -> Contract:
    """The example with SCHEMAS declared in place of its single schema for every file."""
    return load_example((SINGLE_SCHEMA, SCHEMAS), *edits)


def customers(
    spend: dict[str, list[float]] | None = None, birth: dict[str, dt.date] | None = None
) -> pa.Table:
    """Customers per CITY_SIZES; ``spend`` and ``birth`` override one city's values."""
    rows: dict[str, list[Any]] = {
        "customer_id": [], "name": [], "mobile": [], "id_number": [], "email": [],
        "city": [], "birth_date": [], "segment": [], "spend_cny": [],
    }  # fmt: skip
    number = 0
    for city, size in CITY_SIZES.items():
        city_spend = (spend or {}).get(city) or [100.0 + (i % 7) for i in range(size)]
        for i in range(size):
            number += 1
            rows["customer_id"].append(f"C{number:05d}")
            rows["name"].append(f"Person {number}")
            rows["mobile"].append(f"+86138{number:08d}")
            rows["id_number"].append(f"1101051980{number:08d}")
            rows["email"].append(f"p{number}@example.cn")
            rows["city"].append(city)
            shared = (birth or {}).get(city)
            rows["birth_date"].append(shared or dt.date(1960 + number % 40, 1 + number % 12, 1))
            rows["segment"].append("gold" if number % 2 else "silver")
            rows["spend_cny"].append(city_spend[i])
    return pa.table(rows)


def honest_by_city(table: pa.Table) -> dict[str, list[Any]]:
    """What an honest job writes: every city's count, total, mean and maximum spend."""
    out: dict[str, list[Any]] = {
        "city": [], "customers": [], "total_spend_cny": [], "mean_spend_cny": [],
        "max_spend_cny": [],
    }  # fmt: skip
    cities = table.column("city").to_pylist()
    spend = table.column("spend_cny").to_pylist()
    for city in CITY_SIZES:
        values = [s for c, s in zip(cities, spend, strict=True) if c == city]
        out["city"].append(city)
        out["customers"].append(len(values))
        out["total_spend_cny"].append(round(sum(values), 2))
        out["mean_spend_cny"].append(round(sum(values) / len(values), 2))
        out["max_spend_cny"].append(max(values))
    return out


def csv_bytes(columns: dict[str, list[Any]]) -> bytes:
    sink = io.BytesIO()
    pa_csv.write_csv(pa.table(columns), sink)
    return sink.getvalue()


def check(
    columns: dict[str, list[Any]],
    inputs: pa.Table,
    *,
    name: str = "by_city.csv",
    contract: Contract | None = None,
    actions: dict[CheckName, Action] | None = None,
) -> FileReport:
    contract = contract or contract_with()
    tables = {"customers": inputs}
    policy = OutputCheckPolicy.from_contract(contract, actions=actions)
    index = build_sensitive_index(contract, tables, key=KEY)
    checked = check_outputs({name: csv_bytes(columns)}, policy, index, inputs=tables)
    [report] = checked.report.files
    return report


def failed(report: FileReport, check_name: CheckName) -> list[str]:
    return [f.reason for f in report.failures if f.check is check_name]


def test_an_honest_grouped_output_passes_every_check_including_the_recomputation() -> None:
    table = customers()
    report = check(honest_by_city(table), table)
    assert report.failures == ()
    assert report.outcome is FileOutcome.PASSED
    assert set(report.passed) >= INPUT_CHECKS


# Matching file names to schemas.


def test_a_file_no_schema_matches_is_never_passed() -> None:
    table = customers()
    report = check(honest_by_city(table), table, name="leak.csv")
    assert report.outcome is FileOutcome.BLOCKED
    [reason] = failed(report, CheckName.DECLARED_SCHEMA)
    assert reason.startswith("leak.csv matches none of the output schemas")
    assert "by_city*.csv" in reason
    # Nothing is said to have passed that needed a schema to check against.
    assert not set(report.passed) & (INPUT_CHECKS - {CheckName.DECLARED_SCHEMA})


def test_the_single_schema_matches_every_file_after_the_patterned_ones() -> None:
    both = load_example((SINGLE_SCHEMA, SCHEMAS + SINGLE_SCHEMA))
    schemas = both.output.schemas
    assert schema_for("by_city_2026.csv", schemas) is schemas[0]
    assert schema_for("BY_CITY.csv", schemas) is schemas[1]  # case-sensitive: the catch-all
    assert schemas[1].files == "*"
    assert schema_for("BY_CITY.csv", contract_with().output.schemas) is None


def test_lineage_comes_from_the_matched_schema_sources_not_from_the_job() -> None:
    contract = contract_with()
    lineage = output_lineage(contract, ["by_city.csv"])
    assert lineage.datasets == ("customers",)
    assert lineage.columns == ("customers.city", "customers.spend_cny")
    assert [c.value for c in lineage.classifications] == ["general"]
    anything = output_lineage(load_example(), ["plot.png"])  # matched by the single schema
    assert "customers.city" in anything.columns and "customers.mobile" not in anything.columns


# Grouping values and aggregate bounds.


def test_a_grouping_column_may_hold_only_values_of_its_source() -> None:
    table = customers()
    smuggled = honest_by_city(table)
    smuggled["city"][1] = "13800138000"  # a mobile number where a city belongs
    report = check(smuggled, table)
    assert report.outcome is FileOutcome.BLOCKED
    [reason] = failed(report, CheckName.SOURCE_VALUES)
    assert "by_city.csv column city has 1 value(s) that never occur" in reason
    assert "customers.city (row 2)" in reason
    assert "13800138000" not in reason


@pytest.mark.parametrize(
    ("column", "value", "rule"),
    [
        ("mean_spend_cny", 13800138000.0, "a mean lies between"),
        ("max_spend_cny", 99.0, "a maximum lies between"),
        ("total_spend_cny", 1e9, "a sum lies between"),
    ],
)
def test_an_aggregate_its_source_cannot_produce_fails_with_row_and_rule(
    column: str, value: float, rule: str
) -> None:
    table = customers()
    impossible = honest_by_city(table)
    impossible[column][2] = value
    report = check(impossible, table)
    assert report.outcome is FileOutcome.BLOCKED
    [reason] = failed(report, CheckName.AGGREGATE_BOUNDS)
    assert f"by_city.csv column {column}" in reason and "(row 3)" in reason and rule in reason


# Counts that count.


def test_a_count_holding_five_times_a_mobile_number_fails() -> None:
    table = customers()
    disguised = honest_by_city(table)
    disguised["customers"] = [5 * 13800138000, 5 * 13911112222, 5 * 13700001111]
    report = check(disguised, table)
    assert report.outcome is FileOutcome.BLOCKED
    reasons = failed(report, CheckName.COUNTS)
    assert any("3 value(s) larger than the number of rows of customers" in r for r in reasons)
    assert not any("13800138000" in r for r in reasons)


@pytest.mark.parametrize("bad", [-5, 2.5])
def test_a_count_must_be_a_whole_non_negative_number(bad: float) -> None:
    table = customers()
    disguised = honest_by_city(table)
    disguised["customers"] = [30, bad, 10]
    report = check(disguised, table)
    reasons = failed(report, CheckName.COUNTS)
    assert any("not whole non-negative numbers (row 2)" in r for r in reasons), reasons


def test_counts_of_a_partition_may_not_add_up_to_more_than_its_dataset() -> None:
    table = customers()
    inflated = honest_by_city(table)
    inflated["customers"] = [60, 60, 60]  # each at most 60 rows, together three times that
    reasons = failed(check(inflated, table), CheckName.COUNTS)
    assert any("add up to more than the rows of customers" in r for r in reasons), reasons


# The rules trusted research environments apply, on recomputed groups.


def test_a_group_too_small_in_the_real_inputs_fails_whatever_the_file_says() -> None:
    table = customers().slice(0, 53)  # Shenzhen keeps 3 of its 10 customers
    lying = honest_by_city(customers())  # claims 10 in Shenzhen
    report = check(lying, table)
    [reason] = failed(report, CheckName.THRESHOLD)
    assert "1 row(s) whose group has fewer than 10 members in the real inputs (row 3)" in reason
    assert report.outcome is FileOutcome.BLOCKED


def test_a_threshold_failure_can_suppress_the_row_instead() -> None:
    table = customers().slice(0, 53)
    lying = honest_by_city(customers())
    lying["customers"] = [30, 20, 0]
    report = check(lying, table, actions={CheckName.THRESHOLD: Action.SUPPRESS})
    emptied = {(c.row, c.column) for c in report.suppressed if c.check is CheckName.THRESHOLD}
    assert (3, "customers") in emptied and (3, "total_spend_cny") in emptied


def test_one_dominant_contributor_fails_the_nk_rule() -> None:
    whale = [1_000_000.0] + [1.0] * 19
    table = customers(spend={"Beijing": whale})
    report = check(honest_by_city(table), table)
    reasons = failed(report, CheckName.DOMINANCE)
    assert any("(nk-rule)" in r and "total_spend_cny" in r and "(row 2)" in r for r in reasons)
    assert report.outcome is FileOutcome.BLOCKED


def test_the_p_percent_rule_catches_what_the_rest_of_a_group_cannot_hide() -> None:
    # Largest 1000, second 900, the rest 50: within the nk-rule for n=1 (51% < 90%),
    # but the second largest learns the largest to within 5%.
    close = [1000.0, 900.0] + [50.0 / 18] * 18
    table = customers(spend={"Beijing": close})
    loose_nk = contract_with(
        ("  min_group_size: 10\n", "  min_group_size: 10\n  dominance: {n: 1}\n")
    )
    report = check(honest_by_city(table), table, contract=loose_nk)
    reasons = failed(report, CheckName.DOMINANCE)
    assert reasons and all("(p% rule)" in r for r in reasons), reasons


def test_a_group_whose_members_share_one_personal_value_fails_class_disclosure() -> None:
    table = customers(birth={"Shenzhen": dt.date(1980, 1, 1)})
    report = check(honest_by_city(table), table)
    [reason] = failed(report, CheckName.CLASS_DISCLOSURE)
    assert "1 group(s) (row 3) whose members all share one value" in reason
    assert "customers.birth_date" in reason and "1980" not in reason


def test_a_value_unlike_its_recomputation_is_flagged_beside_it_not_blocked() -> None:
    table = customers()
    filtered = honest_by_city(table)
    filtered["total_spend_cny"][0] -= 250.0  # a job may drop some rows before summing
    report = check(filtered, table)
    assert report.outcome is FileOutcome.PASSED
    [flag] = [f for f in report.failures if f.check is CheckName.RECOMPUTED]
    assert flag.action is Action.FLAG
    [value] = flag.flagged
    truth = sum(table.column("spend_cny").to_pylist()[:30])
    assert (value.row, value.column) == (1, "total_spend_cny")
    assert (value.released, value.recomputed) == (truth - 250.0, truth)
    shown = report.to_json()["failures"][0]
    assert shown["flagged"] == [
        {"row": 1, "column": "total_spend_cny", "released": truth - 250.0, "recomputed": truth}
    ]
    assert f"row 1: released {truth - 250.0:g}, recomputed {truth:g}" in flag.reason


def test_rounding_the_contract_declares_is_not_flagged() -> None:
    table = customers()
    rounded = honest_by_city(table)
    rounded["customers"] = [30, 20, 10]
    rounded["mean_spend_cny"] = [round(m, 2) for m in rounded["mean_spend_cny"]]
    report = check(rounded, table)
    assert not failed(report, CheckName.RECOMPUTED)


def test_counts_rounded_down_to_the_declared_base_are_not_flagged() -> None:
    table = customers(spend={"Beijing": [100.0] * 20})
    floored = honest_by_city(table.slice(0, 57))  # 30, 20 and 7 in Shenzhen
    floored["customers"] = [30, 20, 5]  # 7 // 5 * 5
    report = check(floored, table.slice(0, 57))
    assert not failed(report, CheckName.RECOMPUTED)
    floored["customers"] = [30, 20, 15]  # 8 away: more than any rounding to 5 explains
    [flagged] = failed(check(floored, table.slice(0, 57)), CheckName.RECOMPUTED)
    assert "row 3: released 15, recomputed 7" in flagged


def test_the_export_ledger_charges_what_the_matched_schemas_name_as_sources() -> None:
    contract = contract_with()
    receipt = Receipt(
        job_id="j-7", submitter="alice", contract_id="c-12", contract_version=1,
        contract_hash=contract_hash(contract), code_hash="sha256:" + "0" * 64,
        image_digest="sha256:" + "1" * 64, inputs=(), outputs=(), approvals=(),
        checks_passed={}, recipients=("globex-uk",),
        released_at=dt.datetime(2026, 5, 1, tzinfo=dt.UTC),
    )  # fmt: skip
    declared = output_lineage(contract, ["by_city.csv"])
    [row] = export_events_for_release(contract, receipt, individuals=60, lineage=declared)
    assert row.data_categories == ("general",)
    # A file no schema declares is charged with every column of the contract.
    anything = output_lineage(contract, ["by_city.csv", "other.csv"])
    [row] = export_events_for_release(contract, receipt, individuals=60, lineage=anything)
    assert "sensitive_personal" in row.data_categories
    assert anything.datasets == ("customers",)
