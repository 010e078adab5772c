"""Checks that no output carries an input's identifiers or personal values, in any form.

Three checks, each a plain function from one table to findings (the style of
``jobs.output_checks``; messages name files, columns and row numbers, never a
cell value, and say what to do):

- ``check_identifier_values``: cells carrying an indexed input value, plainly
  (``VERBATIM_VALUES``, which the contract may let suppress) or only through a
  disguise (``DISGUISED_IDENTIFIERS``, always blocking: no honest job writes a
  customer's mobile reversed or in base64, and emptying the cells found would
  leave whatever else the same code hid);
- ``check_identifier_names``: column names and the file's name, compared like
  cells (``VERBATIM_HEADERS``);
- ``check_identifier_shaped``: a column of distinct values shaped like mobile,
  resident ID or card numbers (``IDENTIFIER_SHAPED``), whether or not the index
  knows them: fresh numbers of people outside the inputs are still identifiers.
"""

from __future__ import annotations

from pathlib import PurePosixPath

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from jobs.check_report import CheckName
from jobs.identifier_normalise import Arrow, sorted_unique, visible_text
from jobs.output_finding import Finding
from jobs.sensitive_index import SensitiveValueIndex

VERBATIM_MSG = (
    "{file} column {column} has {cells} cell(s) that repeat a value of an identifier or "
    "personal column of the inputs ({rows}): outputs may not carry personal values."
)
DISGUISED_MSG = (
    "{file} column {column} has {cells} cell(s) that carry a value of an identifier or "
    "personal column of the inputs in disguise (re-encoded, reversed, padded, offset, "
    "scaled or split; {rows}): outputs may not carry personal values in any form; "
    "write aggregates, and ask the code's author why it hides them."
)
VERBATIM_HEADER_MSG = (
    "{file} has {count} column name(s) that repeat a value of an identifier or personal "
    "column of the inputs: name columns after what they hold, not after people."
)
FILE_NAME_MSG = (
    "The name of this output file carries a value of an identifier or personal column of "
    "the inputs: name files after what they hold, not after people."
)
IDENTIFIER_SHAPED_MSG = (
    "{file} column {column} holds {cells} distinct value(s) shaped like {kind} ({rows}): "
    "identifiers may not leave, even ones the inputs do not hold; write aggregates, or "
    "drop the column."
)

_SHOWN_ROWS = 5

# Shapes, on the whole number a value is (its fraction dropped). Mainland mobiles are
# 11 digits starting 13-19; resident IDs 18 digits (the last may be X); bank cards 16-19.
MOBILE = (13_000_000_000, 20_000_000_000)
LONG_NUMBER = (10**15, 10**19)
#: A column is identifier-shaped when shaped values make up at least this share of it...
SHAPED_SHARE = 0.5
#: ...and there are at least this many distinct ones (one 11-digit total is a total).
MIN_DISTINCT_MOBILES = 2
MIN_DISTINCT_LONG = 1
# Rounded money (a total of 15 300 000 000 yuan) ends in zeros; a real number rarely in three.
_ROUND = 1000
_MOBILE_DIGITS = 11


def of_check(findings: list[Finding], check: CheckName) -> list[Finding]:
    """The findings of one check, for the runner to record apart."""
    return [f for f in findings if f.check is check]


def check_identifier_values(
    name: str, table: pa.Table, index: SensitiveValueIndex
) -> list[Finding]:
    """Cells carrying an indexed value; ``table`` as written (CSV cells as text)."""
    findings: list[Finding] = []
    if not len(index):
        return findings
    disguised: list[Finding] = []
    for column in table.column_names:
        matches = index.match(table.column(column))
        for rows, check, template, into in (
            (matches.plain, CheckName.VERBATIM_VALUES, VERBATIM_MSG, findings),
            (matches.disguised, CheckName.DISGUISED_IDENTIFIERS, DISGUISED_MSG, disguised),
        ):
            if len(rows):
                found = sorted(int(r) for r in rows)
                message = template.format(
                    file=name, column=column, cells=len(found), rows=rows_text(found)
                )
                cells = tuple((row, column) for row in found)
                into.append(Finding(check, message, column, cells))
    return findings + disguised


def check_identifier_names(name: str, table: pa.Table, index: SensitiveValueIndex) -> list[Finding]:
    """Column names (a pivot can carry personal values in them) and the file's name."""
    findings: list[Finding] = []
    if not len(index):
        return findings
    names = index.match(pa.array(table.column_names, pa.string()))
    count = len(names.plain) + len(names.disguised)
    if count:
        message = VERBATIM_HEADER_MSG.format(file=name, count=count)
        findings.append(Finding(CheckName.VERBATIM_HEADERS, message))
    path = PurePosixPath(name)
    stem = path.name[: -len(path.suffix)] if path.suffix else path.name
    if index.contains(stem) or index.contains(path.name):
        findings.append(Finding(CheckName.VERBATIM_HEADERS, FILE_NAME_MSG))
    return findings


def check_identifier_shaped(name: str, table: pa.Table) -> list[Finding]:
    """Columns of distinct mobile, resident ID or card numbers, as numbers or digit text."""
    findings = []
    for column in table.column_names:
        values = table.column(column)
        numbers, rows = _whole_numbers(values)
        if not len(numbers):
            continue
        present = len(values) - values.null_count
        unround = numbers % np.uint64(_ROUND) != 0
        for kind, (low, high), least in (
            ("mobile numbers", MOBILE, MIN_DISTINCT_MOBILES),
            ("resident ID or card numbers", LONG_NUMBER, MIN_DISTINCT_LONG),
        ):
            shaped = unround & (numbers >= np.uint64(low)) & (numbers < np.uint64(high))
            distinct = len(sorted_unique(numbers[shaped]))
            if distinct >= least and shaped.sum() >= SHAPED_SHARE * present:
                found = sorted(int(r) for r in rows[shaped])
                message = IDENTIFIER_SHAPED_MSG.format(
                    file=name, column=column, cells=distinct, kind=kind, rows=rows_text(found)
                )
                cells = tuple((row, column) for row in found)
                findings.append(Finding(CheckName.IDENTIFIER_SHAPED, message, column, cells))
                break
    return findings


def _whole_numbers(
    column: Arrow,
) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.int64]]:
    """The column's whole non-null values (sign dropped), with their rows; text counts
    when it is digits (``+86``, spaces, hyphens and a final X
    of an ID number aside)."""
    array = column.combine_chunks()
    data_type = array.type
    if pa.types.is_dictionary(data_type):
        array = array.cast(data_type.value_type)
        data_type = array.type
    valid = pc.is_valid(array).to_numpy(zero_copy_only=False)
    rows = np.flatnonzero(valid).astype(np.int64)
    present = array.filter(pa.array(valid))
    none = np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.int64)
    if pa.types.is_decimal(data_type):
        present = present.cast(pa.float64())
    if pa.types.is_integer(present.type):
        values = present.to_numpy()
        if values.dtype == np.uint64:
            return values, rows
        return np.abs(values.astype(np.int64)).astype(np.uint64), rows
    if pa.types.is_floating(present.type):
        # Only whole floats: a total of 15 012 345 678.37 yuan is money, not a mobile.
        floats = np.abs(present.to_numpy().astype(np.float64))
        whole = np.isfinite(floats) & (floats < 2.0**64) & (np.floor(floats) == floats)
        return floats[whole].astype(np.uint64), rows[whole]
    if pa.types.is_string(present.type) or pa.types.is_large_string(present.type):
        if not len(present) or pc.max(pc.utf8_length(present)).as_py() < _MOBILE_DIGITS:
            return none
        # Text is reduced once per distinct value, then spread back over the rows.
        encoded = pc.dictionary_encode(present)
        numbers, positions = _digit_texts(encoded.dictionary)
        value_of_row = encoded.indices.to_numpy().astype(np.int64)
        lookup = np.full(len(encoded.dictionary), -1, dtype=np.int64)
        lookup[positions] = np.arange(len(positions))
        slot = lookup[value_of_row]
        keep = slot >= 0
        return numbers[slot[keep]], rows[keep]
    return none


def _digit_texts(
    texts: Arrow,
) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.int64]]:
    """The texts that are phone, ID or card digits, as numbers, and their positions."""
    texts = pc.replace_substring_regex(visible_text(texts), r"[\s\-+()]", "")
    texts = pc.replace_substring_regex(texts, r"^86([0-9]{11})$", r"\1")
    texts = pc.replace_substring_regex(texts, r"^([0-9]{17})[Xx]$", r"\10")
    digits: Arrow = pc.match_substring_regex(texts, r"^[0-9]{1,19}$")
    positions = np.flatnonzero(digits.to_numpy(zero_copy_only=False)).astype(np.int64)
    return pc.filter(texts, digits).cast(pa.uint64()).to_numpy(), positions


def rows_text(rows: list[int]) -> str:
    """``rows 1, 3, 4`` (1-based, as a spreadsheet shows them), the first few only."""
    shown = ", ".join(str(r + 1) for r in rows[:_SHOWN_ROWS])
    more = len(rows) - _SHOWN_ROWS
    noun = "row" if len(rows) == 1 else "rows"
    return f"{noun} {shown}" + (f" and {more} more" if more > 0 else "")
