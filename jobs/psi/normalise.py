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
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

import phonenumbers
from stdnum.cn import ric

from jobs.psi.errors import IdentifierListRejected, SetTooLarge


class IdentifierKind(StrEnum):
    MOBILE = "mobile"  # mainland mobile numbers, to E.164 (+86...)
    CN_RESIDENT_ID = "cn_resident_id"  # 18-character resident ID, upper-cased, checksum checked
    EMAIL = "email"  # trimmed and lower-cased
    PLAIN = "plain"  # trimmed only: an opaque customer number both sides already share


_SEPARATORS = re.compile(r"[\s\-]+")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# A mainland mobile number in its usual spellings: 11 digits from 13 to 19, with or
# without +86 / 0086, separators already removed.
_PLAIN_CN_MOBILE = re.compile(r"(?:\+86|0086|86)?(1[3-9]\d{9})")

# The default share of malformed entries tolerated before a list is refused: a few
# typos are normal, a third of the list is the wrong column.
DEFAULT_MAX_MALFORMED_FRACTION = 0.05


def normalise_identifier(raw: str, kind: IdentifierKind) -> str | None:
    """The canonical spelling of one identifier, or ``None`` when it is malformed."""
    text = raw.strip()
    if kind is IdentifierKind.MOBILE:
        return _mobile(text)
    if kind is IdentifierKind.CN_RESIDENT_ID:
        compact = _SEPARATORS.sub("", text).upper()
        return compact if ric.is_valid(compact) else None
    if kind is IdentifierKind.EMAIL:
        lowered = text.lower()
        return lowered if _EMAIL.match(lowered) else None
    return text


def _mobile(text: str) -> str | None:
    # Parsing with phonenumbers costs ~60 us a number, most of a large list's time.
    # The common spellings of a mainland mobile take this shortcut: a number that
    # fits both the region's general pattern and its mobile pattern is exactly what
    # ``is_valid_number`` accepts, with these patterns from the same metadata
    # (tests compare the two paths). Anything else takes the full parse.
    plain = _PLAIN_CN_MOBILE.fullmatch(_SEPARATORS.sub("", text))
    if plain is not None:
        national = plain.group(1)
        general, mobile = _cn_patterns()
        if general.fullmatch(national) and mobile.fullmatch(national):
            return "+86" + national
    return _parsed_mobile(text)


@lru_cache(maxsize=1)
def _cn_patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    metadata = phonenumbers.PhoneMetadata.metadata_for_region("CN")
    assert metadata is not None and metadata.general_desc and metadata.mobile, "CN metadata"
    general = metadata.general_desc.national_number_pattern
    mobile = metadata.mobile.national_number_pattern
    assert general is not None and mobile is not None, "CN number patterns"
    return re.compile(general), re.compile(mobile)


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
    """Distinct canonical identifiers with the input row each came from (first occurrence)."""

    ids: tuple[str, ...]
    rows: tuple[int, ...]
    report: NormalisationReport


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
    keys: list[str | None] = []
    seen: set[str] = set()
    blanks = malformed = duplicates = 0
    for row, value in enumerate(raw):
        if row >= cap:
            raise SetTooLarge(label, cap=cap)
        if value is None or not value.strip():
            blanks += 1
            keys.append(None)
            continue
        canonical = normalise_identifier(value, kind)
        keys.append(canonical)
        if canonical is None:
            malformed += 1
        elif canonical in seen:
            duplicates += 1
        else:
            seen.add(canonical)
    total = len(keys)
    limit = int(total * max_malformed_fraction)
    if blanks + malformed > limit:
        raise IdentifierListRejected(
            label, total=total, blanks=blanks, malformed=malformed, limit=limit
        )
    report = NormalisationReport(
        total=total, kept=len(seen), blanks=blanks, malformed=malformed, duplicates=duplicates
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
    first: dict[str, int] = {}
    for row, key in enumerate(rows.keys):
        if key is not None:
            first.setdefault(key, row)
    return NormalisedIds(ids=tuple(first), rows=tuple(first.values()), report=rows.report)
