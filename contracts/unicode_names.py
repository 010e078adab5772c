"""Names in any script (``客户编号``, ``客户_2024``) that still have one spelling each.

Column and dataset names end up in signed contracts, file paths under
``/inputs``, audit records and terminals. A name therefore holds only letters,
digits and ``_`` (datasets also ``-``) of any script, and nothing that makes two
names look alike or a terminal lie: no control, format, bidi, zero-width or
whitespace characters. It must already be in NFC and NFKC form, so a full-width
``mobile`` (U+FF4D...) or a decomposed ``é`` is refused instead of becoming a second name
that reads like the first, and so is Latin mixed with Cyrillic or Greek look-alikes.
"""

from __future__ import annotations

import unicodedata

MAX_COLUMN_NAME_CHARS = 128
MAX_DATASET_NAME_CHARS = 63
# ``/inputs/<name>.parquet`` must stay within one file-name component (255 bytes
# on every Linux file system), whatever script the name is written in.
MAX_DATASET_NAME_BYTES = 200

_LETTER_CATEGORIES = frozenset({"Lu", "Ll", "Lt", "Lm", "Lo"})
_DIGIT_CATEGORIES = frozenset({"Nd", "Nl"})
# Combining marks carry vowels in Thai, Devanagari and others; never a first character.
_MARK_CATEGORIES = frozenset({"Mn", "Mc"})
# Scripts whose letters copy each other's shapes (Latin a, Cyrillic U+0430, Greek U+03B1):
# one name mixing two of them is a look-alike of another name, never a real word.
# Han, kana and hangul mix with Latin in real names (客户id) and share no shapes.
_CONFUSABLE_SCRIPTS = ("LATIN", "CYRILLIC", "GREEK")


def _is_letter(char: str) -> bool:
    return unicodedata.category(char) in _LETTER_CATEGORIES


def _is_name_char(char: str, extra: str) -> bool:
    category = unicodedata.category(char)
    return (
        category in _LETTER_CATEGORIES
        or category in _DIGIT_CATEGORIES
        or category in _MARK_CATEGORIES
        or char == "_"
        or char in extra
    )


def _spelling_problem(value: str) -> str | None:
    if not unicodedata.is_normalized("NFC", value):
        return "is not in Unicode NFC form: write it with precomposed characters"
    if not unicodedata.is_normalized("NFKC", value):
        return (
            "holds compatibility characters (full-width letters or digits, ligatures): "
            f"write it as {unicodedata.normalize('NFKC', value)!r}"
        )
    return None


def _mixed_script_problem(value: str) -> str | None:
    scripts = {
        script
        for char in value
        if _is_letter(char)
        for script in _CONFUSABLE_SCRIPTS
        if unicodedata.name(char, "").startswith(script + " ")
    }
    if len(scripts) > 1:
        return (
            f"mixes {' and '.join(sorted(s.title() for s in scripts))} letters, which look "
            "alike: write it in one of them"
        )
    return None


def _describe(char: str) -> str:
    # Control characters have no Unicode name; their category still says what they are.
    return unicodedata.name(char, f"a {unicodedata.category(char)} character")


def _bad_character(value: str, extra: str) -> str | None:
    for position, char in enumerate(value, start=1):
        if not _is_name_char(char, extra):
            return (
                f"character {position} (U+{ord(char):04X} {_describe(char)}) "
                "is not a letter, digit" + (", '_' or '-'" if extra else " or '_'")
            )
    return None


def column_name_problem(value: str) -> str | None:
    """Why ``value`` cannot name a column, or None when it can."""
    if not value:
        return "is empty"
    if len(value) > MAX_COLUMN_NAME_CHARS:
        return f"is longer than {MAX_COLUMN_NAME_CHARS} characters"
    problem = _bad_character(value, "") or _spelling_problem(value) or _mixed_script_problem(value)
    if problem:
        return problem
    if not (_is_letter(value[0]) or value[0] == "_"):
        return "must start with a letter or '_'"
    return None


def dataset_name_problem(value: str) -> str | None:
    """Why ``value`` cannot name a dataset, or None when it can."""
    if not value:
        return "is empty"
    if len(value) > MAX_DATASET_NAME_CHARS:
        return f"is longer than {MAX_DATASET_NAME_CHARS} characters"
    if len(value.encode("utf-8")) > MAX_DATASET_NAME_BYTES:
        return f"is longer than {MAX_DATASET_NAME_BYTES} bytes in UTF-8"
    problem = _bad_character(value, "-") or _spelling_problem(value) or _mixed_script_problem(value)
    if problem:
        return problem
    if not _is_letter(value[0]) and not value[0].isdigit():
        return "must start with a letter or digit"
    if value != value.lower():
        # Customers and customers would be two datasets that read as one.
        return f"has upper-case letters: write it as {value.lower()!r}"
    return None
