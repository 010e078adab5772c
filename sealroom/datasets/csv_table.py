"""Reading a CSV upload: its header, a typed profile, then a stream of typed batches.

Arrow parses the body (fast, in blocks, constant memory); Python's csv module reads
the header and, only when a row is ragged, finds that row's line number, which
Arrow's parser does not report.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pyarrow as pa
import pyarrow.csv as pacsv

from sealroom.datasets import csv_types, detectors
from sealroom.datasets.column_names import check_column_names
from sealroom.datasets.errors import (
    EmptyTable,
    MissingHeader,
    RaggedRow,
    TableChanged,
    TooManyRows,
    UnparsableCsv,
    UnreadableFile,
    WrongDelimiter,
)
from sealroom.datasets.profile import ColumnProfile, TableLimits, TextEncoding
from sealroom.datasets.sampling import ColumnSampler

_BLOCK_BYTES = 1 << 20
# Only an empty cell is missing. "NA", "NULL" and "-" are values someone typed
# (NA is also Namibia's country code); analysis code may treat them as missing.
_NULL_VALUES = [""]
_OTHER_DELIMITERS = (("\t", "tabs"), (";", "semicolons"), ("|", "vertical bars"))
# A header made only of numbers and dates is the first data row of a file exported
# without column names.
_LOOKS_NUMERIC = (
    re.compile(r"[-+]?[0-9.,]+"),
    re.compile(r"[0-9]{4}[-/.][0-9]{1,2}[-/.][0-9]{1,2}"),
)


@dataclass(frozen=True)
class CsvHeader:
    names: tuple[str, ...]
    # Physical lines up to and including the header (blank lines before it count),
    # which is what Arrow's skip_rows counts.
    lines: int


@dataclass
class _RaggedRowSeen:
    got: int = 0
    expected: int = 0
    seen: bool = False

    def handler(self, row: pacsv.InvalidRow) -> Literal["error"]:
        if not self.seen:
            self.seen = True
            self.got = row.actual_columns
            self.expected = row.expected_columns
        return "error"


def read_header(path: Path, encoding: TextEncoding) -> CsvHeader:
    """The column names of the first non-blank line, checked to be usable names."""
    # utf-8-sig drops the byte-order mark Excel writes at the start of "CSV UTF-8".
    python_encoding = "utf-8-sig" if encoding is TextEncoding.UTF8 else encoding.value
    try:
        with path.open("rb") as raw, io.TextIOWrapper(raw, python_encoding, newline="") as text:
            reader = csv.reader(text)
            for row in reader:
                if row:
                    names = _checked_names(path.name, row)
                    return CsvHeader(names=names, lines=reader.line_num)
    except csv.Error as err:
        raise UnparsableCsv.in_header(path.name) from err
    except UnicodeDecodeError as err:
        # Only called once the whole file has decoded: it changed since.
        raise TableChanged(path.name, "its text no longer decodes") from err
    except OSError as err:
        raise UnreadableFile.os_error(path.name, err) from err
    raise EmptyTable.no_bytes(path.name)


def _checked_names(file: str, row: list[str]) -> tuple[str, ...]:
    # Stripped because "name " and "name" are the same column to whoever typed them;
    # the header line itself is skipped when the body is read, so nothing else changes.
    names = check_column_names(file, [cell.strip().lstrip("\ufeff") for cell in row])
    if len(names) == 1:
        # One column whose name holds another separator: read with the wrong
        # delimiter, every row would become one long text cell without complaint.
        for delimiter, said in _OTHER_DELIMITERS:
            if delimiter in names[0]:
                raise WrongDelimiter(file, said)
    for position, name in enumerate(names, start=1):
        if _is_a_value(name):
            raise MissingHeader(file, position)
    if all(_looks_numeric(name) for name in names):
        raise MissingHeader(file, 1)
    return names


def _is_a_value(name: str) -> bool:
    return (
        detectors.is_mobile_cn(name)
        or detectors.is_resident_id_cn(name)
        or detectors.is_bank_card(name)
        or detectors.is_email(name)
    )


def _looks_numeric(name: str) -> bool:
    return any(pattern.fullmatch(name) for pattern in _LOOKS_NUMERIC)


def profile_csv(
    path: Path, encoding: TextEncoding, limits: TableLimits
) -> tuple[tuple[ColumnProfile, ...], int]:
    """Columns (name, type, samples) and the row count, reading the body once."""
    header = read_header(path, encoding)
    typers = [csv_types.ColumnTyper() for _ in header.names]
    samplers = [ColumnSampler(limits.sample_size) for _ in header.names]
    rows = 0
    string_types = dict.fromkeys(header.names, csv_types.ARROW_TYPES[csv_types.STRING])
    for batch in _batches(path, encoding, header, string_types):
        rows += batch.num_rows
        if rows > limits.max_rows:
            raise TooManyRows(path.name, limits.max_rows)
        for index, column in enumerate(batch.columns):
            typers[index].observe(column)
            samplers[index].observe(column)
    if rows == 0:
        raise EmptyTable.no_rows(path.name)
    columns = tuple(
        ColumnProfile(name=name, arrow_type=typer.arrow_type, samples=sampler.samples)
        for name, typer, sampler in zip(header.names, typers, samplers, strict=True)
    )
    return columns, rows


def stream_csv(
    path: Path, encoding: TextEncoding, columns: tuple[ColumnProfile, ...], row_count: int
) -> Iterator[pa.RecordBatch]:
    """Typed batches of the body, as profiled; refuses a file that changed since."""
    header = read_header(path, encoding)
    expected_names = tuple(column.name for column in columns)
    if header.names != expected_names:
        raise TableChanged(path.name, "its header is different")
    types = {column.name: csv_types.ARROW_TYPES[column.arrow_type] for column in columns}
    rows = 0
    for batch in _batches(path, encoding, header, types, profiled=True):
        rows += batch.num_rows
        if rows > row_count:
            raise TableChanged(path.name, f"it now has more than the {row_count} rows inspected")
        yield batch
    if rows != row_count:
        raise TableChanged(path.name, f"it now has {rows} rows instead of {row_count}")


def _batches(
    path: Path,
    encoding: TextEncoding,
    header: CsvHeader,
    types: dict[str, pa.DataType],
    *,
    profiled: bool = False,
) -> Iterator[pa.RecordBatch]:
    ragged = _RaggedRowSeen()
    read_options = pacsv.ReadOptions(
        column_names=list(header.names),
        skip_rows=header.lines,
        block_size=_BLOCK_BYTES,
        encoding="utf8" if encoding is TextEncoding.UTF8 else encoding.value,
    )
    # Quoted fields may span lines (addresses pasted from elsewhere do).
    parse_options = pacsv.ParseOptions(newlines_in_values=True, invalid_row_handler=ragged.handler)
    convert_options = pacsv.ConvertOptions(
        column_types=types,
        null_values=_NULL_VALUES,
        strings_can_be_null=True,
        quoted_strings_can_be_null=True,
        true_values=csv_types.TRUE_VALUES,
        false_values=csv_types.FALSE_VALUES,
    )
    rows = 0
    try:
        with pacsv.open_csv(
            path,
            read_options=read_options,
            parse_options=parse_options,
            convert_options=convert_options,
        ) as reader:
            for batch in reader:
                rows += batch.num_rows
                yield batch
    except pa.ArrowInvalid as err:
        if ragged.seen:
            line = locate_ragged_row(path, encoding, header)
            raise RaggedRow(path.name, line, ragged.got, ragged.expected) from err
        if profiled:
            # The profile read this file without complaint, so it has changed since.
            raise TableChanged(path.name, "a value no longer fits its column") from err
        raise UnparsableCsv.after_row(path.name, rows) from err
    except UnicodeDecodeError as err:
        # The whole file decoded when its encoding was detected: it changed since.
        raise TableChanged(path.name, "its text no longer decodes") from err
    except OSError as err:
        raise UnreadableFile.os_error(path.name, err) from err


def locate_ragged_row(path: Path, encoding: TextEncoding, header: CsvHeader) -> int | None:
    """The physical line on which the first row with the wrong field count starts.

    Only called once Arrow has found such a row, so reading the file again with the
    slower csv module costs nothing on the good path.
    """
    python_encoding = "utf-8-sig" if encoding is TextEncoding.UTF8 else encoding.value
    expected = len(header.names)
    with path.open("rb") as raw, io.TextIOWrapper(raw, python_encoding, newline="") as text:
        reader = csv.reader(text)
        previous_line = 0
        header_seen = False
        try:
            for row in reader:
                first_line = previous_line + 1
                previous_line = reader.line_num
                if not row:
                    continue
                if header_seen and len(row) != expected:
                    return first_line
                header_seen = True
        except (csv.Error, UnicodeDecodeError):
            return None
    return None
