"""How many categories a column holds, counted only as far as a sample needs to know.

A column with at most ``CATEGORY_LIMIT`` distinct values is a category set: the
masked sample keeps one row of each category, and the drift report compares
category counts only for such columns.
"""

from __future__ import annotations

from typing import Any, Literal

import pyarrow as pa
import pyarrow.compute as pc

#: A column with at most this many distinct values is a category set the sample keeps whole.
CATEGORY_LIMIT = 50

_PROBE_ROWS = 20_000


def distinct_up_to(column: pa.ChunkedArray[Any], limit: int, *, count_nulls: bool) -> int | None:
    """How many distinct values ``column`` has, or ``None`` when more than ``limit``.

    Counting a million distinct phone numbers only to learn "more than 50" is
    the slow part of sampling a large table; a slice of the head settles most
    columns at once.
    """
    mode: Literal["all", "only_valid"] = "all" if count_nulls else "only_valid"
    head = pc.count_distinct(column.slice(0, _PROBE_ROWS), mode=mode).as_py()
    if head > limit:
        return None
    total: int = pc.count_distinct(column, mode=mode).as_py()
    return total if total <= limit else None


def decoded(column: pa.ChunkedArray[Any]) -> pa.ChunkedArray[Any]:
    """The column's values: a dictionary-encoded column decoded, any other as it is."""
    if pa.types.is_dictionary(column.type):
        return column.cast(column.type.value_type)
    return column
