"""A running bubblewrap job, as the host sees it in /proc, carries every policy setting.

Also the control for the root-uid trap of issue 6: bwrap started directly by root
(without our setpriv step) lets a job open core_pattern for writing. The control
only opens the file, never writes to it.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from sandbox import BubblewrapBackend, IsolationPolicy, JobSpec, JobState, Limits
from sandbox import workspace as workspaces
from sandbox.image import find_runtime
from sandbox.runner import new_run_id
from tests.fixtures.sandbox import processes_of_runs_under

pytestmark = [pytest.mark.bwrap, pytest.mark.integration]

LIMITS = Limits(memory_bytes=192 * 1024 * 1024, pids=24, cpu_seconds=7, open_files=99,
                wall_seconds=20, output_bytes=1024 * 1024)  # fmt: skip


@pytest.fixture
def job_pid(sandbox_runtime: Path, tmp_path: Path) -> Iterator[int]:
    code = tmp_path / "job.py"
    code.write_text("import time\ntime.sleep(30)\n")
    spec = JobSpec(code=code, limits=LIMITS)
    backend = BubblewrapBackend()
    # a work root of its own: other runs on the host are not this test's job
    work_root = workspaces.default_work_root() / f"host-view-{os.urandom(6).hex()}"
    space = workspaces.create(new_run_id(), spec, IsolationPolicy(limits=LIMITS),
                              work_root)  # fmt: skip
    try:
        assert backend.execute(space).state is JobState.RUNNING
        yield _wait_for_job_process(work_root)
    finally:
        backend.cleanup(space)
        workspaces.remove(space)
        work_root.rmdir()


def _wait_for_job_process(work_root: Path) -> int:
    for _ in range(100):
        for pid in processes_of_runs_under(work_root):
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                continue
            # the job itself, not prlimit/setpriv/bwrap whose arguments name it
            if cmdline.startswith(b"/opt/sealroom/venv/bin/python\0-I\0-B\0/sealroom/"):
                return pid
        time.sleep(0.05)
    raise AssertionError("the job's process never appeared")


def _status(pid: int) -> dict[str, str]:
    text = Path(f"/proc/{pid}/status").read_text()
    return {
        key: value.strip() for key, _, value in (line.partition(":") for line in text.splitlines())
    }


def test_the_job_is_the_unprivileged_uid_on_the_host(job_pid: int) -> None:
    status = _status(job_pid)
    assert status["Uid"].split() == ["64123"] * 4
    assert status["Gid"].split() == ["64123"] * 4
    assert status["Groups"] == ""


def test_the_job_holds_no_capability_and_no_new_privileges(job_pid: int) -> None:
    status = _status(job_pid)
    assert status["CapEff"] == status["CapPrm"] == status["CapInh"] == "0000000000000000"
    assert status["NoNewPrivs"] == "1"


def test_the_job_runs_under_the_seccomp_filter(job_pid: int) -> None:
    assert _status(job_pid)["Seccomp"] == "2"


@pytest.mark.parametrize("namespace", ["net", "pid", "ipc", "uts", "mnt", "user", "cgroup"])
def test_the_job_has_its_own_namespace(job_pid: int, namespace: str) -> None:
    job_namespace = Path(f"/proc/{job_pid}/ns/{namespace}").readlink()
    assert job_namespace != Path(f"/proc/self/ns/{namespace}").readlink()


def test_the_rlimits_are_the_policy_limits(job_pid: int) -> None:
    limits = {
        line[:26].strip(): line[26:].split()[:2]
        for line in Path(f"/proc/{job_pid}/limits").read_text().splitlines()[1:]
    }
    assert limits["Max address space"] == [str(192 * 1024 * 1024)] * 2
    assert limits["Max processes"] == ["24", "24"]
    assert limits["Max cpu time"] == ["7", "8"]  # SIGXCPU at 7 s, SIGKILL at 8 s
    assert limits["Max open files"] == ["99", "99"]
    assert limits["Max core file size"] == ["0", "0"]
    assert limits["Max file size"] == [str(1024 * 1024 + 1)] * 2


def test_the_root_filesystem_is_the_runtime_mounted_read_only(job_pid: int) -> None:
    mounts = Path(f"/proc/{job_pid}/mounts").read_text().splitlines()
    root = next(line.split() for line in mounts if line.split()[1] == "/")
    assert "ro" in root[3].split(",")
    inputs_and_code = {line.split()[1]: line.split()[3] for line in mounts}
    assert "ro" in inputs_and_code["/sealroom/job.py"].split(",")
    assert "rw" in inputs_and_code["/outputs"].split(",")


@pytest.mark.skipif(os.geteuid() != 0, reason="the trap exists only when the supervisor is root")
def test_control_bwrap_started_by_root_would_expose_core_pattern(sandbox_runtime: Path) -> None:
    # Proves the attack the backend defends against is real on this machine:
    # the same bwrap flags without setpriv give a job a writable host setting.
    probe = (
        "import os\n"
        "try:\n"
        "    os.close(os.open('/proc/sys/kernel/core_pattern', os.O_WRONLY))\n"
        "    print('opened')\n"
        "except OSError as error:\n"
        "    print('refused', error)\n"
    )
    rootfs = find_runtime().rootfs
    result = subprocess.run(
        ["bwrap", "--unshare-all", "--uid", "1000", "--gid", "1000", "--cap-drop", "ALL",
         "--ro-bind", str(rootfs), "/", "--proc", "/proc", "--dev", "/dev",
         "/usr/bin/python3", "-c", probe],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert result.stdout.strip() == "opened"
