"""Strings a job controls, as Rich text that a terminal shows and never obeys.

Every name, cell, log line and line of code that came from a job goes through
``safe``: control and invisible characters become escapes (``visible_text``),
drawn in reverse video so that a real ``ESC`` is told apart from the four
characters ``\\x1b`` a job may have printed, and the string is a ``Text``, never
console markup, so ``[red]`` or ``[link=…]`` in a job's output stays literal.
"""

from __future__ import annotations

from rich.text import Text

from sealroom.client.visible_text import visible_segments

ESCAPE_STYLE = "reverse"
NULL = Text("(null)", style="dim italic")


def safe(text: str, *, multiline: bool = False, style: str = "") -> Text:
    shown = Text(style=style)
    for part, escaped in visible_segments(text, multiline=multiline):
        shown.append(part, style=ESCAPE_STYLE if escaped else None)
    return shown


def safe_cell(value: str | None) -> Text:
    return NULL.copy() if value is None else safe(value)
