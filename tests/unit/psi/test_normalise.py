"""Both sides must spell one person the same way before PSI can match them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from stdnum.cn import ric

from jobs.psi import (
    IdentifierKind,
    IdentifierListRejected,
    SetTooLarge,
    normalise_identifier,
    normalise_ids,
)


def resident_id_ending_in_x() -> str:
    for serial in range(100, 1000):
        body = f"11010519491231{serial:03d}"
        if ric.calc_check_digit(body + "0") == "X":  # the argument includes a check digit
            return body + "X"
    raise AssertionError("no serial gives check digit X")


@pytest.mark.parametrize(
    "spelling",
    ["13800138000", "138 0013 8000", "+86 138-0013-8000", "008613800138000", " 13800138000 "],
)
def test_every_spelling_of_a_mobile_number_becomes_one_e164_number(spelling: str) -> None:
    assert normalise_identifier(spelling, IdentifierKind.MOBILE) == "+8613800138000"


def test_resident_id_is_upper_cased_and_stripped_and_checksum_checked() -> None:
    valid = resident_id_ending_in_x()
    spaced = f" {valid[:6]} {valid[6:14]} {valid[14:].lower()} "
    assert normalise_identifier(spaced, IdentifierKind.CN_RESIDENT_ID) == valid
    wrong_check = valid[:-1] + ("0" if valid[-1] != "0" else "1")
    assert normalise_identifier(wrong_check, IdentifierKind.CN_RESIDENT_ID) is None


def test_email_is_trimmed_and_lower_cased_and_needs_a_domain() -> None:
    assert (
        normalise_identifier("  Li.Wei@Example.COM ", IdentifierKind.EMAIL) == "li.wei@example.com"
    )
    assert normalise_identifier("li.wei-at-example", IdentifierKind.EMAIL) is None


def test_duplicates_blanks_and_malformed_entries_are_counted_not_kept() -> None:
    rows = ["13800138000", "138 0013 8000", "", None, "13900139000", "12345", "13900139000"]
    rows += [f"1370013{i:04d}" for i in range(99)]
    result = normalise_ids(rows, IdentifierKind.MOBILE, cap=1000)

    assert result.report.total == 106
    assert result.report.blanks == 2
    assert result.report.malformed == 1
    assert result.report.duplicates == 2  # the second spelling and 13900139000 again
    assert result.ids[:2] == ("+8613800138000", "+8613900139000")
    assert result.rows[:2] == (0, 4)  # first occurrence of each identifier
    assert len(result.ids) == result.report.kept == 101


def test_a_list_of_mostly_wrong_format_is_rejected_with_counts_and_no_identifier() -> None:
    rows = ["13800138000", "not-a-number", "12", "", "999"]
    with pytest.raises(
        IdentifierListRejected, match="1 blank and 3 malformed identifiers out of 5"
    ):
        normalise_ids(rows, IdentifierKind.MOBILE, cap=100, label="partner list")
    try:
        normalise_ids(rows, IdentifierKind.MOBILE, cap=100)
    except IdentifierListRejected as err:
        assert "not-a-number" not in err.message and "13800138000" not in err.message


def test_a_list_over_the_cap_is_refused_without_reading_it_all() -> None:
    read = 0

    def ten_million_rows() -> Iterator[str]:
        nonlocal read
        for i in range(10_000_000):
            read += 1
            yield f"customer-{i}"

    with pytest.raises(SetTooLarge, match="more than 1000 identifiers"):
        normalise_ids(ten_million_rows(), IdentifierKind.PLAIN, cap=1000, label="partner list")
    assert read == 1001


def test_owner_rows_keep_their_alignment_to_value_columns() -> None:
    from jobs.psi import OwnerValues, normalise_rows

    raw = ["138 0013 8000", "", "+8613800138000", "13900139000", "bad"] + [
        f"1370013{i:04d}" for i in range(95)
    ]
    rows = normalise_rows(raw, IdentifierKind.MOBILE, cap=1000, label="owner key column")
    assert rows.keys[:5] == ("+8613800138000", None, "+8613800138000", "+8613900139000", None)
    assert (rows.report.blanks, rows.report.malformed, rows.report.duplicates) == (1, 1, 1)

    spend = [10, 999, 5, 7, None] + [1] * 95  # the blank and malformed rows' values are ignored
    values = OwnerValues.from_columns(rows.keys, {"spend": spend}, scale=0)
    assert values.ids[:2] == ("+8613800138000", "+8613900139000")
    assert values.columns["spend"][:2] == (15, 7)  # one person's two rows, summed
