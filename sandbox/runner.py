"""Run one job start to finish on a backend and return its record.

The supervisor's loop: prepare, execute, then wait in short slices, stopping the
job the moment it passes the wall clock, the CPU seconds of all its processes
together, or its output totals; then collect
outputs untrustingly, keep the heads of its logs, clean up, and explain the end
in words. Waiting returns as soon as the job exits, so the slices add no latency.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from sandbox import outputs, workspace
from sandbox.backend import Backend, JobState, JobStatus
from sandbox.bubblewrap import BubblewrapBackend
from sandbox.docker_backend import DockerBackend
from sandbox.errors import IsolationUnavailable, SandboxError
from sandbox.policy import IsolationPolicy
from sandbox.reasons import Ending, Enforced, explain, signal_name
from sandbox.record import RunRecord, Timings
from sandbox.spec import JobSpec
from sandbox.volume import RunVolume

WATCH_SLICE_SECONDS = 0.2
BACKEND_NAMES = ("bwrap", "docker")
TRUNCATED = "{stream} truncated: kept the first {kept} of {total} bytes"


def new_run_id() -> str:
    return secrets.token_hex(8)


def select_backend(name: str, runtime_root: Path | None = None) -> Backend:
    """The named backend, checked; ``auto`` takes bubblewrap, then Docker.

    Never a fallback to running unisolated: if nothing can isolate the job, the
    ``IsolationUnavailable`` of the first choice is raised.
    """
    if name == "bwrap":
        candidates: list[Backend] = [BubblewrapBackend(runtime_root)]
    elif name == "docker":
        candidates = [DockerBackend(runtime_root)]
    elif name == "auto":
        candidates = [BubblewrapBackend(runtime_root), DockerBackend(runtime_root)]
    else:
        raise IsolationUnavailable(
            name, f"there is no backend named {name!r}", "choose bwrap, docker or auto"
        )
    first_problem: SandboxError | None = None
    for candidate in candidates:
        try:
            candidate.check_available()
        except SandboxError as problem:
            first_problem = first_problem or problem
            continue
        return candidate
    assert first_problem is not None
    raise first_problem


def run_job(
    spec: JobSpec,
    backend: Backend,
    destination: Path,
    *,
    policy: IsolationPolicy | None = None,
    work_root: Path | None = None,
    run_id: str | None = None,
    now: datetime | None = None,
    run_volume: RunVolume | None = None,
    stop: Callable[[], bool] | None = None,
) -> RunRecord:
    """Run ``spec`` isolated on ``backend``; collected outputs land in ``destination``.

    The run lives in ``run_volume`` when the caller opened one (to decrypt the
    inputs straight into memory), else in a volume of its own under ``work_root``.
    ``stop`` is asked while the job runs; when it answers True the job is terminated
    (the worker's way to end a run whose contract was revoked).
    """
    spec.validate()
    backend.check_available()
    effective = replace(policy or IsolationPolicy(), limits=spec.limits)
    run_id = run_id or new_run_id()
    started_at = now or datetime.now(UTC)
    destination.mkdir(mode=0o700, parents=True, exist_ok=True)
    clock_start = time.monotonic()
    space = workspace.create(
        run_id,
        spec,
        effective,
        work_root or workspace.default_work_root(),
        run_volume=run_volume,
    )
    try:
        backend.prepare(space)
        prepared = time.monotonic()
        backend.execute(space)
        status, enforced = _supervise(backend, space, stop)
        finished = time.monotonic()
        collection = backend.collect_outputs(space, destination)
        stdout, stderr = backend.logs(space)
        collected = time.monotonic()
    finally:
        backend.cleanup(space)
        workspace.remove(space)
    ending = Ending(
        exit_code=status.exit_code,
        signal=status.signal,
        oom_killed=status.oom_killed,
        enforced=enforced,
        stderr_tail=stderr.text[-2000:],
    )
    reason = explain(ending, effective.limits)
    notes: list[str] = []
    if collection.withheld_reason is not None:
        if enforced is None and status.signal is None and not status.oom_killed:
            # a job that ran into its full outputs filesystem usually fails on
            # the refused write: the cap is the cause, the exit status the symptom
            if status.exit_code != 0:
                notes.append(reason)
            reason = collection.withheld_reason
        else:
            notes.append(collection.withheld_reason)
    for label, stream in (("stdout", stdout), ("stderr", stderr)):
        if stream.truncated:
            notes.append(
                TRUNCATED.format(stream=label, kept=stream.kept_bytes, total=stream.total_bytes)
            )
    return RunRecord(
        run_id=run_id,
        backend=backend.name,
        mode=spec.mode.value,
        policy=effective.as_table(),
        started_at=started_at,
        exit_code=status.exit_code,
        signal=signal_name(status.signal),
        reason=reason,
        outputs=collection.collected,
        rejected_outputs=collection.rejected,
        stdout=stdout,
        stderr=stderr,
        timings=Timings(
            prepare_seconds=round(prepared - clock_start, 4),
            run_seconds=round(finished - prepared, 4),
            collect_seconds=round(collected - finished, 4),
            total_seconds=round(collected - clock_start, 4),
        ),
        notes=tuple(notes),
    )


def _supervise(
    backend: Backend, space: workspace.Workspace, stop: Callable[[], bool] | None = None
) -> tuple[JobStatus, Enforced | None]:
    limits = space.policy.limits
    deadline = time.monotonic() + limits.wall_seconds
    while True:
        remaining = deadline - time.monotonic()
        status = backend.wait(space, min(WATCH_SLICE_SECONDS, max(remaining, 0.0)))
        if status.state is JobState.EXITED:
            return status, None
        if time.monotonic() >= deadline:
            return backend.terminate(space), Enforced.WALL_CLOCK
        used = backend.cpu_seconds_used(space)
        if used is not None and used > limits.cpu_seconds:
            return backend.terminate(space), Enforced.CPU_TIME
        if stop is not None and stop():
            return backend.terminate(space), Enforced.OPERATOR
        usage = outputs.filesystem_usage(space.outputs_dir)
        if usage.entries > limits.output_files:
            return backend.terminate(space), Enforced.OUTPUT_FILES
        # the tmpfs charges whole pages: past the cap means past its last whole page
        if usage.bytes > workspace.outputs_capacity(limits)[0] - workspace.PAGE:
            return backend.terminate(space), Enforced.OUTPUT_BYTES
