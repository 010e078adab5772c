"""Reading a Parquet upload: schema and row count from its footer, samples, batches."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from sealroom.datasets.column_names import check_column_names
from sealroom.datasets.errors import EmptyTable, TableChanged, TooManyRows, UnreadableFile
from sealroom.datasets.profile import ColumnProfile, TableLimits
from sealroom.datasets.sampling import ColumnSampler

_SAMPLE_BATCH_ROWS = 4096
_STREAM_BATCH_ROWS = 65536


def profile_parquet(path: Path, limits: TableLimits) -> tuple[tuple[ColumnProfile, ...], int]:
    """Columns (name, type, samples) and the row count; reads rows only for samples."""
    try:
        with pq.ParquetFile(path) as parquet:
            schema = parquet.schema_arrow
            names = check_column_names(path.name, schema.names)
            rows = parquet.metadata.num_rows
            # The footer states the row count, so the limit holds before any row is read.
            if rows > limits.max_rows:
                raise TooManyRows(path.name, limits.max_rows)
            if rows == 0:
                raise EmptyTable.no_rows(path.name)
            samplers = [ColumnSampler(limits.sample_size) for _ in names]
            for batch in parquet.iter_batches(batch_size=_SAMPLE_BATCH_ROWS):
                for sampler, column in zip(samplers, batch.columns, strict=True):
                    sampler.observe(column)
                if all(sampler.full for sampler in samplers):
                    break
    except (pa.ArrowException, OSError) as err:
        raise UnreadableFile.corrupt_parquet(path.name) from err
    columns = tuple(
        ColumnProfile(name=field.name, arrow_type=str(field.type), samples=sampler.samples)
        for field, sampler in zip(schema, samplers, strict=True)
    )
    return columns, rows


def stream_parquet(
    path: Path, columns: tuple[ColumnProfile, ...], row_count: int
) -> Iterator[pa.RecordBatch]:
    """The file's record batches, after checking it is still the file profiled."""
    try:
        with pq.ParquetFile(path) as parquet:
            schema = [(field.name, str(field.type)) for field in parquet.schema_arrow]
            if schema != [(column.name, column.arrow_type) for column in columns]:
                raise TableChanged(path.name, "its schema is different")
            if parquet.metadata.num_rows != row_count:
                raise TableChanged(
                    path.name, f"it now has {parquet.metadata.num_rows} rows instead of {row_count}"
                )
            yield from parquet.iter_batches(batch_size=_STREAM_BATCH_ROWS)
    except (pa.ArrowException, OSError) as err:
        raise UnreadableFile.corrupt_parquet(path.name) from err
