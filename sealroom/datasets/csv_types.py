"""Which Arrow type a CSV column gets, decided from every value, not the first block.

Arrow's own inference looks at the first block only and then fails mid-stream on
the first value that does not fit; it also turns "0571" into 571. Here a column
is typed only if every value converts without loss, so registering a file never
changes what the owner's cells say.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

STRING = "string"
BOOL = "bool"
INT64 = "int64"
DOUBLE = "double"
DATE32 = "date32[day]"

ARROW_TYPES: dict[str, pa.DataType] = {
    STRING: pa.string(),
    BOOL: pa.bool_(),
    INT64: pa.int64(),
    DOUBLE: pa.float64(),
    DATE32: pa.date32(),
}
# The only spellings of true and false converted to booleans; "1"/"0" and "是"/"否"
# stay as they are written.
TRUE_VALUES = ["true", "True", "TRUE"]
FALSE_VALUES = ["false", "False", "FALSE"]

_BOOL_RE = "^(" + "|".join(TRUE_VALUES + FALSE_VALUES) + ")$"
# Integers without a leading zero or plus sign (those are codes: 0571, +86...), and
# of at most ten digits: longer digit strings are nearly always identifiers (mobile
# numbers have 11 digits, resident IDs 18, card numbers 16-19) that must keep every
# digit as issued and compare as text with the partner's, not quantities.
_INT_RE = r"^(0|-?[1-9][0-9]{0,9})$"
_FLOAT_RE = r"^[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$"
_HAS_FRACTION_OR_EXPONENT_RE = r"[.eE]"
_ISO_DATE_RE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"

# When several types fit every value, the first one in this order wins.
_PREFERENCE = (BOOL, INT64, DOUBLE, DATE32)


class ColumnTyper:
    """Narrows one column's possible types as batches of its text values stream by."""

    def __init__(self) -> None:
        self._candidates = set(_PREFERENCE)
        self._seen_value = False

    def observe(self, values: pa.Array[Any]) -> None:
        present = values.drop_null()
        if len(present) == 0 or not self._candidates:
            return
        self._seen_value = True
        for kind in tuple(self._candidates):
            if not _all_convert(kind, present):
                self._candidates.discard(kind)

    @property
    def arrow_type(self) -> str:
        """The type name; a column with no values at all stays text."""
        if self._seen_value:
            for kind in _PREFERENCE:
                if kind in self._candidates:
                    return kind
        return STRING


def _all_match(values: pa.Array[Any], pattern: str) -> bool:
    return bool(pc.all(pc.match_substring_regex(values, pattern)).as_py())


def _all_convert(kind: str, values: pa.Array[Any]) -> bool:
    if kind == BOOL:
        return _all_match(values, _BOOL_RE)
    if kind == INT64:
        return _all_match(values, _INT_RE)
    if kind == DOUBLE:
        integer = pc.match_substring_regex(values, _INT_RE)
        decimal = pc.and_(
            pc.match_substring_regex(values, _FLOAT_RE),
            pc.match_substring_regex(values, _HAS_FRACTION_OR_EXPONENT_RE),
        )
        return bool(pc.all(pc.or_(integer, decimal)).as_py())
    if kind == DATE32:
        if not _all_match(values, _ISO_DATE_RE):
            return False
        try:
            # The pattern lets 2023-02-30 through; the cast does not.
            pc.cast(values, pa.date32())
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            return False
        return True
    raise AssertionError(f"no conversion check for {kind}")
