"""The forms an identifier is compared in, so that a disguised copy still matches.

Approved code can write a mobile number as full-width digits, with
zero-width spaces between its digits, reversed, behind a leading zero, in
base64, hex or URL encoding, as ``mobile + 0.5`` or as ``5 * mobile``. Both
sides are reduced to the same keys: the index stores the keys of every input
value (``index_keys``), an output cell is expanded into every key it could
stand for (``text_candidates``, ``number_candidates``), and a cell matches when
one of its keys is in the index.

The keys of a value:
- its *canonical text*: Unicode NFKC (full-width to ASCII, ligatures apart),
  invisible characters (format characters such as zero-width spaces, soft
  hyphens, fillers, variation selectors) removed, lower-cased, trimmed;
- its *squeezed text*: only letters and digits kept, so ``W-a-n-g F.a.n.g``
  is ``wangfang``;
- its *digit keys*: the digits alone with leading zeros stripped, forward and
  reversed (the index holds both, so a reversed copy matches without a guess at
  what its trailing zeros were), and without a ``86`` country prefix.

An output cell's text is also split into tokens, decoded where it looks like
base64 (standard and URL-safe), hex or URL encoding (decoded text is expanded
again, ``MAX_DECODE_DEPTH`` levels deep), and read as a number where it is one.
A number is compared as itself and, for identifiers of at least
``LONG_DIGITS`` digits, after dropping a fractional offset (floor and ceiling)
and after dividing by ``k`` (when it divides) or multiplying by ``k`` (when that
gives a whole number) for ``k`` in 2..``MAX_FACTOR``. The offsets and factors
aim only at long identifiers: among seven-digit numbers a million customer
numbers are dense, and "some factor of this honest total is a customer number"
would then hold for most totals.

Everything is done on whole Arrow/NumPy arrays; Python loops only over the few
cells that look encoded. Candidates carry the position they came from and
whether they were reached through a disguise (anything beyond canonical text,
tokens and forward digits), so the checks can say which it was.
"""

from __future__ import annotations

import base64
import binascii
import re
import urllib.parse
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

#: One character (an initial, a gender code) identifies nobody.
MIN_LENGTH = 2
#: Digit runs shorter than this are counts, years and codes, not phone or ID numbers.
MIN_DIGITS = 7
#: Offsets and factors are tried only towards identifiers of at least this many digits.
LONG_DIGITS = 10
#: ``k`` in 2..MAX_FACTOR: ``5 * mobile`` and ``mobile / 3`` match, ``101 * mobile`` does not.
MAX_FACTOR = 100
#: base64 inside hex inside base64 is decoded; a fourth layer is not.
MAX_DECODE_DEPTH = 3
#: uint64 holds every number of up to 19 digits.
MAX_DIGITS = 19

# Characters that render as nothing: Unicode format characters (zero-width space
# and joiners, soft hyphen, bidi marks, word joiner, BOM), Hangul fillers, the
# combining grapheme joiner and variation selectors.
_INVISIBLE = (
    r"[\p{Cf}\x{034F}\x{115F}\x{1160}\x{17B4}\x{17B5}\x{180B}-\x{180E}\x{3164}"
    r"\x{FE00}-\x{FE0F}\x{FFA0}\x{E0100}-\x{E01EF}]"
)
_TOKEN_SEPARATORS = r"[\s,;:|/\\()\[\]{}<>\"'`=_#*&!?]+"  # noqa: S105 (not a password)
_FINE_SEPARATORS = r"[^\p{L}\p{N}+/=%]+"
_NOT_LETTER_OR_DIGIT = r"[^\p{L}\p{N}]+"
_NOT_DIGIT = r"[^0-9]+"
_COUNTRY_PREFIXED = r"^86[0-9]{11}$"
_NATIONAL_DIGITS = 11
# What an encoded cell looks like; plain digits are numbers, not base64.
_BASE64 = r"^[A-Za-z0-9+/_-]{8,}={0,2}$"
_HEX = r"^(?:[0-9A-Fa-f]{2}){4,}$"
_URL_ENCODED = r"%[0-9A-Fa-f]{2}"
_LOOKS_ENCODED = f"{_BASE64}|{_HEX}|{_URL_ENCODED}"
_PLAIN_INTEGER = r"^[+-]?[0-9]{1,19}$"
# Arrow writes 13800138000.5 as 1.38001380005e+10: the exponent form is a number too.
_PLAIN_DECIMAL = r"^[+-]?[0-9]{1,15}(?:\.[0-9]+)?(?:e[+-]?[0-9]{1,2})?$"
_LONG_DECIMAL = r"^[+-]?[0-9]{16,}\.[0-9]+$"
_ALL_DIGITS = re.compile(r"[0-9]+")
_HEX_DIGITS = re.compile(r"(?:[0-9A-Fa-f]{2})+")

_SMALLEST_KEY = 10 ** (MIN_DIGITS - 1)
# pyarrow's stubs type each compute kernel per concrete array class; these functions
# take string, numeric and dictionary arrays alike, so arrays are typed loosely here.
Arrow = Any

_POWERS_OF_TEN = np.array([10**n for n in range(MAX_DIGITS + 1)], dtype=np.uint64)

Positions = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Candidates:
    """Keys an array of cells could stand for, each with the cell it came from."""

    keys: Arrow  # strings
    parents: Positions  # position of the cell in the array that was expanded
    disguised: npt.NDArray[np.bool_]  # reached only through a disguise

    @classmethod
    def empty(cls) -> Candidates:
        return cls(pa.array([], pa.string()), _positions([]), np.zeros(0, dtype=np.bool_))

    @classmethod
    def of(cls, keys: Arrow, parents: Positions, *, disguised: bool) -> Candidates:
        """``keys`` without nulls and too-short keys (they would match anything)."""
        long_enough: Arrow = pc.greater_equal(_text_lengths(keys), _int(MIN_LENGTH))
        keep: Arrow = pc.fill_null(long_enough, False)
        mask = keep.to_numpy(zero_copy_only=False)
        return cls(
            pc.filter(keys, keep).cast(pa.string()),
            parents[mask],
            np.full(int(mask.sum()), disguised, dtype=np.bool_),
        )

    def __len__(self) -> int:
        return len(self.keys)


def concat(parts: Sequence[Candidates]) -> Candidates:
    parts = [p for p in parts if len(p)]
    if not parts:
        return Candidates.empty()
    # Large strings: a million rows' candidate keys pass the 2 GiB of one string array.
    return Candidates(
        pa.concat_arrays([p.keys.cast(pa.large_string()) for p in parts]),
        np.concatenate([p.parents for p in parts]),
        np.concatenate([p.disguised for p in parts]),
    )


# The canonical forms, on arrays of strings.


def visible_text(texts: Arrow) -> Arrow:
    """NFKC, invisible characters removed, trimmed; case kept (base64 needs it)."""
    if len(texts) and not pc.all(pc.string_is_ascii(texts)).as_py():
        texts = pc.utf8_normalize(texts, "NFKC")  # type: ignore[attr-defined]  # not in stubs
        texts = pc.replace_substring_regex(texts, _INVISIBLE, "")
    return pc.utf8_trim_whitespace(texts)


def canonical_text(texts: Arrow) -> Arrow:
    return pc.utf8_lower(visible_text(texts))


def squeezed(canonical: Arrow) -> Arrow:
    """Letters and digits only: separators between the characters of a name fall away."""
    return pc.replace_substring_regex(canonical, _NOT_LETTER_OR_DIGIT, "")


def digit_keys(canonical: Arrow) -> Arrow:
    """The digits of each text with leading zeros stripped; null when fewer than MIN_DIGITS."""
    return _long_enough(pc.utf8_ltrim(_digits(canonical), characters="0"))


def reversed_digit_keys(canonical: Arrow, number_lengths: Iterable[int] = ()) -> Arrow:
    """The digits reversed, leading zeros stripped, and also right-padded with zeros to
    each of ``number_lengths``: ``13800138000`` reversed and written as a number is
    ``83100831``, its trailing zeros gone with the leading ones."""
    reversed_keys = pc.utf8_ltrim(pc.utf8_reverse(_digits(canonical)), characters="0")
    padded = [reversed_keys]
    for width in sorted(set(number_lengths)):
        padded.append(pc.utf8_rpad(reversed_keys, width=width, padding="0"))
    return _long_enough(pa.concat_arrays([p.cast(pa.string()) for p in padded]))


def national_digit_keys(keys: Arrow) -> Arrow:
    """``86`` + 11 digits without the country prefix; null for other keys."""
    prefixed = _matching(keys, _COUNTRY_PREFIXED)
    national = pc.utf8_slice_codeunits(keys, start=-_NATIONAL_DIGITS)
    return pc.if_else(prefixed, national, pa.scalar(None, pa.string()))


def _int(value: int) -> Arrow:
    return pa.scalar(value, pa.int32())


def _text_lengths(texts: Arrow) -> Arrow:
    lengths: Arrow = pc.utf8_length(texts)
    return lengths


def _matching(texts: Arrow, pattern: str) -> Arrow:
    """Does each text match ``pattern`` (false for nulls)?"""
    matched: Arrow = pc.match_substring_regex(texts, pattern)
    return pc.fill_null(matched, False)


def _digits(texts: Arrow) -> Arrow:
    return pc.replace_substring_regex(texts, _NOT_DIGIT, "")


def _long_enough(keys: Arrow) -> Arrow:
    short = pc.less(_text_lengths(keys), _int(MIN_DIGITS))
    return pc.if_else(short, pa.scalar(None, pa.string()), keys)


@dataclass(frozen=True)
class IndexKeys:
    keys: Arrow  # every key, flat, no nulls
    number_lengths: frozenset[int]  # lengths of the digit keys


def index_keys(texts: Arrow) -> IndexKeys:
    """Every key an input value is indexed under."""
    canonical = canonical_text(texts)
    forward = digit_keys(canonical)
    national = national_digit_keys(forward)
    numbers = [forward, national]
    # Reversed digits are not indexed: the output's digits are reversed instead, so the
    # index holds no short keys (a mobile ending in 000, reversed) that honest totals hit.
    parts = [canonical, squeezed(canonical), *numbers]
    keys: Arrow = pa.concat_arrays([p.cast(pa.large_string()) for p in parts]).drop_null()
    long_enough: Arrow = pc.greater_equal(_text_lengths(keys), _int(MIN_LENGTH))
    keys = pc.filter(keys, long_enough)
    return IndexKeys(keys, _lengths(numbers))


def _lengths(arrays: Sequence[Arrow]) -> frozenset[int]:
    found: set[int] = set()
    for keys in arrays:
        found.update(v for v in pc.unique(_text_lengths(keys)).to_pylist() if v is not None)
    return frozenset(found)


# Expanding output cells.


def text_candidates(
    texts: Arrow, lengths: frozenset[int], depth: int = MAX_DECODE_DEPTH
) -> Candidates:
    """Every key the (non-null) ``texts`` could stand for; ``lengths`` are the digit
    counts of the index's numbers."""
    positions = _positions(range(len(texts)))
    visible = visible_text(texts)
    pieces_list = [visible]
    parents_list = [positions]
    # Coarse tokens keep e-mail addresses whole; fine ones free ``seg-<base64>``.
    for separators in (_TOKEN_SEPARATORS, _FINE_SEPARATORS):
        tokens = pc.split_pattern_regex(visible, separators)
        pieces_list.append(pc.list_flatten(tokens))
        parents_list.append(pc.list_parent_indices(tokens).to_numpy().astype(np.int64))
    pieces = pa.concat_arrays(pieces_list)
    piece_parents = np.concatenate(parents_list)
    canonical = pc.utf8_lower(pieces)
    forward = digit_keys(canonical)
    found = [
        Candidates.of(canonical, piece_parents, disguised=False),
        Candidates.of(forward, piece_parents, disguised=False),
        Candidates.of(national_digit_keys(forward), piece_parents, disguised=False),
        Candidates.of(squeezed(canonical[: len(texts)]), positions, disguised=True),
        _reversed(canonical, piece_parents, lengths),
        _numbers_in_text(canonical, piece_parents, lengths),
    ]
    if depth > 0:
        found.append(_decoded_candidates(pieces, piece_parents, lengths, depth - 1))
    return concat(found)


def _reversed(canonical: Arrow, parents: Positions, number_lengths: Iterable[int]) -> Candidates:
    keys = reversed_digit_keys(canonical, number_lengths)
    copies = len(keys) // max(len(canonical), 1)
    return Candidates.of(keys, np.tile(parents, copies), disguised=True)


def _numbers_in_text(canonical: Arrow, parents: Positions, lengths: frozenset[int]) -> Candidates:
    """Offsets and factors of the pieces that are plain numbers (``13800138000.5``)."""
    if not long_ranges_of(lengths):
        return Candidates.empty()
    integer = _matching(canonical, _PLAIN_INTEGER)
    decimal = _matching(canonical, _PLAIN_DECIMAL)
    found = []
    if pc.any(integer).as_py():
        digits = pc.filter(canonical, integer)
        exact = pc.utf8_ltrim(pc.utf8_ltrim(digits, characters="+-"), characters="0")
        fits = pc.less_equal(_text_lengths(exact), _int(MAX_DIGITS))
        whole: Arrow = pc.if_else(fits, exact, pa.scalar(None, pa.string()))
        empty: Arrow = pc.equal(whole, pa.scalar("", pa.string()))
        as_int: Arrow = pc.if_else(empty, "0", whole).cast(pa.uint64())
        filled: Arrow = pc.fill_null(as_int, 0)
        ints = filled.to_numpy()
        rows = parents[integer.to_numpy(zero_copy_only=False)]
        # Texts of digits already gave their digit keys; only the factors are new here.
        found.append(_factors_only(ints, lengths, rows))
    if pc.any(decimal).as_py():
        decimals = pc.filter(canonical, decimal)
        rows = parents[decimal.to_numpy(zero_copy_only=False)]
        found.append(number_candidates(decimals.cast(pa.float64()).to_numpy(), lengths, rows))
    # An integer part too long for a float (an ID number ``.5``) keeps its digits.
    longer = _matching(canonical, _LONG_DECIMAL)
    if pc.any(longer).as_py():
        integer_part = pc.replace_substring_regex(pc.filter(canonical, longer), r"\..*$", "")
        rows = parents[longer.to_numpy(zero_copy_only=False)]
        found.append(Candidates.of(digit_keys(integer_part), rows, disguised=True))
    return concat(found)


def _factors_only(
    ints: npt.NDArray[np.uint64], lengths: frozenset[int], rows: Positions
) -> Candidates:
    long_ranges = long_ranges_of(lengths)
    bases = _in_ranges(ints, rows, _factor_ranges(long_ranges))
    return _integer_keys(*_divided(*bases, long_ranges), disguised=True)


def _decoded_candidates(
    pieces: Arrow, parents: Positions, lengths: frozenset[int], depth: int
) -> Candidates:
    looks = _matching(pieces, _LOOKS_ENCODED)
    hexed_digits = _matching(pieces, r"^(?:3[0-9]){4,}$")
    # Plain digits are numbers (only digits spelling hex are decoded): this keeps the
    # decoded digits of one layer from being tried again as base64 at the next.
    digits_only = _matching(pieces, r"^[0-9]+$")
    suspects: Arrow = pc.or_(pc.and_not(looks, digits_only), hexed_digits)
    if not pc.any(suspects).as_py():
        return Candidates.empty()
    texts = pc.filter(pieces, suspects).to_pylist()
    rows = parents[suspects.to_numpy(zero_copy_only=False)]
    decoded: list[str] = []
    decoded_rows: list[int] = []
    for text, row in zip(texts, rows.tolist(), strict=True):
        for plain in decodings(text):
            decoded.append(plain)
            decoded_rows.append(row)
    if not decoded:
        return Candidates.empty()
    inner = text_candidates(pa.array(decoded, pa.string()), lengths, depth)
    return Candidates(
        inner.keys, _positions(decoded_rows)[inner.parents], np.ones(len(inner), dtype=np.bool_)
    )


def decodings(text: str) -> list[str]:
    """What ``text`` says if it is base64 (standard or URL-safe), hex or URL-encoded.

    Decoded bytes that are not UTF-8 text but are 4 to 8 bytes long are also read as
    an unsigned integer, both byte orders: a mobile number fits in eight bytes.
    """
    found: list[str] = []
    raw: list[bytes] = []
    if "%" in text:
        unquoted = urllib.parse.unquote(text, errors="strict") if _valid_url(text) else text
        if unquoted != text:
            found.append(unquoted)
    if _HEX_DIGITS.fullmatch(text):
        raw.append(bytes.fromhex(text))
    if not _ALL_DIGITS.fullmatch(text):
        padded = text + "=" * (-len(text) % 4)
        for decode in (base64.b64decode, base64.urlsafe_b64decode):
            try:
                raw.append(decode(padded.encode("ascii")))
            except (binascii.Error, ValueError):
                continue
    for data in raw:
        try:
            found.append(data.decode("utf-8"))
        except UnicodeDecodeError:
            if 4 <= len(data) <= 8:
                found.append(str(int.from_bytes(data, "big")))
                found.append(str(int.from_bytes(data, "little")))
    return list(dict.fromkeys(f for f in found if f and f != text))


def _valid_url(text: str) -> bool:
    try:
        urllib.parse.unquote(text, errors="strict")
    except UnicodeDecodeError:
        return False
    return True


# Numbers.


def number_candidates(
    values: npt.NDArray[Any],
    lengths: frozenset[int],
    parents: Positions | None = None,
    *,
    plain: bool = True,
) -> Candidates:
    """Keys a numeric array could stand for: itself and its digits reversed (whole
    numbers), and towards the long identifier ranges its floor and ceiling and its
    quotients and multiples by 2..MAX_FACTOR.

    ``lengths`` are the digit counts of the index's numbers: numbers that cannot reach
    one are not turned into text at all, which keeps an honest column of totals cheap.
    ``plain=False`` leaves out the number itself (its text already gave it).
    """
    long_ranges = long_ranges_of(lengths)
    rows = np.arange(len(values), dtype=np.int64) if parents is None else parents
    # Every key has at least MIN_DIGITS digits and every transform shrinks a number by at
    # most MAX_FACTOR towards a long identifier: smaller numbers (most honest ones) go now.
    if values.dtype.kind in "iu":
        if values.dtype == np.uint64:
            magnitudes = values.astype(np.uint64, copy=False)
        else:
            magnitudes = np.abs(values.astype(np.int64, copy=False)).astype(np.uint64)
        reach = magnitudes >= np.uint64(_SMALLEST_KEY)
        whole, whole_rows = magnitudes[reach], rows[reach]
        offsets = np.zeros(0, dtype=np.uint64), _positions([])
        fractions: tuple[npt.NDArray[np.float64], Positions] = (np.zeros(0), _positions([]))
    else:
        floats = np.abs(values.astype(np.float64, copy=False))
        finite = (floats >= _SMALLEST_KEY) & (floats < float(_POWERS_OF_TEN[-1]))
        floats, rows = floats[finite], rows[finite]
        integral = np.floor(floats) == floats
        whole, whole_rows = floats[integral].astype(np.uint64), rows[integral]
        fractional, fraction_rows = floats[~integral], rows[~integral]
        # A fraction matters only towards a long identifier: offsets, quotients, multiples.
        lowest = min((low for low, _ in long_ranges), default=float("inf")) / MAX_FACTOR
        near_long = fractional >= lowest
        fractional, fraction_rows = fractional[near_long], fraction_rows[near_long]
        fractions = (fractional, fraction_rows)
        offsets = (
            np.concatenate([np.floor(fractional), np.ceil(fractional)]).astype(np.uint64),
            np.concatenate([fraction_rows, fraction_rows]),
        )
    as_is = _integer_keys(*_of_lengths(whole, whole_rows, lengths), disguised=False)
    found = [as_is if plain else Candidates.empty(), _reversed_numbers(whole, whole_rows, lengths)]
    if not long_ranges:
        return concat(found)
    near = _in_ranges(*offsets, long_ranges)
    bases = np.concatenate([whole, offsets[0]]), np.concatenate([whole_rows, offsets[1]])
    divisible = _in_ranges(*bases, _factor_ranges(long_ranges))
    return concat(
        [
            *found,
            _integer_keys(*near, disguised=True),
            _integer_keys(*_divided(*divisible, long_ranges), disguised=True),
            _integer_keys(*_multiplied(*fractions, long_ranges), disguised=True),
        ]
    )


def _reversed_numbers(
    whole: npt.NDArray[np.uint64], rows: Positions, lengths: frozenset[int]
) -> Candidates:
    """A reversed identifier written as a number: as long as the identifier, or shorter
    by the zeros it ended in; never longer."""
    if not lengths:
        return Candidates.empty()
    reach = [(10 ** (MIN_DIGITS - 1), 10 ** max(lengths))]
    values, value_rows = _in_ranges(whole, rows, reach)
    if not len(values):
        return Candidates.empty()
    texts = pa.array(values, pa.uint64()).cast(pa.string())
    keys = reversed_digit_keys(texts, lengths)
    copies = len(keys) // len(texts)
    return Candidates.of(keys, np.tile(value_rows, copies), disguised=True)


def long_ranges_of(lengths: Iterable[int]) -> tuple[tuple[int, int], ...]:
    """``[10**(n-1), 10**n)`` for each digit count ``n`` at least LONG_DIGITS."""
    return tuple(
        (10 ** (n - 1), 10**n) for n in sorted(set(lengths)) if LONG_DIGITS <= n <= MAX_DIGITS
    )


def _factor_ranges(long_ranges: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    return [(low * 2, high * MAX_FACTOR) for low, high in long_ranges]


def _in_ranges(
    values: npt.NDArray[np.uint64], rows: Positions, ranges: Sequence[tuple[int, int]]
) -> tuple[npt.NDArray[np.uint64], Positions]:
    if not len(values) or not ranges:
        return np.zeros(0, dtype=np.uint64), _positions([])
    keep = np.zeros(len(values), dtype=np.bool_)
    for low, high in ranges:
        keep |= (values >= np.uint64(low)) & (values < np.uint64(min(high, 2**64 - 1)))
    return values[keep], rows[keep]


def _of_lengths(
    values: npt.NDArray[np.uint64], rows: Positions, lengths: Iterable[int]
) -> tuple[npt.NDArray[np.uint64], Positions]:
    return _in_ranges(values, rows, [(10 ** (n - 1), 10**n) for n in set(lengths) if n >= 1])


def _divided(
    bases: npt.NDArray[np.uint64], rows: Positions, long_ranges: Sequence[tuple[int, int]]
) -> tuple[npt.NDArray[np.uint64], Positions]:
    quotients: list[npt.NDArray[np.uint64]] = []
    quotient_rows: list[Positions] = []
    for k in range(2, MAX_FACTOR + 1):
        factor = np.uint64(k)
        for low, high in long_ranges:
            keep = (bases >= np.uint64(low) * factor) & (bases % factor == 0)
            if high * k < 2**64:
                keep &= bases < np.uint64(high * k)
            if keep.any():
                quotients.append(bases[keep] // factor)
                quotient_rows.append(rows[keep])
    if not quotients:
        return np.zeros(0, dtype=np.uint64), _positions([])
    return np.concatenate(quotients), np.concatenate(quotient_rows)


def _multiplied(
    fractions: npt.NDArray[np.float64], rows: Positions, long_ranges: Sequence[tuple[int, int]]
) -> tuple[npt.NDArray[np.uint64], Positions]:
    """``mobile / 3`` written as 4600046000.333…: multiplied back when whole within float
    error. Amounts of at most two decimals are left alone: a price times 100 is its cents,
    and among a million 11-digit mobiles some cents figure would match by chance."""
    products: list[npt.NDArray[np.uint64]] = []
    product_rows: list[Positions] = []
    low = min(r[0] for r in long_ranges)
    high = max(r[1] for r in long_ranges)
    candidates = (fractions >= low / MAX_FACTOR) & (fractions < high / 2)
    fractions, rows = fractions[candidates], rows[candidates]
    cents = fractions * 100
    not_money = np.abs(cents - np.rint(cents)) > np.maximum(1e-6, cents * 1e-13)
    fractions, rows = fractions[not_money], rows[not_money]
    if not len(fractions):
        return np.zeros(0, dtype=np.uint64), _positions([])
    for k in range(2, MAX_FACTOR + 1):
        scaled = fractions * k
        nearest = np.rint(scaled)
        whole = np.abs(scaled - nearest) <= np.maximum(1e-6, nearest * 1e-13)
        if whole.any():
            products.append(nearest[whole].astype(np.uint64))
            product_rows.append(rows[whole])
    if not products:
        return np.zeros(0, dtype=np.uint64), _positions([])
    values, value_rows = np.concatenate(products), np.concatenate(product_rows)
    return _in_ranges(values, value_rows, long_ranges)


def _integer_keys(
    values: npt.NDArray[np.uint64], rows: Positions, *, disguised: bool
) -> Candidates:
    if not len(values):
        return Candidates.empty()
    keys = pa.array(values, pa.uint64()).cast(pa.string())
    return Candidates(keys, rows, np.full(len(values), disguised, dtype=np.bool_))


def sorted_unique(values: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """``np.unique`` by sorting: NumPy 2's hash-based unique takes tens of seconds on
    millions of random 64-bit digests, a sort well under one."""
    ordered = np.sort(values)
    if not len(ordered):
        return ordered
    return ordered[np.concatenate(([True], ordered[1:] != ordered[:-1]))]


def _positions(values: Iterable[int]) -> Positions:
    if isinstance(values, range):
        return np.arange(values.start, values.stop, values.step, dtype=np.int64)
    return np.fromiter(values, dtype=np.int64)


# Whole columns.


@dataclass(frozen=True)
class ColumnCandidates:
    """Candidates of a column's distinct values, and which rows hold which value."""

    candidates: Candidates  # parents are positions among the distinct values
    rows: Positions  # the rows that hold a value (nulls left out)
    value_of_row: Positions | None  # for each of ``rows``, its value; None: one per row

    def rows_of(self, values: Positions) -> Positions:
        """The rows holding any of the distinct ``values``."""
        if self.value_of_row is None:
            return self.rows[values]
        return self.rows[np.isin(self.value_of_row, values)]


def column_candidates(column: Arrow, lengths: frozenset[int]) -> ColumnCandidates:
    """Every key the cells of ``column`` could stand for; each distinct value expanded once."""
    array: Arrow = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    data_type = array.type
    empty = ColumnCandidates(Candidates.empty(), _positions([]), _positions([]))
    if pa.types.is_null(data_type) or pa.types.is_boolean(data_type):
        return empty
    is_valid: Arrow = pc.is_valid(array)
    valid = is_valid.to_numpy(zero_copy_only=False)
    rows = np.flatnonzero(valid).astype(np.int64)
    present = array.filter(pa.array(valid))
    if not len(present):
        return empty
    if pa.types.is_decimal(data_type):
        present = _decimal_as_number(present)
    if pa.types.is_integer(present.type) or pa.types.is_floating(present.type):
        # Numbers are screened in one pass each; a sort for distinct values costs more.
        return ColumnCandidates(number_candidates(present.to_numpy(), lengths), rows, None)
    if pa.types.is_dictionary(present.type):
        present = present.cast(present.type.value_type)
    if not (pa.types.is_string(present.type) or pa.types.is_large_string(present.type)):
        present = present.cast(pa.string())  # dates and times, as ISO text
    encoded = pc.dictionary_encode(present)
    distinct = encoded.dictionary
    as_number = _plain_numbers(distinct)
    if as_number is not None:
        candidates = number_candidates(as_number, lengths)
    else:
        candidates = text_candidates(distinct, lengths)
    return ColumnCandidates(candidates, rows, encoded.indices.to_numpy().astype(np.int64))


def _decimal_as_number(values: Arrow) -> Arrow:
    # Whole decimals of up to 18 digits are exact as int64; others are compared as floats.
    if values.type.scale == 0 and values.type.precision <= 18:
        return values.cast(pa.int64())
    return values.cast(pa.float64())


def _plain_numbers(texts: Arrow) -> npt.NDArray[Any] | None:
    """A text column of plain numbers (a CSV read as text), as numbers; else ``None``.

    Reading them as numbers keeps a million-row CSV column cheap. Digits that spell hex
    (``3133…``) stay text: they are decoded as text.
    """
    if pc.any(pc.match_substring_regex(texts, r"^(?:3[0-9]){4,}$")).as_py():
        return None
    if pc.all(pc.match_substring_regex(texts, r"^-?[0-9]{1,18}$")).as_py():
        integers: Arrow = pc.cast(texts, pa.int64())
        return np.asarray(integers.to_numpy())
    if pc.all(pc.match_substring_regex(texts, _PLAIN_DECIMAL, ignore_case=True)).as_py():
        floats: Arrow = pc.cast(texts, pa.float64())
        return np.asarray(floats.to_numpy())
    return None
