"""How a run ended, in words a person reads ("killed: memory limit 512 MiB").

Pure: the supervisor and the backends report facts (exit code, signal, the limit
the supervisor enforced, the engine's OOM flag); this module turns them into the
one reason stored in the run record. The templates are all here so a reader sees
every reason the sandbox can give in one place.
"""

from __future__ import annotations

import signal as signals
from dataclasses import dataclass
from enum import StrEnum

from sandbox.policy import Limits, describe_bytes, describe_seconds

WALL_CLOCK = "killed: wall clock {limit}"
MEMORY_KILLED = "killed: memory limit {limit}"
MEMORY_REFUSED = "failed: memory limit {limit} (allocation refused)"
CPU_TIME = "killed: CPU time limit {limit}"
OUTPUT_BYTES = "killed: output limit {limit}"
OUTPUT_FILES = "killed: output file count limit {limit}"
OUTPUT_BYTES_AFTER = "outputs withheld: output limit {limit} exceeded"
OUTPUT_FILES_AFTER = "outputs withheld: output file count limit {limit} exceeded"
FILE_SIZE = "killed: output file size limit {limit}"
SIGNALLED = "killed: signal {name}"
EXITED = "exited: status {code}"
FAILED = "failed: exit status {code}"
TERMINATED = "killed: terminated by the operator"


class Enforced(StrEnum):
    """A limit the supervisor enforced by stopping the job."""

    WALL_CLOCK = "wall_clock"
    OUTPUT_BYTES = "output_bytes"
    OUTPUT_FILES = "output_files"
    CPU_TIME = "cpu_time"  # the whole job's CPU seconds, counted by its control group
    OPERATOR = "operator"


@dataclass(frozen=True)
class Ending:
    """Facts about how a job's main process ended."""

    exit_code: int | None
    signal: int | None = None
    oom_killed: bool = False
    enforced: Enforced | None = None
    stderr_tail: str = ""


def signal_name(number: int | None) -> str | None:
    if number is None:
        return None
    try:
        return signals.Signals(number).name
    except ValueError:
        return f"signal {number}"


def explain(ending: Ending, limits: Limits) -> str:
    """The reason for the record; the supervisor's own decision wins over symptoms."""
    if ending.enforced is Enforced.WALL_CLOCK:
        return WALL_CLOCK.format(limit=describe_seconds(limits.wall_seconds))
    if ending.enforced is Enforced.OUTPUT_BYTES:
        return OUTPUT_BYTES.format(limit=describe_bytes(limits.output_bytes))
    if ending.enforced is Enforced.OUTPUT_FILES:
        return OUTPUT_FILES.format(limit=limits.output_files)
    if ending.enforced is Enforced.CPU_TIME:
        return CPU_TIME.format(limit=describe_seconds(limits.cpu_seconds))
    if ending.enforced is Enforced.OPERATOR:
        return TERMINATED
    if ending.oom_killed:
        return MEMORY_KILLED.format(limit=describe_bytes(limits.memory_bytes))
    if ending.signal == signals.SIGXCPU:
        return CPU_TIME.format(limit=describe_seconds(limits.cpu_seconds))
    if ending.signal == signals.SIGXFSZ:
        return FILE_SIZE.format(limit=describe_bytes(limits.output_bytes))
    if ending.signal is not None:
        return SIGNALLED.format(name=signal_name(ending.signal))
    if ending.exit_code == 0:
        return EXITED.format(code=0)
    if "MemoryError" in ending.stderr_tail or "Cannot allocate memory" in ending.stderr_tail:
        # the per-process address-space rlimit refused the allocation inside the
        # job before the job-wide group limit made the kernel kill it.
        return MEMORY_REFUSED.format(limit=describe_bytes(limits.memory_bytes))
    return FAILED.format(code=ending.exit_code)
