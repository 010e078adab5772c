"""Whatever a job writes, a reviewer's terminal shows it and never obeys it."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from sealroom.cli.terminal_text import safe, safe_cell
from sealroom.client.visible_text import decode_for_display, visible, visible_segments


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        # ESC sequences: clear screen, a colour, an OSC window title
        ("\x1b[2J", "\\x1b[2J"),
        ("\x1b[31mred\x1b[0m", "\\x1b[31mred\\x1b[0m"),
        ("\x1b]0;owned\x07", "\\x1b]0;owned\\x07"),
        # other C0 controls, DEL, and C1 controls (CSI as one byte)
        ("a\rb", "a\\rb"),
        ("a\x08b", "a\\x08b"),
        ("\x00\x7f", "\\x00\\x7f"),
        ("\x9b2J", "\\x9b2J"),
        ("\x85", "\\x85"),
        # bidi overrides, embeddings and isolates
        ("\u202eexe.png", "\\u202eexe.png"),
        ("\u202a\u202b\u202c\u202d", "\\u202a\\u202b\\u202c\\u202d"),
        ("\u2066\u2067\u2068\u2069", "\\u2066\\u2067\\u2068\\u2069"),
        # zero-width characters, joiners, marks, word joiner and BOM
        ("1\u200b3\u200c8\u200d", "1\\u200b3\\u200c8\\u200d"),
        ("\u200e\u200f\u2060\ufeff", "\\u200e\\u200f\\u2060\\ufeff"),
        # other format characters: soft hyphen, Arabic letter mark, tag characters
        ("\u00ad\u061c", "\\xad\\u061c"),
        ("\U000e0041", "\\U000e0041"),
        # invisible letters and variation selectors that carry hidden bytes
        ("\u3164\ufe0f\U000e0100", "\\u3164\\ufe0f\\U000e0100"),
        # line and paragraph separators, private use
        ("\u2028\u2029\ue000", "\\u2028\\u2029\\ue000"),
    ],
)
def test_each_class_of_hidden_character_is_shown_as_its_escape(raw: str, shown: str) -> None:
    assert visible(raw) == shown


def test_chinese_text_and_ordinary_punctuation_stay_readable() -> None:
    # Full-width punctuation and the ideographic space belong to Chinese text.
    text = "客户编号 手机号\uff1a消费金额\uff08元\uff09\u3000合计 ¥1,234.50 — café naïve Ωμέγα"
    assert visible(text) == text


def test_a_value_never_poses_as_two_rows_but_code_keeps_its_lines() -> None:
    assert visible("a\nb\tc") == "a\\nb\\tc"
    assert visible("a\nb\tc\r\n", multiline=True) == "a\nb\tc\\r\n"


def test_undecodable_bytes_are_shown_as_the_bytes_they_were() -> None:
    assert visible(decode_for_display(b"ok\xff\xfe\x1b")) == "ok\\xff\\xfe\\x1b"


def test_escapes_are_marked_apart_from_the_same_characters_written_literally() -> None:
    segments = list(visible_segments("\\x1b is not \x1b"))
    assert segments == [("\\x1b is not ", False), ("\\x1b", True)]


def render(text: object) -> str:
    out = io.StringIO()
    Console(file=out, force_terminal=True, color_system="truecolor", width=200).print(text)
    return out.getvalue()


def test_rendered_text_carries_no_control_character_of_the_job() -> None:
    hostile = "\x1b[2J\x1b]0;pwned\x07[red]not markup[/red]\u202e\u200b"
    rendered = render(safe(hostile))
    # Rich adds its own SGR codes for the escape style; the job's never get through.
    assert "\x1b[2J" not in rendered and "\x1b]0;" not in rendered and "\x07" not in rendered
    assert "\u202e" not in rendered and "\u200b" not in rendered
    assert "[red]not markup[/red]" in rendered
    assert safe(hostile).plain == ("\\x1b[2J\\x1b]0;pwned\\x07[red]not markup[/red]\\u202e\\u200b")


def test_a_null_cell_is_told_apart_from_an_empty_one() -> None:
    assert safe_cell(None).plain == "(null)"
    assert safe_cell("").plain == ""
