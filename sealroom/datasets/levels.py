"""The five column classification levels a contract knows, and who may set which.

The levels are the contract's vocabulary (DESIGN.md, "Contracts"). They decide what
the output checks protect and which export path the ledger counts a release under.
"""

from __future__ import annotations

from enum import StrEnum


class ColumnLevel(StrEnum):
    # A value that singles out one person by itself and reaches them or joins on
    # them (mobile number, e-mail): masked in debug samples, never in outputs,
    # and the join key of PSI.
    IDENTIFIER = "identifier"
    # Personal information in the sense of PIPL art. 4 that is not sensitive.
    PERSONAL = "personal"
    # Sensitive personal information, PIPL art. 28: counts towards the 10,000-person
    # threshold for export (2024 Provisions on cross-border data flows, arts. 7-8).
    SENSITIVE_PERSONAL = "sensitive_personal"
    # Important data (Data Security Law art. 21; 2024 Provisions art. 2): identified
    # by sector catalogues and the authorities, never by looking at values, so only
    # the owner sets it.
    IMPORTANT = "important"
    # No personal information and no important data.
    GENERAL = "general"


# Levels in order of protection, most protected first: when two detectors are
# equally sure, the column gets the stricter level, because under-classifying a
# column lets its values leave with less scrutiny than the law requires.
STRICTNESS: tuple[ColumnLevel, ...] = (
    ColumnLevel.IMPORTANT,
    ColumnLevel.SENSITIVE_PERSONAL,
    ColumnLevel.IDENTIFIER,
    ColumnLevel.PERSONAL,
    ColumnLevel.GENERAL,
)

LEVEL_NAMES: tuple[str, ...] = tuple(level.value for level in ColumnLevel)


def strictness(level: ColumnLevel) -> int:
    """0 for the most protected level; larger numbers protect less."""
    return STRICTNESS.index(level)
