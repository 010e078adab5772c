"""What inspecting an uploaded table learns about it, before anything is stored."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

# A few hundred values are enough to tell a column of mobile numbers from one of
# order ids, and few enough that classification stays instant on any table.
DEFAULT_SAMPLE_SIZE = 200


class TableFormat(StrEnum):
    PARQUET = "parquet"
    CSV = "csv"


class TextEncoding(StrEnum):
    UTF8 = "utf-8"
    # GB18030 is a superset of GBK and GB2312, so one decoder reads all three.
    GB18030 = "gb18030"


@dataclass(frozen=True)
class TableLimits:
    """Bounds from configuration; ``max_bytes`` is checked before the file is opened."""

    max_bytes: int
    max_rows: int
    sample_size: int = DEFAULT_SAMPLE_SIZE

    def __post_init__(self) -> None:
        if self.max_bytes < 1 or self.max_rows < 1 or self.sample_size < 0:
            raise ValueError(
                "TableLimits needs max_bytes >= 1, max_rows >= 1 and sample_size >= 0, "
                f"got {self.max_bytes}, {self.max_rows} and {self.sample_size}"
            )


@dataclass(frozen=True)
class ColumnProfile:
    """One column: its name, its Arrow type, and a sample of values for classification.

    ``samples`` are the first non-null values of the column, as text. They exist only
    so the classifier can look at them; they are never printed or stored.
    """

    name: str
    arrow_type: str
    samples: tuple[str, ...]


@dataclass(frozen=True)
class TableProfile:
    """The shape of one uploaded file: format, encoding, schema, row count, samples."""

    file_name: str
    format: TableFormat
    # None for Parquet, which carries its own (UTF-8) strings.
    encoding: TextEncoding | None
    size_bytes: int
    row_count: int
    columns: tuple[ColumnProfile, ...]

    @property
    def schema(self) -> list[tuple[str, str]]:
        """(column name, Arrow type) pairs in file order, what ``dataset show`` prints."""
        return [(column.name, column.arrow_type) for column in self.columns]

    @property
    def column_names(self) -> list[str]:
        return [column.name for column in self.columns]
