"""Which rows of a long output a reviewer looks at, and how the rest is announced.

A reviewer approves what is released, so nothing may be cut without saying so:
every view of a table names the rows it shows out of how many ("rows 1-50 of
1,200", with an en dash) and how to see the others. ``--rows 51-100`` or ``--page 2`` choose the
window; the server sends only that window of each table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sealroom.errors import ConfigError

PAGE_ROWS = 50
DASH = "\u2013"  # an en dash, as ranges are printed ("rows 1\u201350")
_RANGE = re.compile(rf"^\s*(\d+)\s*(?:[-{DASH}:]\s*(\d*)\s*)?$")


@dataclass(frozen=True)
class RowWindow:
    """Rows ``first`` to ``last``, 1-based and inclusive, as a spreadsheet numbers them."""

    first: int = 1
    last: int = PAGE_ROWS

    def __post_init__(self) -> None:
        if self.first < 1 or self.last < self.first:
            raise ConfigError(
                f"rows {self.first}-{self.last} is not a range of rows: write FIRST-LAST with "
                "1 <= FIRST <= LAST, e.g. --rows 1-50"
            )

    @classmethod
    def parse(cls, text: str) -> RowWindow:
        """``"51-100"``, ``"51-"`` (a page from 51), or ``"7"`` (that row alone)."""
        match = _RANGE.match(text)
        if match is None:
            raise ConfigError(f"--rows {text!r}: write FIRST-LAST, e.g. --rows 1-50")
        first = int(match.group(1))
        if match.group(2) is None:
            return cls(first, first)
        last = int(match.group(2)) if match.group(2) else first + PAGE_ROWS - 1
        return cls(first, last)

    @classmethod
    def page(cls, number: int, size: int = PAGE_ROWS) -> RowWindow:
        if number < 1 or size < 1:
            raise ConfigError(f"--page {number}: pages are numbered from 1")
        return cls((number - 1) * size + 1, number * size)

    @property
    def size(self) -> int:
        return self.last - self.first + 1

    def slice_of(self, total: int) -> tuple[int, int]:
        """0-based [start, stop) of the rows of a ``total``-row table this window shows."""
        return min(self.first - 1, total), min(self.last, total)


def shown_rows(first: int, shown: int, total: int) -> str:
    """``rows 51-100 of 1,200`` with an en dash (``no rows`` for an empty table)."""
    if total == 0:
        return "no rows"
    if shown == 0:
        return f"none of its {total:,} rows from row {first:,} on"
    return f"rows {first:,}{DASH}{first + shown - 1:,} of {total:,}"


def rest_hint(first: int, shown: int, total: int, command: str) -> str | None:
    """How to see the rows this view leaves out, or None when it shows them all."""
    last = first + shown - 1 if shown else first - 1
    hints = []
    if first > 1:
        hints.append(f"rows 1{DASH}{min(first - 1, total):,}")
    if last < total:
        hints.append(f"rows {last + 1:,}{DASH}{total:,}")
    if not hints:
        return None
    size = max(shown, PAGE_ROWS)
    start = last + 1 if last < total else 1
    return (
        f"not shown: {' and '.join(hints)}; see them with `{command} --rows "
        f"{start}-{min(start + size - 1, total)}` (or --page N, or --rows 1-{total} for all)"
    )
