"""The two calls registration makes on an uploaded file: inspect it, then stream it.

``inspect_table`` refuses a file over the byte limit before opening it, then learns
format, encoding, schema, row count and samples. ``iter_record_batches`` streams
the same table as Arrow batches, typed as inspected, so the caller can write
canonical Parquet into an encrypting writer without holding the file in memory.
Every failure is a ``DatasetError`` with a one-line message (see ``errors``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa

from sealroom.datasets.csv_table import profile_csv, stream_csv
from sealroom.datasets.errors import EmptyTable, FileTooLarge, TableChanged, UnreadableFile
from sealroom.datasets.parquet_table import profile_parquet, stream_parquet
from sealroom.datasets.profile import TableFormat, TableLimits, TableProfile, TextEncoding
from sealroom.datasets.sniff import check_encoding, detect_encoding, detect_format


def inspect_table(
    path: Path, limits: TableLimits, encoding: TextEncoding | None = None
) -> TableProfile:
    """Format, encoding, schema, row count and per-column samples of one file.

    Raises ``FileTooLarge`` before reading a byte, ``TooManyRows`` as soon as the
    count passes the limit, and a ``DatasetMalformed`` subclass for anything that
    cannot become a table. ``encoding`` is the CSV's encoding as its owner names it
    (checked, not trusted); without it UTF-8 and then GB18030 are detected.
    """
    size = _size_of(path)
    if size > limits.max_bytes:
        raise FileTooLarge(path.name, size, limits.max_bytes)
    if size == 0:
        raise EmptyTable.no_bytes(path.name)
    table_format = detect_format(path)
    if table_format is TableFormat.PARQUET:
        # Parquet carries its own UTF-8 strings; a named encoding has nothing to say.
        encoding = None
        columns, rows = profile_parquet(path, limits)
    else:
        encoding = detect_encoding(path) if encoding is None else check_encoding(path, encoding)
        columns, rows = profile_csv(path, encoding, limits)
    return TableProfile(
        file_name=path.name,
        format=table_format,
        encoding=encoding,
        size_bytes=size,
        row_count=rows,
        columns=columns,
    )


def iter_record_batches(path: Path, profile: TableProfile) -> Iterator[pa.RecordBatch]:
    """The table's rows as Arrow batches with the profiled schema.

    Refuses, with ``TableChanged``, a file that is no longer the one inspected
    (size, header, schema or row count differ): the classification the owner
    confirmed must describe the data that gets stored.
    """
    # Checked now rather than on the first next(), so a caller learns before it
    # creates a key or a blob for this dataset.
    if _size_of(path) != profile.size_bytes:
        raise TableChanged(path.name, "its size is different")
    if profile.format is TableFormat.PARQUET:
        return stream_parquet(path, profile.columns, profile.row_count)
    if profile.encoding is None:
        raise ValueError("a CSV profile always names its encoding")
    return stream_csv(path, profile.encoding, profile.columns, profile.row_count)


def _size_of(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError as err:
        raise UnreadableFile.os_error(path.name, err) from err
