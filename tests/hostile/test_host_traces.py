"""A job reading what its sandbox says about the host: no host path, run id or container id.

The job reads its pid 1's command line, environment and open files, its own,
its control groups, its host name and working directory, and its mount table, and prints
them. Nothing it prints may name the run (its id, the work root), the runtime's
location on the host, or its container.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from sandbox import DockerBackend, RunRecord, find_runtime
from sandbox.docker_backend import LABEL
from sandbox.job_environment import HOSTNAME
from sandbox.workspace import default_work_root
from tests.fixtures.sandbox import Attack

# source name -> what the job reads
PROCESS_VIEW = {
    "pid 1 command line": "/proc/1/cmdline",
    "own command line": "/proc/self/cmdline",
    "pid 1 environment": "/proc/1/environ",
    "own environment": "/proc/self/environ",
    "pid 1 control groups": "/proc/1/cgroup",
    "own control groups": "/proc/self/cgroup",
    "own cpuset": "/proc/self/cpuset",
    "kernel host name": "/proc/sys/kernel/hostname",
    "host name file": "/etc/hostname",
    "hosts file": "/etc/hosts",
    "resolver file": "/etc/resolv.conf",
}
MOUNT_VIEW = {
    "own mount table": "/proc/self/mountinfo",
    "pid 1 mount table": "/proc/1/mountinfo",
}
PEEK = """
import socket
def show(name, read):
    try:
        value = read()
    except OSError as error:
        value = f"unreadable: {{error}}"
    print(f"== {{name}}\\n{{value}}", flush=True)
def contents(path):
    return lambda: open(path, "rb").read().replace(b"\\0", b" ").decode(errors="replace")
for name, path in {sources!r}.items():
    show(name, contents(path))
show("host name", socket.gethostname)
show("working directory", os.getcwd)
show("pid 1 working directory", lambda: os.readlink("/proc/1/cwd"))
def open_files(pid):
    folder = f"/proc/{{pid}}/fd"
    names = [f"{{folder}}/{{fd}}" for fd in os.listdir(folder)]
    return lambda: [os.readlink(name) for name in names if os.path.exists(name)]
show("pid 1 open files", open_files("1"))
show("own open files", open_files("self"))
print("== end", flush=True)
"""
LOG_BYTES = 256 * 1024
ARGUMENTS_FILE = "sealroom-bwrap-args"


def test_the_job_sees_no_host_path_run_id_or_container_id(attack: Attack) -> None:
    started = time.time()
    record = attack.run(PEEK.format(sources=PROCESS_VIEW), log_bytes=LOG_BYTES)
    seen = _everything_read(record)
    assert f"== host name\n{HOSTNAME}\n" in seen
    runtime = str(find_runtime().directory)
    # bwrap's options, host paths and all, stay in a descriptor the sandbox never holds
    _assert_absent(seen, [runtime, ARGUMENTS_FILE, *_run_traces(attack, record, started)])


def test_the_mount_table_names_neither_the_run_nor_its_container(attack: Attack) -> None:
    started = time.time()
    record = attack.run(PEEK.format(sources=MOUNT_VIEW), log_bytes=LOG_BYTES)
    seen = _everything_read(record)
    # What remains by design: the runtime's rootfs (bwrap) and the engine's
    # image layers (Docker) are host paths of the installation, the same for every run.
    _assert_absent(seen, _run_traces(attack, record, started))


def _everything_read(record: RunRecord) -> str:
    seen = record.stdout.text
    assert not record.stdout.truncated, record.notes
    assert seen.rstrip().endswith("== end"), (seen[-2000:], record.stderr.text)
    return seen


def _run_traces(attack: Attack, record: RunRecord, started: float) -> list[str]:
    """Every name of this run on the host: its id, its work root, its container's id."""
    traces = [record.run_id, str(attack.work_root), str(default_work_root())]
    if attack.backend.name == "docker":
        containers = _container_ids(record.run_id, started)
        assert len(containers) == 1, containers
        # the full id, and the short one the engine shows (and once used as host name)
        traces += [*containers, *(container[:12] for container in containers)]
        traces.append("/var/lib/docker/containers/")
    return traces


def _container_ids(run_id: str, since: float) -> set[str]:
    """The ids of the run's containers, from the engine's event log (they are removed now)."""
    events = DockerBackend().client.events(
        since=int(since) - 1,
        until=int(time.time()) + 1,
        filters={"type": "container", "label": f"{LABEL}={run_id}"},
        decode=True,
    )
    return {str(event["id"]) for event in events}


def _assert_absent(seen: str, traces: Iterable[str]) -> None:
    for trace in traces:
        lines = [line for line in seen.splitlines() if trace in line]
        assert not lines, f"the job could read {trace!r}: {lines[:5]}"
