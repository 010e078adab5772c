"""The attack fixture's host snapshot sees this test's runs, and only them.

Other Sealroom runs share the host (other test sessions, workers): a run that
starts during a test and is still running after it must not fail that test,
while a run of the test's own that is left running must. Both are real runs,
started the way ``run_job`` starts them and left running as a supervisor that
lost track of them would leave them.
"""

from __future__ import annotations

import contextlib
import os
import time
from dataclasses import replace
from pathlib import Path

from sandbox import Backend, BubblewrapBackend, DockerBackend, JobSpec, JobState, Limits, run_job
from sandbox import workspace as workspaces
from sandbox.policy import DEFAULT_JOB_UID, IsolationPolicy
from sandbox.spec import Interpreter, Mode
from sandbox.workspace import Workspace, default_work_root
from tests.fixtures.sandbox import HostSnapshot, processes_of_runs_under

START_SECONDS = 30.0
# Reports that it runs, leaves a daemon in a session of its own working in "/",
# and stays: a run whose supervisor lost track of it.
LINGERING_JOB = """\
import os, time
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.chdir("/")
        with open("/outputs/daemon", "w") as report:
            report.write(str(os.getpid()))
        time.sleep(120)
    os._exit(0)
os.wait()
while not os.path.exists("/outputs/daemon"):
    time.sleep(0.05)
with open("/outputs/started", "w") as report:
    report.write("yes")
time.sleep(120)
"""
LIMITS = Limits(
    wall_seconds=120.0,
    memory_bytes=256 * 1024 * 1024,
    pids=16,
    cpu_seconds=30,
    output_bytes=1024 * 1024,
    output_files=10,
    tmp_bytes=1024 * 1024,
    shm_bytes=1024 * 1024,
    log_bytes=4096,
)


def test_another_run_on_the_host_does_not_count_against_this_test(
    backend: Backend, tmp_path: Path
) -> None:
    work_root, run_prefix = _scope("attack")
    before = HostSnapshot.take(work_root, run_prefix)
    # another supervisor's run, started after this test's snapshot and still running after it
    other_root, other_prefix = _scope("other")
    another_supervisor = _same_kind(backend)
    other = _start_lingering_run(another_supervisor, other_root, f"{other_prefix}0", tmp_path)
    try:
        record = run_job(
            JobSpec(
                code=_write(tmp_path / "mine.py", "print('done')\n"),
                interpreter=Interpreter.PYTHON,
                inputs={},
                mode=Mode.REAL,
                limits=replace(LIMITS, wall_seconds=20.0),
            ),
            backend,
            tmp_path / "collected",
            work_root=work_root,
            run_id=f"{run_prefix}0",
        )
        after = HostSnapshot.take(work_root, run_prefix)
        others = HostSnapshot.take(other_root, other_prefix)
        other_uids = {_real_uid(pid) for pid in others.job_uid_processes}
    finally:
        _stop(another_supervisor, other, other_root)
        work_root.rmdir()
    assert record.reason == "exited: status 0", record
    # The other run was there to be counted: job-uid processes (bwrap), or a
    # container with the run label (Docker), which the unscoped snapshot counted.
    if backend.name == "bwrap":
        assert DEFAULT_JOB_UID in other_uids, others
    else:
        assert len(others.labelled_containers) == 1, others
    assert after == before


def test_a_run_of_this_test_left_running_fails_the_snapshot(
    backend: Backend, tmp_path: Path
) -> None:
    work_root, run_prefix = _scope("attack")
    before = HostSnapshot.take(work_root, run_prefix)
    mine = _start_lingering_run(backend, work_root, f"{run_prefix}0", tmp_path)
    try:
        after = HostSnapshot.take(work_root, run_prefix)
        daemon_inside = int((mine.outputs_dir / "daemon").read_text())
        seen_inside = {pid: _pid_inside(pid) for pid in after.job_uid_processes}
    finally:
        _stop(backend, mine, work_root)
    assert after != before
    assert len(after.work_root_entries) == 1, after  # the run's directory
    if backend.name == "bwrap":
        # found through the sandbox's pid namespace, though it left the job's
        # session and working directory
        daemons = [pid for pid, inside in seen_inside.items() if inside == daemon_inside]
        assert len(daemons) == 1, (seen_inside, daemon_inside)
    else:
        assert len(after.labelled_containers) == 1, after
    # once the run is stopped, nothing of it is left to see
    assert HostSnapshot.take(work_root, run_prefix) == before
    assert processes_of_runs_under(work_root) == ()


def _scope(kind: str) -> tuple[Path, str]:
    """A work root and a run-id prefix of their own, as the attack fixture makes them."""
    token = os.urandom(6).hex()
    return default_work_root() / f"{kind}-{token}", f"{kind}{token}-"


def _same_kind(backend: Backend) -> Backend:
    return BubblewrapBackend() if backend.name == "bwrap" else DockerBackend()


def _start_lingering_run(
    backend: Backend, work_root: Path, run_id: str, tmp_path: Path
) -> Workspace:
    spec = JobSpec(
        code=_write(tmp_path / f"{run_id}.py", LINGERING_JOB),
        interpreter=Interpreter.PYTHON,
        inputs={},
        mode=Mode.REAL,
        limits=LIMITS,
    )
    space = workspaces.create(run_id, spec, IsolationPolicy(limits=LIMITS), work_root)
    backend.prepare(space)
    backend.execute(space)
    deadline = time.monotonic() + START_SECONDS
    while not (space.outputs_dir / "started").exists():
        status = backend.wait(space, 0.1)
        if status.state is not JobState.RUNNING or time.monotonic() > deadline:
            _stop(backend, space, work_root)
            raise AssertionError(f"the lingering run {run_id} did not start: {status}")
    return space


def _stop(backend: Backend, space: Workspace, work_root: Path) -> None:
    backend.terminate(space)
    backend.cleanup(space)
    workspaces.remove(space)
    with contextlib.suppress(OSError):
        work_root.rmdir()  # empty once no run of it is left


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def _status_field(pid: int, name: str) -> list[str]:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{name}:"):
            return line.split()[1:]
    raise AssertionError(f"no {name} in /proc/{pid}/status")


def _real_uid(pid: int) -> int:
    return int(_status_field(pid, "Uid")[0])


def _pid_inside(pid: int) -> int:
    """The pid in the innermost pid namespace of the process (its sandbox's view)."""
    return int(_status_field(pid, "NSpid")[-1])
