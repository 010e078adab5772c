"""Inspecting Parquet uploads: schema and row count from the footer, samples, bad files."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sealroom.data import customers_parquet
from sealroom.datasets import TableFormat, TableLimits, inspect_table
from sealroom.datasets.errors import BadColumnNames, EmptyTable, TooManyRows, UnreadableFile


def test_the_bundled_customers_file_is_profiled_from_its_footer(limits: TableLimits) -> None:
    profile = inspect_table(customers_parquet(), limits)

    assert profile.format is TableFormat.PARQUET
    assert profile.encoding is None
    assert profile.row_count == 2000
    assert profile.size_bytes == customers_parquet().stat().st_size
    assert profile.schema == [
        ("customer_id", "string"),
        ("name", "string"),
        ("mobile", "string"),
        ("id_number", "string"),
        ("email", "string"),
        ("city", "string"),
        ("address", "string"),
        ("birth_date", "date32[day]"),
        ("segment", "string"),
        ("spend_cny", "double"),
    ]
    assert all(len(column.samples) == limits.sample_size for column in profile.columns)


def test_samples_are_text_whatever_the_column_type(tmp_path: Path, limits: TableLimits) -> None:
    path = tmp_path / "typed.parquet"
    table = pa.table(
        {
            "mobile": pa.array([None, 13812345678], pa.int64()),
            "born": pa.array([None, 7000], pa.date32()),
            "raw": pa.array([b"\xe7\x8e\x8b\xe8\x8a\xb3", None], pa.binary()),
        }
    )
    pq.write_table(table, path)

    profile = inspect_table(path, limits)

    assert [column.samples for column in profile.columns] == [
        ("13812345678",),
        ("1989-03-02",),
        ("王芳",),
    ]


def test_a_parquet_file_under_a_csv_name_is_read_as_parquet(
    tmp_path: Path, limits: TableLimits
) -> None:
    path = tmp_path / "export.csv"
    pq.write_table(pa.table({"a": [1]}), path)

    assert inspect_table(path, limits).format is TableFormat.PARQUET


def test_a_truncated_parquet_file_is_refused(tmp_path: Path, limits: TableLimits) -> None:
    path = tmp_path / "cut.parquet"
    path.write_bytes(customers_parquet().read_bytes()[:50_000])

    with pytest.raises(UnreadableFile) as caught:
        inspect_table(path, limits)

    assert str(caught.value) == (
        "cut.parquet is not a readable Parquet file (truncated or corrupt): "
        "export it again or check that the upload finished"
    )


def test_the_row_limit_is_enforced_from_the_footer(tmp_path: Path) -> None:
    path = tmp_path / "many.parquet"
    pq.write_table(pa.table({"n": list(range(11))}), path)

    with pytest.raises(TooManyRows, match="has more than 10 rows"):
        inspect_table(path, TableLimits(max_bytes=1_000_000, max_rows=10))


def test_a_parquet_file_without_rows_is_refused(tmp_path: Path, limits: TableLimits) -> None:
    path = tmp_path / "none.parquet"
    pq.write_table(pa.table({"n": pa.array([], pa.int64())}), path)

    with pytest.raises(EmptyTable, match="has column names but no rows"):
        inspect_table(path, limits)


def test_duplicate_parquet_column_names_are_refused(tmp_path: Path, limits: TableLimits) -> None:
    path = tmp_path / "dup.parquet"
    pq.write_table(pa.Table.from_arrays([pa.array([1]), pa.array([2])], ["n", "n"]), path)

    with pytest.raises(BadColumnNames, match="two columns named 'n' \\(columns 1 and 2\\)"):
        inspect_table(path, limits)
