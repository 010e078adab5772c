"""Identifier normalisation: both sides must spell one person the same way.

PSI matches bytes, so ``138 0013 8000`` and ``+8613800138000`` are different people
unless both sides normalise first. Normalisation runs locally on each side and
leaks nothing. It also drops blanks and duplicates (a duplicate would be counted
twice in an intersection) and refuses lists that are mostly malformed (usually the
wrong column) or above the run's cap (checked while reading, so a 10-million-row
file is refused without being held in memory).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from itertools import islice
from typing import cast

import phonenumbers

from jobs.psi.errors import IdentifierListRejected, SetTooLarge
from jobs.resident_id import is_resident_id


class IdentifierKind(StrEnum):
    MOBILE = "mobile"  # mainland mobile numbers, to E.164 (+86...)
    CN_RESIDENT_ID = "cn_resident_id"  # 18-character resident ID, upper-cased, checksum checked
    EMAIL = "email"  # trimmed and lower-cased
    PLAIN = "plain"  # trimmed only: an opaque customer number both sides already share


_SEPARATORS = re.compile(r"[\s\-]+")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

# The default share of malformed entries tolerated before a list is refused: a few
# typos are normal, a third of the list is the wrong column.
DEFAULT_MAX_MALFORMED_FRACTION = 0.05


def normalise_identifier(raw: str, kind: IdentifierKind) -> str | None:
    """The canonical spelling of one identifier, or ``None`` when it is malformed."""
    return _normaliser(kind)(raw)


def _normaliser(kind: IdentifierKind) -> Callable[[str], str | None]:
    if kind is IdentifierKind.MOBILE:
        return _mobile
    if kind is IdentifierKind.CN_RESIDENT_ID:
        return _resident_id
    if kind is IdentifierKind.EMAIL:
        return _email
    return _plain


def _normalise_all(values: list[str | None], kind: IdentifierKind) -> list[str | None]:
    """``normalise_identifier`` over a whole list, ``None`` for a blank or missing entry."""
    if kind is IdentifierKind.MOBILE:
        # A million-row list spends most of its time here: the shortcut inline, no
        # function call per row.
        shortcut = _cn_mobile_shortcut().fullmatch
        keys: list[str | None] = []
        append = keys.append
        for value in values:
            if value is None:
                append(None)
            elif match := shortcut(value.replace(" ", "").replace("-", "")):
                append("+86" + match.group(1))
            else:
                append(_parsed_mobile(value.strip()) if value.strip() else None)
        return keys
    normalise = _normaliser(kind)
    return [None if value is None else normalise(value) for value in values]


def _plain(raw: str) -> str | None:
    return raw.strip() or None


def _resident_id(raw: str) -> str | None:
    compact = _SEPARATORS.sub("", raw.strip()).upper()
    return compact if is_resident_id(compact) else None


def _email(raw: str) -> str | None:
    lowered = raw.strip().lower()
    return lowered if _EMAIL.match(lowered) else None


def _mobile(raw: str) -> str | None:
    # Parsing with phonenumbers costs ~60 us a number, most of a large list's time.
    # The common spellings of a mainland mobile take a shortcut: one match against
    # the region's general and mobile patterns from the same metadata, which is
    # exactly what ``is_valid_number`` checks (tests compare the two paths). Spaces
    # and hyphens go by str.replace, several times cheaper than the regex; a spelling
    # with any other separator misses the shortcut and takes the full parse, which
    # also turns non-ASCII digits into ASCII ones.
    shortcut = _cn_mobile_shortcut().fullmatch(raw.replace(" ", "").replace("-", ""))
    if shortcut is not None:
        return "+86" + shortcut.group(1)
    return _parsed_mobile(raw.strip())


@lru_cache(maxsize=1)
def cn_mobile_patterns() -> tuple[str, str]:
    """The CN metadata's general and mobile national-number patterns, as phonenumbers has them."""
    metadata = phonenumbers.PhoneMetadata.metadata_for_region("CN")
    assert metadata is not None and metadata.general_desc and metadata.mobile, "CN metadata"
    general = metadata.general_desc.national_number_pattern
    mobile = metadata.mobile.national_number_pattern
    assert general is not None and mobile is not None, "CN number patterns"
    return general, mobile


@lru_cache(maxsize=1)
def _cn_mobile_shortcut() -> re.Pattern[str]:
    """``[+86|0086|86]`` and a national number that both CN metadata patterns accept.

    ASCII only: Python's ``\\d`` also matches other scripts' digits, which would pass
    through unconverted.
    """
    general, mobile = cn_mobile_patterns()
    national = rf"(?=(?:{general})$)(?=1[3-9][0-9]{{9}}$)(?:{mobile})"
    return re.compile(rf"(?:\+86|0086|86)?({national})", re.ASCII)


def _parsed_mobile(text: str) -> str | None:
    try:
        number = phonenumbers.parse(text, "CN")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@dataclass(frozen=True)
class NormalisationReport:
    """Counts only: a report may be shown to the other side, identifiers never."""

    total: int
    kept: int
    blanks: int
    malformed: int
    duplicates: int


@dataclass(frozen=True)
class NormalisedIds:
    """Distinct canonical identifiers, in the order of their first occurrence."""

    ids: tuple[str, ...]
    report: NormalisationReport
    keys: tuple[str | None, ...] = field(repr=False)  # row-aligned, as ``NormalisedRows``

    @property
    def rows(self) -> tuple[int, ...]:
        """The input row each identifier first came from, aligned to ``ids``."""
        first: dict[str, int] = {}
        for row, key in enumerate(self.keys):
            if key is not None and key not in first:
                first[key] = row
        return tuple(first.values())


@dataclass(frozen=True)
class NormalisedRows:
    """One canonical identifier per input row (``None`` for a blank or malformed one).

    The owner's side of psi_sum needs this row-aligned form: its value columns are
    aligned to the rows, and rows sharing an identifier are summed, not dropped.
    """

    keys: tuple[str | None, ...]
    report: NormalisationReport


def normalise_rows(
    raw: Iterable[str | None],
    kind: IdentifierKind,
    *,
    cap: int,
    label: str = "identifier list",
    max_malformed_fraction: float = DEFAULT_MAX_MALFORMED_FRACTION,
) -> NormalisedRows:
    """Normalise row by row; count and refuse like ``normalise_ids``.

    ``cap`` bounds the rows read, so an oversized file is refused after ``cap + 1``
    rows whatever it contains.
    """
    values = list(islice(raw, cap + 1))
    if len(values) > cap:
        raise SetTooLarge(label, cap=cap)
    return counted_rows(
        values,
        _normalise_all(values, kind),
        label=label,
        max_malformed_fraction=max_malformed_fraction,
    )


def counted_rows(
    values: list[str | None],
    keys: list[str | None],
    *,
    label: str,
    max_malformed_fraction: float = DEFAULT_MAX_MALFORMED_FRACTION,
) -> NormalisedRows:
    """Row-aligned keys of ``values`` with their counts, or the refusal of a bad list."""
    blanks = malformed = 0
    if None in keys:  # the rare failures are counted one by one, the rest never
        for value, key in zip(values, keys, strict=True):
            if key is None:
                if value is None or not value.strip():
                    blanks += 1
                else:
                    malformed += 1
    total = len(keys)
    limit = int(total * max_malformed_fraction)
    if blanks + malformed > limit:
        raise IdentifierListRejected(
            label, total=total, blanks=blanks, malformed=malformed, limit=limit
        )
    kept = len(set(keys)) - (1 if blanks + malformed else 0)  # None stands for them all
    report = NormalisationReport(
        total=total,
        kept=kept,
        blanks=blanks,
        malformed=malformed,
        duplicates=total - blanks - malformed - kept,
    )
    return NormalisedRows(keys=tuple(keys), report=report)


def normalise_ids(
    raw: Iterable[str | None],
    kind: IdentifierKind,
    *,
    cap: int,
    label: str = "identifier list",
    max_malformed_fraction: float = DEFAULT_MAX_MALFORMED_FRACTION,
) -> NormalisedIds:
    """Normalise, de-duplicate and count a list; refuse it above ``cap`` rows or when bad."""
    rows = normalise_rows(
        raw, kind, cap=cap, label=label, max_malformed_fraction=max_malformed_fraction
    )
    return distinct_ids(rows)


def distinct_ids(rows: NormalisedRows) -> NormalisedIds:
    """The distinct identifiers of row-aligned keys, in order of first occurrence."""
    distinct = dict.fromkeys(rows.keys)
    distinct.pop(None, None)
    ids = cast("tuple[str, ...]", tuple(distinct))  # None, the only non-str key, is gone
    return NormalisedIds(ids=ids, report=rows.report, keys=rows.keys)
