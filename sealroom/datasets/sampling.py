"""The first non-null values of each column, as text, for the classifier to look at."""

from __future__ import annotations

from typing import Any

import pyarrow as pa


class ColumnSampler:
    """Keeps up to ``size`` non-null values of one column as batches stream by."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._values: list[str] = []

    @property
    def full(self) -> bool:
        return len(self._values) >= self._size

    def observe(self, values: pa.Array[Any] | pa.ChunkedArray[Any]) -> None:
        wanted = self._size - len(self._values)
        if wanted > 0:
            self._values.extend(as_text(value) for value in values.drop_null()[:wanted].to_pylist())

    @property
    def samples(self) -> tuple[str, ...]:
        return tuple(self._values)


def as_text(value: object) -> str:
    """A cell as the owner would write it: dates in ISO form, bytes decoded."""
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)
