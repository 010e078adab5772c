"""How every listing command prints: a table for people, JSON or CSV for programs.

A listing is a title, named columns and rows of plain values. ``table`` draws it
with Rich; on a terminal it fits the window, but piped into a file or ``less`` it
is drawn at its natural width, because Rich would otherwise cut or fold every
cell at 80 columns and a long Chinese name would arrive in pieces. ``json`` is an
array of objects, one per row, keyed by column name; ``csv`` is a header and the
rows, UTF-8. Both carry values unformatted (numbers as numbers, times in ISO 8601).
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, TextIO

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

# Wide enough for any row a listing holds; the table still takes only what it needs.
_PIPED_WIDTH = 100_000


class ListingFormat(StrEnum):
    TABLE = "table"
    JSON = "json"
    CSV = "csv"


FormatOption = Annotated[
    ListingFormat,
    typer.Option(
        "--format",
        case_sensitive=False,
        help="table (for people), json (an array of objects) or csv (header and rows, UTF-8).",
    ),
]

Value = str | int | float | bool | datetime | date | Mapping[str, object] | None


def _shown_plain(value: Value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else ""
    if isinstance(value, datetime):
        return f"{value:%Y-%m-%d %H:%M}"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, Mapping):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


@dataclass(frozen=True)
class Column:
    """One column: its name, and how the table shows a value (JSON and CSV never do)."""

    name: str
    shown: Callable[[Value], str] = _shown_plain
    style: Callable[[Value], str | None] = lambda _value: None


@dataclass(frozen=True)
class Listing:
    title: str
    columns: Sequence[Column]
    rows: Sequence[Sequence[Value]]

    def __post_init__(self) -> None:
        for row in self.rows:
            if len(row) != len(self.columns):
                raise ValueError(
                    f"a row of {self.title!r} has {len(row)} cells, not {len(self.columns)}"
                )


def print_listing(
    listing: Listing, listing_format: ListingFormat, out: TextIO | None = None
) -> None:
    """Writes ``listing`` to ``out`` (standard output) in the chosen format."""
    stream = out or sys.stdout
    if listing_format is ListingFormat.JSON:
        stream.write(listing_json(listing) + "\n")
    elif listing_format is ListingFormat.CSV:
        write_listing_csv(listing, stream)
    else:
        print_table(listing_table(listing), stream)
    stream.flush()


def print_table(table: Table, out: TextIO | None = None) -> None:
    """A Rich table, whole: full width when piped (see ``table_console``)."""
    table_console(out or sys.stdout).print(table)


def listing_json(listing: Listing) -> str:
    names = [column.name for column in listing.columns]
    records = [
        {name: _json_value(value) for name, value in zip(names, row, strict=True)}
        for row in listing.rows
    ]
    # Chinese stays readable; what could steer a terminal someone cats this into is escaped.
    return _escape_invisible_json(json.dumps(records, ensure_ascii=False, indent=2))


def write_listing_csv(listing: Listing, stream: TextIO) -> None:
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow([column.name for column in listing.columns])
    for row in listing.rows:
        writer.writerow([_csv_value(value) for value in row])


def listing_table(listing: Listing) -> Table:
    table = Table(title=Text(visible(listing.title)))
    for column in listing.columns:
        table.add_column(column.name)
    for row in listing.rows:
        # Text, not markup: a name holding "[red]" is shown, not obeyed.
        table.add_row(
            *(
                Text(visible(column.shown(value)), style=column.style(value) or "")
                for column, value in zip(listing.columns, row, strict=True)
            )
        )
    return table


def table_console(stream: TextIO) -> Console:
    """A terminal gets its own width; a pipe gets the table at its natural width."""
    if stream.isatty():
        return Console(file=stream, highlight=False)
    return Console(file=stream, highlight=False, width=_PIPED_WIDTH, no_color=True)


def visible(text: str) -> str:
    """Control, format and bidi characters as escapes, so a cell cannot steer the terminal."""
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() or char == " " else _escape(char) for char in text)


def _escape(char: str) -> str:
    code = ord(char)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def _escape_invisible_json(text: str) -> str:
    # Outside strings json.dumps writes only printable characters, newlines and spaces,
    # so every other invisible character is inside a string, where \\u escapes are valid.
    if text.isprintable():
        return text
    out = []
    for char in text:
        if char.isprintable() or char in "\n ":
            out.append(char)
        else:
            out.append(json.dumps(char, ensure_ascii=True)[1:-1])
    return "".join(out)


def _json_value(value: Value) -> object:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _csv_value(value: Value) -> object:
    if value is None:
        return ""
    if isinstance(value, Mapping):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return _json_value(value)
