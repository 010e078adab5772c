"""The embedded backend: bubblewrap (Debian ``bubblewrap``), no daemon needed.

How the policy maps to bubblewrap:

- namespaces: user, pid, ipc, uts, net, cgroup, mount; nested user namespaces off;
- the runtime rootfs bound read-only as ``/``; only the job code, the inputs
  (read-only) and the outputs directory from the host; tmpfs ``/tmp`` and
  ``/dev/shm`` with size caps; ``/dev`` minimal and read-only;
- capabilities dropped, a new session (no TIOCSTI into the caller's terminal),
  the libseccomp filter of ``sandbox.seccomp_rules`` on a file descriptor;
- bwrap's own arguments on a descriptor too (``sandbox.bwrap_arguments``): the
  job can read its pid 1's command line, which then shows no host path;
- job-wide limits by a control group per job (``sandbox.cgroups``: memory with
  shared memory and memfds, processes, CPU time), entered before bwrap starts so
  every process of the job is in it; per-process rlimits set by the runtime's
  ``prlimit`` inside the sandbox as a second line (address space, processes, CPU
  time, file size, open files, core 0); wall clock, the CPU budget and output
  totals by the supervisor; output bytes and entries also by the size-capped
  tmpfs at ``/outputs`` (``sandbox.workspace``).

The root-uid trap (issue 6): bwrap started by root maps the job to host root, so
a job could open ``/proc/sys/kernel/core_pattern`` for writing even with every
capability dropped. When the supervisor is root, bwrap is therefore started under
the policy's unprivileged uid with ``setpriv`` (no groups, no inheritable or
bounding capabilities, no new privileges), so the job is that uid on the host too.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import json
import os
import select
import shutil
import signal
import stat
import subprocess
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from sandbox import bwrap_arguments, cgroups, image, outputs, recipe, seccomp_rules
from sandbox.backend import JobState, JobStatus
from sandbox.errors import BackendFailure, IsolationUnavailable
from sandbox.job_environment import HOSTNAME, job_command, job_environment
from sandbox.outputs import Collection
from sandbox.policy import IsolationPolicy, Limits
from sandbox.record import StreamCapture
from sandbox.streams import StreamKeeper, capture
from sandbox.workspace import Workspace, code_file_name

EXIT_SIGNAL_BASE = 128  # bwrap exits 128 + n when the job dies of signal n
SETTLE_SECONDS = 5.0
RLIMIT_WRAPPER = "/usr/bin/prlimit"  # the runtime's own, run inside the sandbox
# Runs on the host as root before setpriv: moves itself into the job's groups, so
# bwrap and everything it starts is counted there from its first instruction.
# The shell exports PWD, which bwrap (the job's pid 1) would keep in its environment:
# a host path. ``env -u`` drops it; --clearenv then empties the job's own.
ENTER_GROUPS = (
    'while [ "$1" != -- ]; do echo $$ > "$1" || exit 125; shift; done; shift; '
    'exec /usr/bin/env -u PWD -u OLDPWD "$@"'
)


@dataclass
class _Running:
    process: subprocess.Popen[bytes]
    stdout: StreamKeeper
    stderr: StreamKeeper
    info_fd: int  # bwrap writes {"child-pid": host pid of the sandbox's pid 1} here
    group: cgroups.JobGroup
    init_pid: int | None = None

    def sandbox_init_pid(self) -> int | None:
        if self.init_pid is None and self.info_fd >= 0:
            with contextlib.suppress(OSError, ValueError):
                data = os.read(self.info_fd, 4096)
                self.init_pid = int(json.loads(data)["child-pid"])
        return self.init_pid


class BubblewrapBackend:
    """Runs jobs with bubblewrap under the isolation policy."""

    name = "bwrap"

    def __init__(self, runtime_root: Path | None = None) -> None:
        self._runtime_root = runtime_root
        self._runs: dict[str, _Running] = {}
        self._finished: dict[str, JobStatus] = {}
        self._logs: dict[str, tuple[StreamCapture, StreamCapture]] = {}
        self._lock = threading.Lock()

    def check_available(self) -> None:
        if shutil.which("bwrap") is None:
            raise IsolationUnavailable(
                self.name, "bubblewrap is not installed", "run `apt-get install bubblewrap`"
            )
        if os.geteuid() == 0 and shutil.which("setpriv") is None:
            raise IsolationUnavailable(
                self.name,
                "setpriv is missing, and bwrap must not run jobs as root",
                "run `apt-get install util-linux`",
            )
        if os.geteuid() != 0:
            raise IsolationUnavailable(
                self.name,
                "job-wide limits need a control group and a private tmpfs per job, "
                "which only root can make",
                "run the worker as root",
            )
        try:
            cgroups.find_hierarchy()
        except cgroups.CgroupUnavailable as problem:
            raise IsolationUnavailable(
                self.name, f"no control group can hold a job ({problem})", cgroups.REMEDY
            ) from problem
        image.find_runtime(self._runtime_root)

    def describe(self) -> dict[str, str]:
        runtime = image.find_runtime(self._runtime_root)
        return {
            "backend": self.name,
            "runtime": str(runtime.rootfs),
            "runtime_key": runtime.key,
            "limits_enforced_as": cgroups.describe_support(),
            "memory_enforced_as": "the job's cgroup (memory and swap), and RLIMIT_AS per process",
            "pids_enforced_as": "the job's cgroup pids.max, and RLIMIT_NPROC inside its namespace",
            "cpu_enforced_as": "the job's cgroup CPU usage against the budget, and RLIMIT_CPU",
            "started_as": "the job uid, via setpriv" if os.geteuid() == 0 else "the calling user",
        }

    def status(self, workspace: Workspace) -> JobStatus:
        with self._lock:
            if workspace.run_id in self._finished:
                return self._finished[workspace.run_id]
            running = self._runs.get(workspace.run_id)
        if running is not None:
            return self._status_of(workspace, running)
        if (workspace.directory / ".ready").exists():
            return JobStatus(JobState.PREPARED)
        return JobStatus(JobState.UNKNOWN)

    def prepare(self, workspace: Workspace) -> JobStatus:
        current = self.status(workspace)
        if current.state is JobState.PREPARED:
            check_reachable_by_the_job(workspace.directory)
        if current.state is not JobState.UNKNOWN:
            return current
        raise BackendFailure(self.name, f"no workspace at {workspace.directory}")

    def execute(self, workspace: Workspace) -> JobStatus:
        current = self.prepare(workspace)
        if current.state is not JobState.PREPARED:
            return current
        runtime = image.find_runtime(self._runtime_root)
        group = cgroups.create_group(workspace.volume.name, workspace.policy.limits)
        seccomp_fd = _seccomp_program_fd()
        run_fds = _RunFds.open(workspace)
        stdout_read, stdout_write = os.pipe()
        stderr_read, stderr_write = os.pipe()
        info_read, info_write = os.pipe()
        os.set_blocking(info_read, False)
        arguments_fd = -1
        try:
            # bwrap's options go on a sealed descriptor: its command line (the job's pid 1)
            # then names no host path.
            command, arguments_fd = bwrap_arguments.pass_by_descriptor([
                "/bin/sh", "-c", ENTER_GROUPS, "sealroom-enter-groups",
                *(str(procs) for procs in group.procs_files()), "--",
                *self._command(workspace, runtime.rootfs, seccomp_fd, info_write, run_fds),
            ])  # fmt: skip
            process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=stdout_write,
                stderr=stderr_write,
                pass_fds=(seccomp_fd, info_write, arguments_fd, *run_fds.all()),
                start_new_session=True,
                env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin"},
                # Not the worker's directory: bwrap changes directory inside, and the
                # host cwd of its outer process names only the run's own directory.
                cwd=workspace.directory,
            )
        except OSError as error:
            for fd in (stdout_read, stderr_read, info_read):
                os.close(fd)
            cgroups.remove_group(group)
            raise BackendFailure(self.name, f"could not start bwrap: {error}") from error
        finally:
            for fd in (seccomp_fd, stdout_write, stderr_write, info_write, *run_fds.all()):
                os.close(fd)
            if arguments_fd >= 0:
                os.close(arguments_fd)
        limit = workspace.policy.limits.log_bytes
        running = _Running(
            process=process,
            stdout=StreamKeeper(stdout_read, limit),
            stderr=StreamKeeper(stderr_read, limit),
            info_fd=info_read,
            group=group,
        )
        with self._lock:
            self._runs[workspace.run_id] = running
        return JobStatus(JobState.RUNNING)

    def wait(self, workspace: Workspace, timeout_seconds: float) -> JobStatus:
        with self._lock:
            running = self._runs.get(workspace.run_id)
        if running is None:
            return self.status(workspace)
        if running.process.poll() is None:
            # Popen.wait(timeout) polls with sleeps of up to 50 ms; a pidfd wakes
            # the supervisor the moment bwrap exits (this is the 15 ms budget).
            pidfd = os.pidfd_open(running.process.pid)
            try:
                select.select([pidfd], [], [], max(timeout_seconds, 0.0))
            finally:
                os.close(pidfd)
        return self._status_of(workspace, running)

    def terminate(self, workspace: Workspace) -> JobStatus:
        with self._lock:
            running = self._runs.get(workspace.run_id)
        if running is None:
            return self.status(workspace)
        if running.process.poll() is None:
            # Kill the sandbox's pid 1 (still bwrap's child, so the pid is not
            # reused): the kernel then kills every process in the job's pid
            # namespace, daemons included; _status_of waits until they are gone.
            init_pid = running.sandbox_init_pid()
            if init_pid is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(init_pid, signal.SIGKILL)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    running.process.wait(timeout=10)
            if running.process.poll() is None:
                # not set up yet (or stuck): --die-with-parent takes the sandbox down
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(running.process.pid, signal.SIGKILL)
                running.process.wait()
        return self._status_of(workspace, running)

    def cpu_seconds_used(self, workspace: Workspace) -> float | None:
        with self._lock:
            running = self._runs.get(workspace.run_id)
        if running is None:
            return None
        try:
            return running.group.cpu_seconds()
        except OSError:
            return None

    def collect_outputs(self, workspace: Workspace, destination: Path) -> Collection:
        self.terminate(workspace)
        return outputs.collect(workspace.outputs_dir, destination, workspace.policy.limits)

    def logs(self, workspace: Workspace) -> tuple[StreamCapture, StreamCapture]:
        with self._lock:
            kept = self._logs.get(workspace.run_id)
            running = self._runs.get(workspace.run_id)
        if kept is not None:
            return kept
        if running is None or running.process.poll() is None:
            return capture(b"", 0), capture(b"", 0)
        kept = (running.stdout.finish(), running.stderr.finish())
        with self._lock:
            self._logs[workspace.run_id] = kept
        return kept

    def cleanup(self, workspace: Workspace) -> JobStatus:
        self.terminate(workspace)
        self.logs(workspace)
        with self._lock:
            running = self._runs.pop(workspace.run_id, None)
            if running is not None and running.info_fd >= 0:
                os.close(running.info_fd)
                running.info_fd = -1
            self._finished.pop(workspace.run_id, None)
            self._logs.pop(workspace.run_id, None)
        if running is not None:
            # a group that would not go is left for the sweep at the next worker start
            cgroups.remove_group(running.group)
        return JobStatus(JobState.UNKNOWN)

    def _status_of(self, workspace: Workspace, running: _Running) -> JobStatus:
        code = running.process.poll()
        if code is None:
            return JobStatus(JobState.RUNNING)
        with self._lock:
            if workspace.run_id in self._finished:
                return self._finished[workspace.run_id]
        _wait_for_sandbox_end(running, workspace.policy.job_uid)
        try:
            oom = running.group.oom_kills() > 0
        except OSError:
            oom = False
        if code < 0:  # bwrap itself was killed (by terminate): the job died with it
            finished = JobStatus(JobState.EXITED, exit_code=None, signal=-code, oom_killed=oom)
        elif code > EXIT_SIGNAL_BASE:
            signal_number = code - EXIT_SIGNAL_BASE
            finished = JobStatus(JobState.EXITED, signal=signal_number, oom_killed=oom)
        else:
            finished = JobStatus(JobState.EXITED, exit_code=code, oom_killed=oom)
        with self._lock:
            self._finished[workspace.run_id] = finished
        return finished

    def _command(
        self, workspace: Workspace, rootfs: Path, seccomp_fd: int, info_fd: int, fds: _RunFds
    ) -> list[str]:
        policy = workspace.policy
        limits = policy.limits
        uid, gid = _host_ids(policy)
        command: list[str] = []
        if os.geteuid() == 0:
            # The root-uid trap: bwrap is never started as root. (Popen's own
            # user/group switch would do the same, but it forces a full fork of
            # the supervisor instead of vfork: slower than this exec.)
            command += [
                "setpriv",
                f"--reuid={uid}",
                f"--regid={gid}",
                "--clear-groups",
                "--inh-caps=-all",
                "--bounding-set=-all",
                "--no-new-privs",
                "--",
            ]
        command += [
            "bwrap",
            "--unshare-user", "--unshare-pid", "--unshare-ipc", "--unshare-net",
            "--unshare-uts", "--unshare-cgroup", "--disable-userns",
            "--uid", str(uid), "--gid", str(gid),
            "--hostname", HOSTNAME,
            "--die-with-parent", "--new-session", "--cap-drop", "ALL",
            "--clearenv",
        ]  # fmt: skip
        for name, value in job_environment(workspace.spec.mode).items():
            command += ["--setenv", name, value]
        command += [
            "--ro-bind", str(rootfs), "/",
            "--proc", "/proc",
            # read-only: the job's own namespaced settings (e.g. fs/mqueue) too
            "--remount-ro", "/proc",
            "--dev", "/dev",
            "--perms", "1777", "--size", str(limits.tmp_bytes), "--tmpfs", recipe.TMP_DIR,
            "--perms", "1777", "--size", str(limits.shm_bytes), "--tmpfs", recipe.SHM_DIR,
            "--remount-ro", "/dev",
            # mount points for single files need a writable parent while being
            # created; each such parent is a tmpfs made read-only right after.
            "--tmpfs", recipe.JOB_DIR,
            "--ro-bind-fd", str(fds.code),
            f"{recipe.JOB_DIR}/{code_file_name(workspace.spec.interpreter)}",
            "--remount-ro", recipe.JOB_DIR,
            "--tmpfs", recipe.INPUTS_DIR,
        ]  # fmt: skip
        for inside, fd in fds.inputs.items():
            command += ["--ro-bind-fd", str(fd), f"{recipe.INPUTS_DIR}/{inside}"]
        command += [
            "--remount-ro", recipe.INPUTS_DIR,
            "--bind-fd", str(fds.outputs), recipe.OUTPUTS_DIR,
            "--chdir", recipe.TMP_DIR,
            "--seccomp", str(seccomp_fd),
            "--info-fd", str(info_fd),
            "--",
            *job_limits(limits),
            *job_command(workspace.spec.interpreter),
        ]  # fmt: skip
        return command


def check_reachable_by_the_job(directory: Path) -> None:
    """bwrap runs as the job's uid and resolves the run's files by path: every
    directory above them must let others pass (the run's own are 0711)."""
    blocked = [p for p in directory.parents if not p.stat().st_mode & stat.S_IXOTH]
    if blocked:
        raise IsolationUnavailable(
            "bwrap",
            f"the job's uid cannot reach its run under {blocked[0]}, which is closed to others",
            "choose a work root whose parent directories all allow others to pass (o+x), "
            "with SEALROOM_SANDBOX_WORK_DIR",
        )


@dataclass(frozen=True)
class _RunFds:
    """The run's files, opened by the supervisor and handed to bwrap as descriptors.

    bwrap runs as the job's uid, which could not walk a private work root to
    reach them by path; and no host path appears in the sandbox's command line.
    """

    code: int
    inputs: dict[str, int]  # name under /inputs -> descriptor
    outputs: int

    @classmethod
    def open(cls, workspace: Workspace) -> _RunFds:
        flags = os.O_PATH | os.O_NOFOLLOW | os.O_CLOEXEC
        return cls(
            code=os.open(workspace.code_file, flags),
            inputs={
                inside: os.open(host, flags) for inside, host in workspace.input_files().items()
            },
            outputs=os.open(workspace.outputs_dir, flags | os.O_DIRECTORY),
        )

    def all(self) -> tuple[int, ...]:
        return (self.code, *self.inputs.values(), self.outputs)


def _wait_for_sandbox_end(running: _Running, job_uid: int) -> None:
    """Return once the sandbox's pid 1, and so every process of the job, is gone.

    bwrap's outer process may exit a moment before the sandbox's pid 1 has torn
    down the pid namespace; "exited" must mean that nothing of the job runs.
    """
    init_pid = running.sandbox_init_pid()
    if init_pid is None:
        return
    try:
        pidfd = os.pidfd_open(init_pid)
    except ProcessLookupError:
        return
    try:
        # a reused pid would belong to someone else: only the job's uid is ours
        expected = job_uid if os.geteuid() == 0 else os.getuid()
        if _real_uid(init_pid) != expected:
            return
        if not select.select([pidfd], [], [], SETTLE_SECONDS)[0]:
            signal.pidfd_send_signal(pidfd, signal.SIGKILL)
            select.select([pidfd], [], [], SETTLE_SECONDS)
    finally:
        os.close(pidfd)


def _real_uid(pid: int) -> int | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("Uid:"):
            return int(line.split()[1])
    return None


@functools.cache
def _seccomp_program() -> bytes:
    """The compiled filter; the rules are constants, so once per process suffices."""
    with tempfile.TemporaryFile() as target:
        seccomp_rules.write_bpf(target)
        target.seek(0)
        return target.read()


def _seccomp_program_fd() -> int:
    """A sealed in-memory file holding the filter, for ``bwrap --seccomp FD``."""
    fd = os.memfd_create("sealroom-seccomp", os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING)
    os.write(fd, _seccomp_program())
    fcntl.fcntl(fd, fcntl.F_ADD_SEALS, fcntl.F_SEAL_WRITE | fcntl.F_SEAL_GROW | fcntl.F_SEAL_SEAL)
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


def _host_ids(policy: IsolationPolicy) -> tuple[int, int]:
    """The uid/gid the job has on the host: the policy's when root, else the caller's."""
    if os.geteuid() == 0:
        return policy.job_uid, policy.job_gid
    return os.getuid(), os.getgid()


def job_limits(limits: Limits) -> list[str]:
    """``prlimit`` inside the sandbox, just before the job's code: its rlimits.

    Set inside rather than on bwrap, because all jobs share the job uid and the
    kernel counts RLIMIT_NPROC per uid and user namespace: inside, the count is
    this job's processes only. Lowering limits needs no privilege; raising them
    again would need CAP_SYS_RESOURCE, which the job does not have.
    """
    return [
        RLIMIT_WRAPPER,
        f"--as={limits.memory_bytes}",
        f"--nproc={limits.pids}",
        # SIGXCPU at the limit, SIGKILL a second later if the job ignores it
        f"--cpu={limits.cpu_seconds}:{limits.cpu_seconds + 1}",
        # one byte over the cap, so the collector sees the breach and names it
        f"--fsize={limits.output_bytes + 1}",
        f"--nofile={limits.open_files}",
        "--core=0",
        "--",
    ]
