"""The record of one run: what ran where, under which policy, how it ended, and why."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class CollectedOutput:
    """A file copied out of ``/outputs`` (relative name, bytes, sha256 hex)."""

    name: str
    size: int
    sha256: str


@dataclass(frozen=True)
class RejectedOutput:
    """An entry in ``/outputs`` that was not collected, and why in words."""

    name: str
    reason: str


@dataclass(frozen=True)
class StreamCapture:
    """The kept head of stdout or stderr; ``total_bytes`` counts everything written."""

    text: str
    total_bytes: int
    kept_bytes: int

    @property
    def truncated(self) -> bool:
        return self.total_bytes > self.kept_bytes


@dataclass(frozen=True)
class Timings:
    prepare_seconds: float
    run_seconds: float
    collect_seconds: float
    total_seconds: float


@dataclass(frozen=True)
class RunRecord:
    run_id: str
    backend: str
    mode: str
    policy: dict[str, str]
    started_at: datetime
    exit_code: int | None
    signal: str | None
    reason: str
    outputs: tuple[CollectedOutput, ...]
    rejected_outputs: tuple[RejectedOutput, ...]
    stdout: StreamCapture
    stderr: StreamCapture
    timings: Timings
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def succeeded(self) -> bool:
        """Exited 0 and every output it left was collected."""
        return self.exit_code == 0 and self.signal is None and self.reason.startswith("exited")

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["started_at"] = self.started_at.isoformat()
        data["succeeded"] = self.succeeded
        data["stdout"]["truncated"] = self.stdout.truncated
        data["stderr"]["truncated"] = self.stderr.truncated
        return data
