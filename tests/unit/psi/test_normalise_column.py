"""The owner's vectorised normalisation spells every value as the partner's Python does."""

from __future__ import annotations

import pyarrow as pa
import pytest

from jobs.psi import IdentifierKind, IdentifierListRejected, SetTooLarge, normalise_rows
from jobs.psi.arrow_normalise import normalise_column

from .mobile_numbers import numbers


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_column_path_agrees_with_the_python_path_row_by_row(seed: int) -> None:
    values: list[str | None] = [*numbers(3000, seed), None, "", "  ", "not a number"]
    kwargs = {"cap": 10_000, "label": "owner column", "max_malformed_fraction": 1.0}
    python = normalise_rows(values, IdentifierKind.MOBILE, **kwargs)  # type: ignore[arg-type]
    column = normalise_column(pa.chunked_array([values]), IdentifierKind.MOBILE, **kwargs)  # type: ignore[arg-type]
    assert column == python
    assert column.report.blanks == 3 and column.report.malformed >= 1


def test_other_kinds_and_non_string_columns_take_the_python_path() -> None:
    emails = pa.chunked_array([[" A@Example.cn", "a@example.cn", None]])
    rows = normalise_column(
        emails, IdentifierKind.EMAIL, cap=10, label="c", max_malformed_fraction=0.5
    )
    assert rows.keys == ("a@example.cn", "a@example.cn", None)
    assert rows.report.duplicates == 1
    mobiles = pa.chunked_array([[13800138000, 13900139000]], type=pa.int64())
    assert normalise_column(mobiles, IdentifierKind.MOBILE, cap=10, label="c").keys == (
        "+8613800138000",
        "+8613900139000",
    )


def test_the_column_path_refuses_as_the_python_path_does() -> None:
    with pytest.raises(SetTooLarge, match="more than 2 identifiers"):
        normalise_column(
            pa.chunked_array([["1", "2", "3"]]), IdentifierKind.PLAIN, cap=2, label="c"
        )
    junk = pa.chunked_array([["13800138000", "x", "y", "z"]])
    with pytest.raises(IdentifierListRejected, match="3 malformed identifiers out of 4"):
        normalise_column(junk, IdentifierKind.MOBILE, cap=10, label="c")
