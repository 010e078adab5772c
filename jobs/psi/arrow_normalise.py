"""Normalising the owner's key column where it lives, in Arrow: the server's fast path.

The owner's identifiers arrive as one Arrow string column of up to millions of
rows. Mainland mobiles, the common kind, are normalised here by Arrow's compute
kernels (RE2) over the whole column at once, several times faster than a Python
loop; a value the vectorised path does not accept goes through
``normalise_identifier`` one by one, so every value gets exactly the spelling the
partner's pure-Python client gives it (tests compare the two). Other kinds take
the Python path directly. Only the server imports this module: the partner's
light client has no pyarrow.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, cast

import pyarrow as pa
import pyarrow.compute as pc

from jobs.psi.errors import SetTooLarge
from jobs.psi.normalise import (
    DEFAULT_MAX_MALFORMED_FRACTION,
    IdentifierKind,
    NormalisedRows,
    cn_mobile_patterns,
    counted_rows,
    normalise_identifier,
    normalise_rows,
)


def normalise_column(
    column: pa.ChunkedArray[Any],
    kind: IdentifierKind,
    *,
    cap: int,
    label: str,
    max_malformed_fraction: float = DEFAULT_MAX_MALFORMED_FRACTION,
) -> NormalisedRows:
    """``normalise_rows`` over an Arrow column, with the same counts and refusals."""
    if len(column) > cap:
        raise SetTooLarge(label, cap=cap)
    text = pc.cast(column, pa.string())
    if kind is not IdentifierKind.MOBILE:
        return normalise_rows(
            text.to_pylist(),
            kind,
            cap=cap,
            label=label,
            max_malformed_fraction=max_malformed_fraction,
        )
    shortcut = _mobile_shortcut(text)
    keys: list[str | None] = shortcut.to_pylist()
    # The values the shortcut left out take the Python path, one by one.
    rest = pc.indices_nonzero(pc.and_(pc.is_null(shortcut), pc.is_valid(text)))
    for row in cast("list[int]", rest.to_pylist()):  # indices are never null
        keys[row] = normalise_identifier(text[row].as_py(), kind)
    # Counting reads the values only where a key is missing; a clean column skips it.
    values = text.to_pylist() if None in keys else keys
    return counted_rows(values, keys, label=label, max_malformed_fraction=max_malformed_fraction)


def _mobile_shortcut(text: pa.ChunkedArray[Any]) -> pa.ChunkedArray[Any]:
    """``+86`` and the national number where the shortcut applies, null elsewhere.

    The same steps as the Python shortcut in ``normalise``: spaces and hyphens
    dropped, an optional +86 / 0086 / 86, then a national number that the region's
    general and mobile patterns both accept in full. RE2's ``\\d`` is ASCII only.
    """
    general, mobile, prefix = _patterns()
    compact = pc.replace_substring(pc.replace_substring(text, " ", ""), "-", "")
    national = pc.struct_field(pc.extract_regex(compact, prefix), [0])
    valid = pc.and_kleene(
        pc.match_substring_regex(national, general), pc.match_substring_regex(national, mobile)
    )
    keys: pa.ChunkedArray[Any] = pc.if_else(
        valid, pc.binary_join_element_wise("+86", national, ""), None
    )
    return keys


@lru_cache(maxsize=1)
def _patterns() -> tuple[str, str, str]:
    general, mobile = cn_mobile_patterns()
    return (
        f"^(?:{general})$",
        f"^(?:{mobile})$",
        r"^(?:\+86|0086|86)?(?P<national>1[3-9][0-9]{9})$",
    )
