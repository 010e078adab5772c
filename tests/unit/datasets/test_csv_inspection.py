"""Inspecting CSV uploads: encodings, headers, ragged rows, limits and column types."""

from __future__ import annotations

from pathlib import Path

import pytest

from sealroom.datasets import (
    TableFormat,
    TableLimits,
    TextEncoding,
    inspect_table,
    text_encoding_named,
)
from sealroom.datasets.errors import (
    BadColumnNames,
    EmptyTable,
    FileTooLarge,
    MissingHeader,
    RaggedRow,
    TooManyRows,
    UnknownEncoding,
    UnreadableFile,
    UnsupportedFormat,
    WrongDelimiter,
)
from sealroom.errors import DatasetMalformed, DatasetTooLarge
from tests.unit.datasets.conftest import WriteText

CUSTOMERS_GBK = "姓名,手机,城市\n王芳,13812345678,上海市\n李建国,13987654321,北京市\n"


def test_a_gbk_csv_is_detected_and_read_as_chinese_text(
    write_text: WriteText, limits: TableLimits
) -> None:
    path = write_text("customers.csv", CUSTOMERS_GBK, encoding="gbk")
    with pytest.raises(UnicodeDecodeError):
        path.read_text(encoding="utf-8")

    profile = inspect_table(path, limits)

    assert profile.format is TableFormat.CSV
    assert profile.encoding is TextEncoding.GB18030
    assert profile.column_names == ["姓名", "手机", "城市"]
    assert profile.columns[0].samples == ("王芳", "李建国")
    assert profile.row_count == 2


def test_a_utf8_csv_with_excels_byte_order_mark_has_clean_column_names(
    write_text: WriteText, limits: TableLimits
) -> None:
    path = write_text("customers.csv", CUSTOMERS_GBK, encoding="utf-8-sig")

    profile = inspect_table(path, limits)

    assert profile.encoding is TextEncoding.UTF8
    assert profile.column_names == ["姓名", "手机", "城市"]


def test_a_file_in_neither_utf8_nor_gbk_is_refused_with_what_to_do(
    write_text: WriteText, limits: TableLimits
) -> None:
    path = write_text("kunden.csv", "Name,Stadt\nRené,Zürich\n", encoding="latin-1")

    with pytest.raises(UnknownEncoding) as caught:
        inspect_table(path, limits)

    assert str(caught.value) == (
        "kunden.csv is neither UTF-8 nor GBK/GB18030: re-save it as UTF-8, "
        "or name its encoding (--encoding utf-8|gbk|gb18030)"
    )
    assert isinstance(caught.value, DatasetMalformed)


def test_bytes_that_decode_as_gb18030_but_not_into_chinese_are_not_taken_for_gbk(
    write_text: WriteText, limits: TableLimits
) -> None:
    # Valid GB18030, but Greek and Cyrillic: a sign the guess is wrong, not a Chinese file.
    text = "Ελληνικά,Кириллица\nαβγ,где\n"  # noqa: RUF001 (Greek on purpose)
    path = write_text("mixed.csv", text, encoding="gb18030")
    with pytest.raises(UnicodeDecodeError):
        path.read_text(encoding="utf-8")

    with pytest.raises(UnknownEncoding, match="neither UTF-8 nor GBK"):
        inspect_table(path, limits)


def test_a_named_gbk_encoding_reads_a_file_detection_would_doubt(
    write_text: WriteText, limits: TableLimits
) -> None:
    # GBK also encodes Greek and Cyrillic; only its owner can say this file is GBK.
    text = "名称,αβγ\n王芳,δεζ\n"
    path = write_text("mixed.csv", text, encoding="gbk")
    with pytest.raises(UnknownEncoding, match="neither UTF-8 nor GBK"):
        inspect_table(path, limits)

    profile = inspect_table(path, limits, text_encoding_named("GBK"))

    assert profile.encoding is TextEncoding.GB18030
    assert profile.column_names == ["名称", "αβγ"]


def test_a_named_encoding_the_file_is_not_in_is_refused_with_what_to_do(
    write_text: WriteText, limits: TableLimits
) -> None:
    path = write_text("customers.csv", CUSTOMERS_GBK, encoding="gbk")

    with pytest.raises(UnknownEncoding, match=r"customers\.csv does not decode as utf-8: check"):
        inspect_table(path, limits, text_encoding_named("utf8"))


def test_an_encoding_sealroom_does_not_read_is_refused_by_name() -> None:
    with pytest.raises(UnknownEncoding, match="'big5' is not supported: use utf-8, gbk or gb18030"):
        text_encoding_named("big5")


def test_a_utf16_export_is_recognised_by_its_nul_bytes(
    write_text: WriteText, limits: TableLimits
) -> None:
    path = write_text("customers.csv", "name,city\nWang,Shanghai\n", encoding="utf-16")

    with pytest.raises(UnknownEncoding, match=r"contains NUL bytes.*re-save it as CSV UTF-8"):
        inspect_table(path, limits)


def test_a_ragged_row_is_reported_with_its_line_number(
    write_text: WriteText, limits: TableLimits
) -> None:
    header = "id,name,mobile,email,city,segment,spend\n"
    good = [f"{n},王芳,1381234{n:04d},w{n}@example.com,上海市,普通,12.5\n" for n in range(15)]
    ragged = "16,李四,13900000000,l@example.com,上海市\n"
    path = write_text("customers.csv", header + "".join(good) + ragged + good[0])

    with pytest.raises(RaggedRow) as caught:
        inspect_table(path, limits)

    assert str(caught.value) == (
        "customers.csv line 17 has 5 fields where the header has 7: fix the row or quote the field"
    )


def test_line_numbers_count_physical_lines_through_quoted_line_breaks(
    write_text: WriteText, limits: TableLimits
) -> None:
    text = 'name,address\n王芳,"上海市\n浦东新区"\n李四,北京市,多余\n'

    with pytest.raises(RaggedRow, match="line 4 has 3 fields where the header has 2"):
        inspect_table(write_text("people.csv", text), limits)


def test_a_row_with_a_single_field_is_reported_in_the_singular(
    write_text: WriteText, limits: TableLimits
) -> None:
    with pytest.raises(RaggedRow, match="line 3 has 1 field where the header has 2"):
        inspect_table(write_text("short.csv", "a,b\n1,2\n3\n"), limits)


@pytest.mark.parametrize(("separator", "said"), [(";", "semicolons"), ("\t", "tabs")])
def test_a_csv_with_another_delimiter_is_refused_rather_than_read_as_one_column(
    write_text: WriteText, limits: TableLimits, separator: str, said: str
) -> None:
    text = f"name{separator}mobile\n王芳{separator}13812345678\n"

    with pytest.raises(WrongDelimiter) as caught:
        inspect_table(write_text("eu.csv", text), limits)

    assert str(caught.value) == (
        f"eu.csv separates its columns with {said}, not commas: "
        "export it again as comma-separated CSV"
    )


def test_a_quoted_field_may_span_lines(write_text: WriteText, limits: TableLimits) -> None:
    text = 'name,address\n王芳,"上海市\n浦东新区"\n'

    profile = inspect_table(write_text("people.csv", text), limits)

    assert profile.columns[1].samples == ("上海市\n浦东新区",)


def test_an_empty_file_is_refused(write_text: WriteText, limits: TableLimits) -> None:
    with pytest.raises(EmptyTable, match=r"^empty\.csv is empty: export the data again"):
        inspect_table(write_text("empty.csv", ""), limits)


def test_a_file_of_blank_lines_is_refused_as_empty(
    write_text: WriteText, limits: TableLimits
) -> None:
    with pytest.raises(EmptyTable, match="is empty"):
        inspect_table(write_text("blank.csv", "\n\n\n"), limits)


def test_a_header_without_rows_is_refused(write_text: WriteText, limits: TableLimits) -> None:
    with pytest.raises(EmptyTable, match="has column names but no rows"):
        inspect_table(write_text("header.csv", "name,mobile\n"), limits)


def test_a_file_without_a_header_row_is_refused_without_quoting_the_value(
    write_text: WriteText, limits: TableLimits
) -> None:
    path = write_text("noheader.csv", "王芳,13812345678\n李四,13900000000\n")

    with pytest.raises(MissingHeader) as caught:
        inspect_table(path, limits)

    assert str(caught.value) == (
        "noheader.csv line 1 looks like data, not a header (column 2 holds a value, not a name): "
        "add a header row naming each column"
    )
    assert "13812345678" not in str(caught.value)


def test_a_header_of_only_numbers_is_taken_for_a_data_row(
    write_text: WriteText, limits: TableLimits
) -> None:
    with pytest.raises(MissingHeader, match="line 1 looks like data"):
        inspect_table(write_text("numbers.csv", "1,2.5,2024-01-01\n3,4.5,2024-01-02\n"), limits)


def test_year_columns_next_to_named_ones_are_a_valid_header(
    write_text: WriteText, limits: TableLimits
) -> None:
    profile = inspect_table(write_text("wide.csv", "region,2023,2024\n华东,1,2\n"), limits)

    assert profile.column_names == ["region", "2023", "2024"]


def test_duplicate_column_names_are_refused_naming_both_positions(
    write_text: WriteText, limits: TableLimits
) -> None:
    with pytest.raises(BadColumnNames) as caught:
        inspect_table(write_text("dup.csv", "name,mobile,name \nA,1,B\n"), limits)

    assert str(caught.value) == (
        "dup.csv has two columns named 'name' (columns 1 and 3): rename one of them"
    )


def test_an_empty_column_name_is_refused(write_text: WriteText, limits: TableLimits) -> None:
    with pytest.raises(BadColumnNames, match="column 2 has no name"):
        inspect_table(write_text("gap.csv", "name, ,city\nA,1,B\n"), limits)


def test_a_column_name_with_a_line_break_is_refused(
    write_text: WriteText, limits: TableLimits
) -> None:
    with pytest.raises(BadColumnNames, match="column 1 has a line break in its name"):
        inspect_table(write_text("broken.csv", '"customer\nname",city\nA,B\n'), limits)


def test_an_oversized_file_is_refused_before_a_byte_is_read(
    write_text: WriteText, tmp_path: Path
) -> None:
    # Not even decodable: were it read, the error would be about its encoding.
    path = tmp_path / "big.csv"
    path.write_bytes(b"\xff\xfe\x00" * 500)

    with pytest.raises(FileTooLarge) as caught:
        inspect_table(path, TableLimits(max_bytes=1000, max_rows=10))

    assert str(caught.value) == (
        "big.csv is 1500 bytes, over the limit of 1000 bytes: "
        "split it or ask the operator to raise the dataset size limit"
    )
    assert isinstance(caught.value, DatasetTooLarge)


def test_too_many_rows_are_refused_while_streaming(write_text: WriteText) -> None:
    text = "n\n" + "".join(f"{n}\n" for n in range(11))

    with pytest.raises(TooManyRows) as caught:
        inspect_table(write_text("rows.csv", text), TableLimits(max_bytes=10_000, max_rows=10))

    assert str(caught.value) == (
        "rows.csv has more than 10 rows, the configured row limit: "
        "split it or ask the operator to raise the dataset row limit"
    )


def test_exactly_the_row_limit_is_accepted(write_text: WriteText) -> None:
    text = "n\n" + "".join(f"{n}\n" for n in range(10))

    profile = inspect_table(write_text("rows.csv", text), TableLimits(10_000, max_rows=10))

    assert profile.row_count == 10


def test_the_row_limit_stops_reading_in_the_first_block_of_a_large_file(
    write_text: WriteText,
) -> None:
    # ~3 MB, three of Arrow's 1 MiB blocks, with a ragged last row: refused for its
    # rows, so reading stopped before the end (else the ragged row would be the error).
    text = "id,payload\n" + "".join(f"{n},{'x' * 90}\n" for n in range(30_000)) + "1,2,3\n"
    path = write_text("large.csv", text)

    with pytest.raises(TooManyRows):
        inspect_table(path, TableLimits(max_bytes=10_000_000, max_rows=5_000))


def test_columns_are_typed_only_when_every_value_converts_without_loss(
    write_text: WriteText, limits: TableLimits
) -> None:
    text = (
        "count,price,flag,day,zip,mobile,id_number,maybe_day,code,mixed\n"
        "1,1.5,true,2024-01-31,0571,13812345678,110105198001011238,2024-02-30,NA,1\n"
        "-2,3,FALSE,2024-02-29,0100,13987654321,110105198001011238,2024-03-01,,x\n"
        ",,,,,,,,,\n"
    )

    profile = inspect_table(write_text("types.csv", text), limits)

    assert profile.schema == [
        ("count", "int64"),
        ("price", "double"),
        ("flag", "bool"),
        ("day", "date32[day]"),
        ("zip", "string"),  # leading zeros are kept
        ("mobile", "string"),  # 11 digits are an identifier, not a quantity
        ("id_number", "string"),
        ("maybe_day", "string"),  # 30 February is not a date
        ("code", "string"),  # "NA" is a value, only empty cells are missing
        ("mixed", "string"),
    ]
    assert profile.row_count == 3


def test_samples_skip_empty_cells_and_stop_at_the_sample_size(write_text: WriteText) -> None:
    text = "n,mobile\n" + "".join(f"{n},\n{n},13812345678\n" for n in range(20))

    profile = inspect_table(write_text("m.csv", text), TableLimits(10_000, 100, sample_size=5))

    assert profile.columns[1].samples == ("13812345678",) * 5
    assert profile.row_count == 40


@pytest.mark.parametrize(
    ("name", "content", "what"),
    [
        ("book.xlsx", b"PK\x03\x04rest-of-zip", "a ZIP archive (an Excel .xlsx workbook?)"),
        ("book.csv", b"PK\x03\x04rest-of-zip", "a ZIP archive (an Excel .xlsx workbook?)"),
        ("rows.json", b'[{"a": 1}]', "a .json file"),
    ],
)
def test_other_formats_are_refused_saying_what_they_are(
    tmp_path: Path, limits: TableLimits, name: str, content: bytes, what: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)

    with pytest.raises(UnsupportedFormat) as caught:
        inspect_table(path, limits)

    assert str(caught.value) == (
        f"{name} is {what}, not Parquet or CSV: "
        "export it as Parquet or as CSV (UTF-8) and register that"
    )


def test_a_csv_renamed_to_parquet_is_refused_as_not_parquet(
    write_text: WriteText, limits: TableLimits
) -> None:
    with pytest.raises(UnreadableFile, match=r"data\.parquet is not a readable Parquet file"):
        inspect_table(write_text("data.parquet", "a,b\n1,2\n"), limits)


def test_a_missing_file_says_it_cannot_be_read(tmp_path: Path, limits: TableLimits) -> None:
    with pytest.raises(UnreadableFile, match=r"^gone\.csv cannot be read \(No such file"):
        inspect_table(tmp_path / "gone.csv", limits)
