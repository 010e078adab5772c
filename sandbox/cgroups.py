"""One control group per bubblewrap job: memory, CPU time and processes for the whole job.

Rlimits count per process: four processes each under an address-space limit
together hold four times it, memfds and tmpfs pages are in no address space at
all, and six children each under a CPU rlimit burn six times it. A control group
counts every process, thread, memfd and shared-memory page the job makes, so the
limits here are the job's, not each process's:

- memory: ``memory.limit_in_bytes`` and ``memory.memsw.limit_in_bytes`` (v1) or
  ``memory.max`` with ``memory.swap.max`` 0 (v2); the kernel's OOM killer acts at
  the limit, and its kill count tells the supervisor why the job died;
- processes: ``pids.max`` (the job's limit plus bwrap's two own processes);
- CPU time: the group's usage, read by the supervisor between slices, which stops
  the job once the budget is spent (``Backend.cpu_seconds_used``).

Whichever hierarchy the host has is used: v1 when the memory controller is
mounted as v1 (this is what a hybrid host gives jobs), else v2. Groups are made
as children of the supervisor's own group, so a job never escapes the limits
its supervisor runs under, and are named like the run's volume
(``sandbox.run_names``): a sweep finds the groups of its own dead runs and no one
else's. A group that cannot be made is ``IsolationUnavailable``: the run fails
closed, and ``sealroom doctor`` shows the same problem.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

from sandbox import run_names
from sandbox.errors import IsolationUnavailable
from sandbox.policy import Limits

V1_CONTROLLERS = ("memory", "pids", "cpuacct")
V2_CONTROLLERS = ("memory", "pids", "cpu")
BWRAP_OWN_PROCESSES = 2  # bwrap's outer process and the sandbox's pid 1
REMOVE_ATTEMPTS = 100
REMOVE_PAUSE_SECONDS = 0.05
REMEDY = "run the worker as root on a host with the memory, pids and cpuacct cgroup controllers"


class CgroupUnavailable(Exception):
    """This host gives no control group for jobs; the message says why."""


@dataclass(frozen=True)
class Hierarchy:
    """Where job groups are made: one parent per v1 controller, or one v2 parent."""

    version: int
    parents: dict[str, Path]  # controller -> the directory new job groups go in


@dataclass(frozen=True)
class JobGroup:
    name: str
    version: int
    directories: dict[str, Path]  # controller -> the job's group directory

    def procs_files(self) -> tuple[Path, ...]:
        unique = sorted(set(self.directories.values()))
        return tuple(directory / "cgroup.procs" for directory in unique)

    def cpu_seconds(self) -> float:
        if self.version == 1:
            return int(_read(self.directories["cpuacct"] / "cpuacct.usage")) / 1e9
        return _keyed(self.directories["cpu"] / "cpu.stat").get("usage_usec", 0) / 1e6

    def oom_kills(self) -> int:
        if self.version == 1:
            return _keyed(self.directories["memory"] / "memory.oom_control").get("oom_kill", 0)
        return _keyed(self.directories["memory"] / "memory.events").get("oom_kill", 0)

    def processes(self) -> tuple[int, ...]:
        found: set[int] = set()
        for procs in self.procs_files():
            with contextlib.suppress(OSError):
                found.update(int(line) for line in _read(procs).split())
        return tuple(sorted(found))


def find_hierarchy() -> Hierarchy:
    """The host's cgroup hierarchy for job groups; ``CgroupUnavailable`` if there is none."""
    own = _own_groups()
    v1_mounts, v2_mount = _cgroup_mounts()
    if "memory" in v1_mounts:
        parents: dict[str, Path] = {}
        for controller in V1_CONTROLLERS:
            if controller not in v1_mounts:
                raise CgroupUnavailable(f"the {controller} cgroup controller is not mounted")
            parents[controller] = _join(v1_mounts[controller], own.get(controller, "/"))
        return Hierarchy(version=1, parents=parents)
    if v2_mount is None:
        raise CgroupUnavailable("no cgroup hierarchy is mounted")
    # v2 forbids processes in a group that hands controllers down, and the
    # supervisor is in its own group: job groups are its siblings
    parent = _join(v2_mount, own.get("", "/")).parent
    enabled = set(_read(parent / "cgroup.subtree_control").split())
    missing = [name for name in V2_CONTROLLERS if name not in enabled]
    if missing:
        with contextlib.suppress(OSError):
            (parent / "cgroup.subtree_control").write_text(" ".join(f"+{n}" for n in missing))
        enabled = set(_read(parent / "cgroup.subtree_control").split())
        if any(name not in enabled for name in V2_CONTROLLERS):
            raise CgroupUnavailable(
                f"{parent} does not delegate the {', '.join(missing)} controllers"
            )
    return Hierarchy(version=2, parents=dict.fromkeys(V2_CONTROLLERS, parent))


def create_group(name: str, limits: Limits) -> JobGroup:
    """Make and limit the job's group; fail closed with ``IsolationUnavailable``."""
    try:
        hierarchy = find_hierarchy()
        group = JobGroup(
            name=name,
            version=hierarchy.version,
            directories={c: parent / name for c, parent in hierarchy.parents.items()},
        )
        for directory in sorted(set(group.directories.values())):
            directory.mkdir(mode=0o700)
        _apply_limits(group, limits)
    except (CgroupUnavailable, OSError) as problem:
        if "group" in locals():
            remove_group(group)
        raise IsolationUnavailable(
            "bwrap", f"the job's control group could not be made ({problem})", REMEDY
        ) from problem
    return group


def remove_group(group: JobGroup) -> bool:
    """Kill whatever is still in the group and remove it; False if it would not go."""
    for _ in range(REMOVE_ATTEMPTS):
        for pid in group.processes():
            # in this run's group, so this run's process (a pid cannot change group
            # to one it did not make, and the job cannot make groups)
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        remaining = [d for d in set(group.directories.values()) if d.exists()]
        for directory in remaining:
            with contextlib.suppress(FileNotFoundError, OSError):
                directory.rmdir()
        if not any(d.exists() for d in remaining):
            return True
        time.sleep(REMOVE_PAUSE_SECONDS)
    return False


def sweep_groups(tag: str) -> tuple[str, ...]:
    """Remove the groups dead runs carrying ``tag`` left; their names."""
    try:
        hierarchy = find_hierarchy()
    except CgroupUnavailable:
        return ()
    names: set[str] = set()
    for parent in set(hierarchy.parents.values()):
        with contextlib.suppress(OSError):
            for entry in parent.iterdir():
                owner = run_names.owner_of(entry.name, tag)
                if owner is not None and not owner.alive():
                    names.add(entry.name)
    swept = []
    for name in sorted(names):
        group = JobGroup(
            name=name,
            version=hierarchy.version,
            directories={c: parent / name for c, parent in hierarchy.parents.items()},
        )
        if remove_group(group):
            swept.append(name)
    return tuple(swept)


def describe_support() -> str:
    """One line for ``sealroom doctor`` and the backend description."""
    hierarchy = find_hierarchy()
    controllers = ", ".join(sorted(hierarchy.parents))
    return f"a control group per job, cgroup v{hierarchy.version} ({controllers})"


def memory_limit_files(group: JobGroup, limits: Limits) -> list[tuple[Path, str]]:
    """(file, value) pairs that limit the job's memory, in the order they must be written."""
    memory = group.directories["memory"]
    amount = str(limits.memory_bytes)
    if group.version == 1:
        files = [(memory / "memory.limit_in_bytes", amount)]
        if (memory / "memory.memsw.limit_in_bytes").exists():
            files.append((memory / "memory.memsw.limit_in_bytes", amount))
        return files
    files = [(memory / "memory.max", amount)]
    if (memory / "memory.swap.max").exists():
        files.append((memory / "memory.swap.max", "0"))
    return files


def _apply_limits(group: JobGroup, limits: Limits) -> None:
    for path, value in memory_limit_files(group, limits):
        path.write_text(value)
    pids = (group.directories["pids"] / "pids.max", str(limits.pids + BWRAP_OWN_PROCESSES))
    pids[0].write_text(pids[1])
    for path, value in [*memory_limit_files(group, limits), pids]:
        if _read(path).strip() != value:
            raise CgroupUnavailable(f"{path} did not take the value {value}")


def _own_groups() -> dict[str, str]:
    """controller -> this process's group path ("" names the v2 group)."""
    groups: dict[str, str] = {}
    for line in _read(Path("/proc/self/cgroup")).splitlines():
        _, controllers, path = line.split(":", 2)
        for controller in controllers.split(","):
            groups[controller] = path
    return groups


def _cgroup_mounts() -> tuple[dict[str, Path], Path | None]:
    v1: dict[str, Path] = {}
    v2: Path | None = None
    for line in _read(Path("/proc/self/mountinfo")).splitlines():
        before, _, after = line.partition(" - ")
        fields = before.split()
        fstype, _, options = after.split()[:3]
        root, point = fields[3], Path(fields[4])
        if root != "/":
            continue  # a group bound elsewhere (a container's view): not a hierarchy's root
        if fstype == "cgroup":
            for option in options.split(","):
                v1.setdefault(option, point)
        elif fstype == "cgroup2" and v2 is None:
            v2 = point
    return v1, v2


def _join(mount: Path, group_path: str) -> Path:
    return mount / group_path.lstrip("/")


def _read(path: Path) -> str:
    return path.read_text()


def _keyed(path: Path) -> dict[str, int]:
    values: dict[str, int] = {}
    for line in _read(path).splitlines():
        key, _, value = line.partition(" ")
        with contextlib.suppress(ValueError):
            values[key] = int(value)
    return values
