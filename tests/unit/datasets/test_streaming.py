"""Streaming an inspected table as typed Arrow batches, and refusing a changed file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sealroom.datasets import TableLimits, inspect_table, iter_record_batches
from sealroom.datasets.errors import TableChanged, UnreadableFile
from tests.unit.datasets.conftest import WriteText

TYPED_CSV = (
    "customer,mobile,visits,spend,active,joined,zip\n"
    "王芳,13812345678,3,12.5,true,2024-01-31,0571\n"
    "李建国,13987654321,,7,false,2023-12-01,0100\n"
)


def _read_all(path: Path, limits: TableLimits) -> pa.Table:
    profile = inspect_table(path, limits)
    return pa.Table.from_batches(list(iter_record_batches(path, profile)))


def test_a_csv_streams_as_typed_batches_with_the_values_as_written(
    write_text: WriteText, limits: TableLimits
) -> None:
    table = _read_all(write_text("customers.csv", TYPED_CSV), limits)

    assert table.to_pylist() == [
        {
            "customer": "王芳",
            "mobile": "13812345678",
            "visits": 3,
            "spend": 12.5,
            "active": True,
            "joined": dt.date(2024, 1, 31),
            "zip": "0571",
        },
        {
            "customer": "李建国",
            "mobile": "13987654321",
            "visits": None,
            "spend": 7.0,
            "active": False,
            "joined": dt.date(2023, 12, 1),
            "zip": "0100",
        },
    ]


def test_a_gbk_csv_streams_as_correct_unicode(write_text: WriteText, limits: TableLimits) -> None:
    table = _read_all(write_text("customers.csv", TYPED_CSV, encoding="gbk"), limits)

    assert table.column("customer").to_pylist() == ["王芳", "李建国"]


def test_batches_carry_the_profiled_schema(write_text: WriteText, limits: TableLimits) -> None:
    path = write_text("customers.csv", TYPED_CSV)
    profile = inspect_table(path, limits)

    batches = list(iter_record_batches(path, profile))

    assert [(f.name, str(f.type)) for f in batches[0].schema] == profile.schema


def test_a_large_csv_streams_in_several_batches_in_order(
    write_text: WriteText, limits: TableLimits
) -> None:
    text = "id,payload\n" + "".join(f"{n},{'x' * 90}\n" for n in range(25_000))
    path = write_text("large.csv", text)
    profile = inspect_table(path, limits)

    batches = list(iter_record_batches(path, profile))

    assert len(batches) > 1
    ids = [n for batch in batches for n in batch.column("id").to_pylist()]
    assert ids == list(range(25_000))


def test_a_csv_that_grew_after_inspection_is_refused(
    write_text: WriteText, limits: TableLimits
) -> None:
    path = write_text("customers.csv", TYPED_CSV)
    profile = inspect_table(path, limits)
    with path.open("a", encoding="utf-8") as more:
        more.write("张伟,13700000000,1,1,true,2024-01-01,0200\n")

    with pytest.raises(
        TableChanged, match=r"^customers\.csv changed while it was being registered"
    ):
        iter_record_batches(path, profile)


def test_a_same_size_edit_that_breaks_a_column_type_is_refused(
    write_text: WriteText, limits: TableLimits
) -> None:
    path = write_text("customers.csv", TYPED_CSV)
    profile = inspect_table(path, limits)
    path.write_text(TYPED_CSV.replace(",3,", ",x,"), encoding="utf-8")

    with pytest.raises(TableChanged, match="a value no longer fits its column"):
        list(iter_record_batches(path, profile))


def test_a_same_size_edit_of_the_header_is_refused(
    write_text: WriteText, limits: TableLimits
) -> None:
    path = write_text("customers.csv", TYPED_CSV)
    profile = inspect_table(path, limits)
    path.write_text(TYPED_CSV.replace("visits", "visitz"), encoding="utf-8")

    with pytest.raises(TableChanged, match="its header is different"):
        list(iter_record_batches(path, profile))


def test_a_gbk_file_that_no_longer_decodes_is_refused(
    write_text: WriteText, limits: TableLimits
) -> None:
    path = write_text("customers.csv", TYPED_CSV, encoding="gbk")
    profile = inspect_table(path, limits)
    damaged = bytearray(path.read_bytes())
    damaged[-5] = 0xFF  # never a valid GB18030 byte
    path.write_bytes(bytes(damaged))

    with pytest.raises(TableChanged, match="its text no longer decodes"):
        list(iter_record_batches(path, profile))


def test_a_parquet_file_streams_unchanged(tmp_path: Path, limits: TableLimits) -> None:
    original = pa.table({"mobile": ["13812345678", None], "spend": [1.5, 2.0]})
    path = tmp_path / "spend.parquet"
    pq.write_table(original, path)

    assert _read_all(path, limits).equals(original)


def test_a_parquet_file_replaced_after_inspection_is_refused(
    tmp_path: Path, limits: TableLimits
) -> None:
    path = tmp_path / "spend.parquet"
    pq.write_table(pa.table({"spend": [1.5, 2.0]}), path)
    profile = inspect_table(path, limits)
    pq.write_table(pa.table({"spend": [1.5, 2.0, 3.0]}), path)

    with pytest.raises(TableChanged):
        list(iter_record_batches(path, profile))


def test_a_parquet_file_truncated_after_inspection_is_refused(
    tmp_path: Path, limits: TableLimits
) -> None:
    path = tmp_path / "spend.parquet"
    pq.write_table(pa.table({"spend": [1.5, 2.0]}), path)
    profile = inspect_table(path, limits)
    path.write_bytes(path.read_bytes()[:-40])

    with pytest.raises(TableChanged, match="its size is different"):
        iter_record_batches(path, profile)


def test_a_file_deleted_after_inspection_cannot_be_read(
    write_text: WriteText, limits: TableLimits
) -> None:
    path = write_text("customers.csv", TYPED_CSV)
    profile = inspect_table(path, limits)
    path.unlink()

    with pytest.raises(UnreadableFile, match="cannot be read"):
        iter_record_batches(path, profile)
