"""The disclosure-check report reviewers read: per file, what passed, what failed and why,
and for each failure whether it blocked the file or suppressed cells (and which cells).

Plain frozen dataclasses; ``to_json`` is what the service stores and shows. Cell
positions are reported, cell values never: the report goes to reviewers who
may not be entitled to the values that failed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class CheckName(StrEnum):
    FILE_COUNT = "file_count"
    READABLE = "readable"
    MAX_ROWS = "max_rows"
    MAX_BYTES = "max_bytes"
    FORBIDDEN_COLUMNS = "forbidden_columns"
    OUTPUT_SCHEMA = "output_schema"
    SMALL_GROUPS = "small_groups"
    VERBATIM_VALUES = "verbatim_values"
    VERBATIM_HEADERS = "verbatim_headers"
    DISGUISED_IDENTIFIERS = "disguised_identifiers"
    IDENTIFIER_SHAPED = "identifier_shaped"
    ROUNDING = "rounding"
    DECLARED_SCHEMA = "declared_schema"  # the file's name matches a schema the contract declares
    SOURCE_VALUES = "source_values"  # grouping columns hold only values of their source
    AGGREGATE_BOUNDS = "aggregate_bounds"  # aggregates lie where their source allows
    COUNTS = "counts"  # counts are whole, non-negative and at most the rows counted
    THRESHOLD = "threshold"  # recomputed groups have at least min_group_size members
    DOMINANCE = "dominance"  # no one or two contributors make up most of a group's total
    CLASS_DISCLOSURE = "class_disclosure"  # no group shares one value of a personal column
    RECOMPUTED = "recomputed"  # released values agree with their recomputation


class Action(StrEnum):
    BLOCK = "block"  # the whole file is withheld from review and release
    SUPPRESS = "suppress"  # the offending cells are emptied; the rest goes on
    FLAG = "flag"  # shown to the reviewer beside what it concerns; blocks nothing


class FileOutcome(StrEnum):
    PASSED = "passed"
    SUPPRESSED = "suppressed"  # passed once the listed cells were emptied
    BLOCKED = "blocked"


@dataclass(frozen=True)
class FlaggedValue:
    """A released value beside what Sealroom recomputed from the real inputs.

    For the reviewer only: both are aggregates of real data, which a submitter
    waiting for review must not see.
    """

    row: int  # 1-based data row
    column: str
    released: float | None
    recomputed: float | None


@dataclass(frozen=True)
class Failure:
    check: CheckName
    action: Action
    reason: str
    column: str | None = None
    cells: int = 0
    flagged: tuple[FlaggedValue, ...] = ()


@dataclass(frozen=True)
class SuppressedCell:
    row: int  # 1-based data row, as a spreadsheet shows it under the header
    column: str
    check: CheckName


@dataclass(frozen=True)
class FileReport:
    name: str
    sha256: str  # of the file as the job wrote it
    size: int
    rows: int | None  # None when the file could not be read as a table
    passed: tuple[CheckName, ...]
    failures: tuple[Failure, ...]
    suppressed: tuple[SuppressedCell, ...] = ()
    # Of the canonical file released (after suppression); None when blocked.
    released_sha256: str | None = None

    @property
    def outcome(self) -> FileOutcome:
        if any(f.action is Action.BLOCK for f in self.failures):
            return FileOutcome.BLOCKED
        if any(f.action is Action.SUPPRESS for f in self.failures):
            return FileOutcome.SUPPRESSED
        return FileOutcome.PASSED

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "sha256": self.sha256,
            "size": self.size,
            "rows": self.rows,
            "outcome": self.outcome.value,
            "passed": [c.value for c in self.passed],
            "failures": [_failure_json(f) for f in self.failures],
            "suppressed_cells": [
                {"row": c.row, "column": c.column, "check": c.check.value} for c in self.suppressed
            ],
            "released_sha256": self.released_sha256,
        }


@dataclass(frozen=True)
class CheckReport:
    files: tuple[FileReport, ...]
    bundle_failures: tuple[Failure, ...] = ()  # failures of the outputs as a whole

    @property
    def blocked(self) -> bool:
        """Nothing may go to review: the bundle failed, or every file is blocked."""
        if self.bundle_failures:
            return True
        return all(f.outcome is FileOutcome.BLOCKED for f in self.files)

    @property
    def releasable(self) -> tuple[str, ...]:
        if self.bundle_failures:
            return ()
        return tuple(f.name for f in self.files if f.outcome is not FileOutcome.BLOCKED)

    def checks_passed(self) -> dict[str, list[str]]:
        """Per releasable file, the checks it passed: what a release receipt records."""
        return {
            f.name: [c.value for c in f.passed] for f in self.files if f.name in self.releasable
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "format": "sealroom.check-report/v1",
            "blocked": self.blocked,
            "bundle_failures": [_failure_json(f) for f in self.bundle_failures],
            "files": [f.to_json() for f in self.files],
        }

    def to_json_bytes(self) -> bytes:
        return json.dumps(self.to_json(), ensure_ascii=False, indent=2).encode("utf-8")


def _failure_json(failure: Failure) -> dict[str, Any]:
    return {
        "check": failure.check.value,
        "action": failure.action.value,
        "reason": failure.reason,
        "column": failure.column,
        "cells": failure.cells,
        "flagged": [
            {"row": v.row, "column": v.column, "released": v.released, "recomputed": v.recomputed}
            for v in failure.flagged
        ],
    }
