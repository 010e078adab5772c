"""The reviewer reads each releasable output as the table it is, one window at a time."""

from __future__ import annotations

import io

import pyarrow as pa
import pyarrow.parquet as pq

from sealroom.service.review_tables import output_table

CSV = "segment,customers,code\n高价值,320,0012\n普通,,0340\n沉睡,290,1000\n".encode()


def test_csv_cells_are_shown_as_the_file_spells_them() -> None:
    table = output_table("spend.csv", CSV, first_row=1, last_row=50)
    assert table.columns == ("segment", "customers", "code")
    assert table.rows == (("高价值", "320", "0012"), ("普通", "", "0340"), ("沉睡", "290", "1000"))
    assert (table.total_rows, table.first_row, table.unreadable) == (3, 1, None)
    assert table.types[1] == "int64"  # what the checks parsed, shown beside the text


def test_a_window_sends_only_its_rows_and_says_where_they_start() -> None:
    table = output_table("spend.csv", CSV, first_row=2, last_row=2)
    assert (table.first_row, table.total_rows, table.rows) == (2, 3, (("普通", "", "0340"),))
    past = output_table("spend.csv", CSV, first_row=9, last_row=20)
    assert (past.rows, past.total_rows) == ((), 3)


def test_parquet_values_come_as_text_and_null_stays_null() -> None:
    sink = io.BytesIO()
    pq.write_table(
        pa.table({"city": ["上海", None], "mean": [0.1 + 0.2, 2.0], "tags": [["a"], []]}), sink
    )
    table = output_table("by_city.parquet", sink.getvalue(), first_row=1, last_row=50)
    assert table.rows == (("上海", "0.30000000000000004", '["a"]'), (None, "2.0", "[]"))


def test_a_file_that_is_no_table_comes_as_its_lines() -> None:
    table = output_table("notes.txt", b"one\ntwo\x1b[2J\nthree\xff\n", first_row=2, last_row=3)
    assert table.unreadable is not None and table.columns == ()
    assert (table.total_rows, table.first_row) == (3, 2)
    assert table.rows == (("two\x1b[2J",), ("three\\xff",))


def test_a_binary_output_shows_as_escaped_bytes_that_json_can_carry() -> None:
    import json

    from sealroom.service.review_tables import output_table

    shown = output_table("psi-result.bin", b"\x00\xff\xfe ok\n", first_row=1, last_row=50)
    assert shown.unreadable is not None
    json.dumps([list(row) for row in shown.rows])  # no lone surrogates
    assert shown.rows[0][0] == "\x00\\xff\\xfe ok"
