"""Text a job wrote, made safe to show: every control or invisible character as an escape.

A job's outputs, file names, column names, logs and code reach a reviewer's
terminal. Shown raw, ``ESC [2J`` clears the screen, an OSC sequence retitles the
window or hides a link, ``\\r`` overwrites what came before on the line, a
bidi override (U+202E) shows ``gnp.exe`` as ``exe.png`` ("Trojan Source"), and
zero-width characters or variation selectors carry data the reviewer never
sees. So everything that is not plain visible text is shown as an escape in
the form Python would write it (``\\x1b``, ``\\u202e``, ``\\U000e0041``);
letters of every script, CJK included, stay as they are.

Only the standard library: the SDK's notebook views use it as well as the CLI.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator

# Characters of other categories that show nothing yet carry something: fillers
# drawn as blanks, the combining grapheme joiner, and the variation selectors
# that "emoji smuggling" hides bytes in.
INVISIBLE = frozenset(
    (
        *(0x034F, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x3164, 0xFFA0),
        *range(0x180B, 0x1810),
        *range(0xFE00, 0xFE10),
        *range(0xE0100, 0xE01F0),
    )
)
# Unicode categories never shown raw: controls, format characters (bidi
# controls, zero-width spaces and joiners, the BOM, tags), line and paragraph
# separators, surrogates (undecodable bytes), private use and unassigned.
ESCAPED_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"})
# Bytes that were not UTF-8 arrive as lone surrogates (``surrogateescape``).
_UNDECODABLE = range(0xDC80, 0xDD00)
_SHORT = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def needs_escape(char: str) -> bool:
    code = ord(char)
    return code in INVISIBLE or unicodedata.category(char) in ESCAPED_CATEGORIES


def escape_char(char: str) -> str:
    """``\\x1b``, ``\\u202e``, ``\\U000e0041``; an undecodable byte as ``\\xff``."""
    if char in _SHORT:
        return _SHORT[char]
    code = ord(char)
    if code in _UNDECODABLE:
        return f"\\x{code - 0xDC00:02x}"
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def visible_segments(text: str, *, multiline: bool = False) -> Iterator[tuple[str, bool]]:
    """``text`` as runs of (plain text, False) and (escape, True).

    With ``multiline`` (code, logs, unparsed files) line feeds and tabs stay
    layout; in a single value (a cell, a name) they are escaped too, so one
    value can never pose as two rows.
    """
    plain: list[str] = []
    for char in text:
        if multiline and char in "\n\t":
            plain.append(char)
        elif needs_escape(char):
            if plain:
                yield "".join(plain), False
                plain = []
            yield escape_char(char), True
        else:
            plain.append(char)
    if plain:
        yield "".join(plain), False


def visible(text: str, *, multiline: bool = False) -> str:
    """``text`` with every control or invisible character written as its escape."""
    return "".join(part for part, _ in visible_segments(text, multiline=multiline))


def decode_for_display(data: bytes) -> str:
    """Bytes as text, keeping undecodable bytes so that ``visible`` shows them as ``\\xNN``."""
    return data.decode("utf-8", "surrogateescape")
