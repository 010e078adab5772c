"""Long outputs are paged, and every view says which rows it leaves out and how to see them."""

from __future__ import annotations

import pytest

from sealroom.client.row_window import PAGE_ROWS, RowWindow, rest_hint, shown_rows
from sealroom.errors import ConfigError

COMMAND = "sealroom review show j-1"


@pytest.mark.parametrize(
    ("text", "window"),
    [
        ("1-50", RowWindow(1, 50)),
        ("51-100", RowWindow(51, 100)),
        ("51\u201360", RowWindow(51, 60)),
        (" 7 ", RowWindow(7, 7)),
        ("101-", RowWindow(101, 100 + PAGE_ROWS)),
    ],
)
def test_rows_are_chosen_as_a_spreadsheet_numbers_them(text: str, window: RowWindow) -> None:
    assert RowWindow.parse(text) == window


@pytest.mark.parametrize("text", ["", "a-b", "0-5", "9-3", "-5", "1-2-3"])
def test_a_range_that_is_none_is_refused_with_the_form_to_use(text: str) -> None:
    with pytest.raises(ConfigError, match="FIRST-LAST"):
        RowWindow.parse(text)


def test_pages_follow_each_other_without_gap_or_overlap() -> None:
    assert RowWindow.page(1) == RowWindow(1, PAGE_ROWS)
    assert RowWindow.page(3) == RowWindow(2 * PAGE_ROWS + 1, 3 * PAGE_ROWS)
    with pytest.raises(ConfigError, match="numbered from 1"):
        RowWindow.page(0)


def test_a_window_past_the_end_of_a_table_shows_what_there_is() -> None:
    assert RowWindow(41, 90).slice_of(60) == (40, 60)
    assert RowWindow(71, 90).slice_of(60) == (60, 60)


def test_the_view_names_its_rows_out_of_all() -> None:
    assert shown_rows(1, 50, 1200) == "rows 1\u201350 of 1,200"
    assert shown_rows(1151, 50, 1200) == "rows 1,151\u20131,200 of 1,200"
    assert shown_rows(1, 0, 0) == "no rows"


def test_a_table_shown_whole_announces_no_cut() -> None:
    assert rest_hint(1, 12, 12, COMMAND) is None


def test_rows_after_the_window_are_announced_with_the_command_for_the_next_page() -> None:
    hint = rest_hint(1, 50, 1200, COMMAND)
    assert hint is not None
    assert "rows 51\u20131,200" in hint
    assert f"`{COMMAND} --rows 51-100`" in hint and "--rows 1-1200" in hint


def test_rows_before_and_after_a_middle_window_are_both_announced() -> None:
    hint = rest_hint(51, 50, 1200, COMMAND)
    assert hint is not None
    assert "rows 1\u201350 and rows 101\u20131,200" in hint


def test_rows_before_the_last_page_are_announced() -> None:
    hint = rest_hint(1151, 50, 1200, COMMAND)
    assert hint is not None
    assert "rows 1\u20131,150" in hint and "--rows 1-50" in hint
