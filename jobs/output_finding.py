"""One failed output check on one file: why, and which cells it concerns.

Its own module so that every family of checks (shape, identifiers, statistical
disclosure, differencing) can return findings without importing the runner.
"""

from __future__ import annotations

from dataclasses import dataclass

from jobs.check_report import CheckName, FlaggedValue


@dataclass(frozen=True)
class Finding:
    """Why a check failed, and which cells (0-based row, column) to empty if it suppresses."""

    check: CheckName
    reason: str
    column: str | None = None
    cells: tuple[tuple[int, str], ...] = ()
    flagged: tuple[FlaggedValue, ...] = ()  # released values beside their recomputation
