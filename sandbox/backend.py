"""The one interface every isolation backend implements.

Nothing above ``sandbox/`` knows which backend runs a job: it holds a ``Backend``
and a ``Workspace`` and calls these methods. Each method is idempotent: called
twice, or called again after a crash of the caller, it checks where the job is
and does only what is left (the habit of opensafely's job-runner executor API).
Failures of the backend itself raise ``SandboxError``; a job that fails or is
killed is not an error, it is a state with an exit code.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Protocol

from sandbox.outputs import Collection
from sandbox.record import StreamCapture
from sandbox.workspace import Workspace


class JobState(StrEnum):
    UNKNOWN = "unknown"  # this backend holds nothing for the run
    PREPARED = "prepared"  # ready to start; nothing of the job's code has run
    RUNNING = "running"  # the job's code may be running
    EXITED = "exited"  # every process of the job is gone; outputs can be collected


@dataclass(frozen=True)
class JobStatus:
    state: JobState
    exit_code: int | None = None
    signal: int | None = None
    oom_killed: bool = False


class Backend(Protocol):
    name: str

    def check_available(self) -> None:
        """Raise ``IsolationUnavailable`` or ``ImageMissing`` unless jobs can run here.

        1. The isolation tool or engine is installed and answers.
        2. The job runtime for the current recipe is built and present.
        """

    def describe(self) -> dict[str, str]:
        """What this backend is, for ``sealroom doctor`` and the run record."""

    def prepare(self, workspace: Workspace) -> JobStatus:
        """Make the job ready to start without running any of its code.

        1. If the job is already prepared, running or exited, return its status.
        2. Check the runtime and the workspace exist.
        3. Create what the backend needs (a container; a seccomp program).
        4. Return ``PREPARED``.
        """

    def execute(self, workspace: Workspace) -> JobStatus:
        """Start the job's code under the full policy.

        1. If the job is running or exited, return its status.
        2. Prepare it if that has not happened.
        3. Start it and return ``RUNNING``.
        """

    def wait(self, workspace: Workspace, timeout_seconds: float) -> JobStatus:
        """Block until the job exits or ``timeout_seconds`` pass; return the status.

        1. If the job is not running, return its status at once.
        2. Otherwise wait, returning as soon as it exits (no polling delay).
        """

    def terminate(self, workspace: Workspace) -> JobStatus:
        """Kill every process of the job.

        1. If the job has not started or has exited, return its status.
        2. Kill it (SIGKILL: a hostile job gets no grace period) and wait for it.
        3. Return ``EXITED``.
        """

    def cpu_seconds_used(self, workspace: Workspace) -> float | None:
        """CPU seconds every process of the job has used together, or None if not running.

        The supervisor compares this with the job's budget between waits: a
        per-process CPU rlimit alone lets N children burn N times the budget.
        """

    def collect_outputs(self, workspace: Workspace, destination: Path) -> Collection:
        """Copy the job's acceptable outputs to ``destination`` and list the rest.

        1. Terminate the job if it is still running (nothing races collection).
        2. Collect with the untrusting collector (``sandbox.outputs.collect``).
        """

    def logs(self, workspace: Workspace) -> tuple[StreamCapture, StreamCapture]:
        """The kept heads of stdout and stderr (capped at ``limits.log_bytes``)."""

    def cleanup(self, workspace: Workspace) -> JobStatus:
        """Remove everything of the job from the host.

        1. Terminate it if it still runs.
        2. Remove the container or process handle; forget the run.
        3. Return ``UNKNOWN``; calling again is harmless.
        """

    def status(self, workspace: Workspace) -> JobStatus:
        """Where the job is now, without changing anything."""
