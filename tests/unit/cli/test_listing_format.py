"""Listings print whole when piped, align Chinese text, and parse as JSON and CSV."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

import pytest
from rich.cells import cell_len

from sealroom.cli.listing_format import Column, Listing, ListingFormat, print_listing

LONG_NAME = "客户消费记录_华东大区_二零二四年度_线上线下全渠道_季度汇总"
LISTING = Listing(
    "Datasets",
    (Column("name"), Column("rows"), Column("owner"), Column("registered")),
    [
        (LONG_NAME, 1_234_567, "acme-cn", datetime(2026, 3, 1, 8, 30, tzinfo=UTC)),
        ("customers", 200, "acme-cn", None),
    ],
)


class Pipe(io.StringIO):
    """Standard output redirected to a file or another program."""

    def isatty(self) -> bool:
        return False


def printed(listing_format: ListingFormat, listing: Listing = LISTING) -> str:
    out = Pipe()
    print_listing(listing, listing_format, out)
    return out.getvalue()


def test_a_piped_table_is_not_cut_at_80_columns(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    text = printed(ListingFormat.TABLE)
    assert LONG_NAME in text
    assert "1,234,567" in text
    assert "…" not in text


def border_positions(line: str) -> tuple[int, ...]:
    """The terminal columns of a row's vertical borders (a Chinese character takes two)."""
    positions, column = [], 0
    for char in line:
        if char in "│┃":
            positions.append(column)
        column += cell_len(char)
    return tuple(positions)


def test_chinese_cells_line_up_with_ascii_ones() -> None:
    rows = [line for line in printed(ListingFormat.TABLE).splitlines() if border_positions(line)]
    assert len(rows) == 3  # the header and two rows
    assert len({border_positions(line) for line in rows}) == 1


def test_json_is_an_array_of_objects_with_raw_values() -> None:
    records = json.loads(printed(ListingFormat.JSON))
    assert records == [
        {
            "name": LONG_NAME,
            "rows": 1_234_567,
            "owner": "acme-cn",
            "registered": "2026-03-01T08:30:00+00:00",
        },
        {"name": "customers", "rows": 200, "owner": "acme-cn", "registered": None},
    ]


def test_csv_is_a_header_and_rows() -> None:
    rows = list(csv.reader(io.StringIO(printed(ListingFormat.CSV))))
    assert rows == [
        ["name", "rows", "owner", "registered"],
        [LONG_NAME, "1234567", "acme-cn", "2026-03-01T08:30:00+00:00"],
        ["customers", "200", "acme-cn", ""],
    ]


def test_a_cell_cannot_steer_the_terminal_or_inject_markup() -> None:
    hostile = Listing("Jobs", (Column("reason"),), [("ok\x1b[2J\u202egnp.exe [red]x[/]",)])
    table = printed(ListingFormat.TABLE, hostile)
    assert "\x1b" not in table and "\u202e" not in table
    assert "\\x1b[2J" in table and "\\u202e" in table and "[red]x[/]" in table
    as_json = printed(ListingFormat.JSON, hostile)
    assert "\x1b" not in as_json and "\u202e" not in as_json
    assert json.loads(as_json) == [{"reason": "ok\x1b[2J\u202egnp.exe [red]x[/]"}]
