"""Strict parsing: every way a file can hold more than one table is refused, never a crash."""

from __future__ import annotations

import io

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from contracts import Contract
from jobs.check_report import CheckName, FileOutcome
from jobs.errors import OutputUnreadable
from jobs.output_checks import OutputCheckPolicy, check_outputs
from jobs.output_table import parse_output_table
from jobs.sensitive_index import build_sensitive_index

KEY = bytes(range(32))


def refusal(name: str, data: bytes) -> str:
    with pytest.raises(OutputUnreadable) as raised:
        parse_output_table(name, data)
    return raised.value.reason


def test_honest_records_parse_into_typed_columns() -> None:
    data = b'[{"segment": "gold", "n": 20, "mean": 1.5, "vip": true, "note": null},\n' + (
        b' {"segment": "silver", "n": 35, "mean": 2, "vip": false, "note": null}]'
    )
    table = parse_output_table("a.json", data)
    assert table.schema == pa.schema(
        {"segment": pa.string(), "n": pa.int64(), "mean": pa.float64(), "vip": pa.bool_(),
         "note": pa.null()}
    )  # fmt: skip
    assert table.column("mean").to_pylist() == [1.5, 2.0]


def test_json_lines_and_other_key_orders_are_the_same_table() -> None:
    lines = b'{"a": 1, "b": "x"}\n{"b": "y", "a": 2}\n\n'
    array = b'[{"a": 1, "b": "x"}, {"a": 2, "b": "y"}]'
    assert parse_output_table("l.json", lines) == parse_output_table("r.json", array)


def test_a_duplicate_json_key_is_refused() -> None:
    data = b'[{"a": 1, "b": "x"}, {"a": 2, "b": "y", "b": "13800138000"}]'
    assert refusal("d.json", data) == "row 2 repeats a key"


def test_a_key_only_one_row_has_is_refused_without_naming_it() -> None:
    data = b'[{"a": 1}, {"a": 2}, {"a": 3, "13800138000": "x"}]'
    reason = refusal("e.json", data)
    assert reason == "row 3 has a key that row 1 lacks"
    assert "13800138000" not in reason


def test_a_row_lacking_a_key_is_refused() -> None:
    assert refusal("m.json", b'[{"a": 1, "b": 2}, {"a": 3}]') == "row 2 lacks the key of column 2"


def test_mixed_types_in_a_json_column_are_refused() -> None:
    data = b'[{"a": 1}, {"a": null}, {"a": "13800138000"}]'
    assert refusal("x.json", data) == "column 1 holds numbers in row 1 and strings in row 3"
    assert "booleans" in refusal("y.json", b'[{"a": true}, {"a": 1}]')


def test_integers_and_fractions_in_one_column_are_numbers() -> None:
    table = parse_output_table("n.json", b'[{"a": 1}, {"a": 2.5}]')
    assert table.column("a").type == pa.float64()


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b'[{"a": 1}, [1, 2]]', "row 2 is not an object"),
        (b"[1, 2]", "row 1 is not an object"),
        (b'[{"a": NaN}]', "NaN is not a JSON number"),
        (b'[{"a": -Infinity}]', "-Infinity is not a JSON number"),
        (b'[{"a": 99999999999999999999}]', "row 1 column 1 holds an integer beyond 64 bits"),
        (b'[{"a": {"b": 1}}]', "row 1 column 1 holds a nested object"),
        (b'{"rows": [{"a": 1}]}', "row 1 column 1 holds a nested array"),
        ('[{"a": "caf\u00e9"}]'.encode("latin-1"), "the file is not UTF-8"),
    ],
)
def test_json_that_is_not_flat_records_is_refused(data: bytes, reason: str) -> None:
    assert refusal("j.json", data) == reason


def test_a_repeated_csv_column_is_refused_not_a_crash() -> None:
    assert refusal("c.csv", b"a,b,a\n1,2,13800138000\n") == "column 3 repeats the name of column 1"


def test_a_repeated_parquet_column_is_refused() -> None:
    table = pa.Table.from_arrays([pa.array([1]), pa.array([2])], names=["n", "n"])
    sink = io.BytesIO()
    pq.write_table(table, sink)
    assert refusal("p.parquet", sink.getvalue()) == "column 2 repeats the name of column 1"


def test_other_formats_are_refused() -> None:
    assert refusal("a.txt", b"13800138000") == ".txt is not a table format"
    assert refusal("README", b"x") == "no suffix is not a table format"


def test_each_refusal_is_a_readable_failure_of_the_file(contract: Contract) -> None:
    policy = OutputCheckPolicy.from_contract(contract)
    index = build_sensitive_index(contract, {}, key=KEY)
    files = {
        "dup.csv": b"a,a\n1,2\n",
        "key.json": b'[{"a": 1}, {"a": 2, "a": 3}]',
        "extra.json": b'[{"a": 1}, {"a": 2, "b": 3}]',
        "mixed.json": b'[{"a": 1}, {"a": "x"}]',
        "ok.csv": b"segment,customers,mean_spend_cny\ngold,20,100.5\n",
    }
    checked = check_outputs(files, policy, index)
    outcomes = {f.name: f.outcome for f in checked.report.files}
    assert outcomes == {
        "dup.csv": FileOutcome.BLOCKED,
        "extra.json": FileOutcome.BLOCKED,
        "key.json": FileOutcome.BLOCKED,
        "mixed.json": FileOutcome.BLOCKED,
        "ok.csv": FileOutcome.PASSED,
    }
    for report in checked.report.files:
        if report.name != "ok.csv":
            [failure] = report.failures
            assert failure.check is CheckName.READABLE
            assert failure.reason.startswith(f"{report.name} cannot be read as one table (")
    assert set(checked.releasable) == {"ok.csv"}


def test_an_empty_csv_cell_is_null_and_na_is_a_label() -> None:
    table = parse_output_table("r.csv", b"region,n,mean\nNA,20,1.5\n,35,\n")
    assert table.to_pydict() == {"region": ["NA", None], "n": [20, 35], "mean": [1.5, None]}
