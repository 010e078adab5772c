"""Which backends can isolate jobs here, and with which policy: for `sealroom doctor`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sandbox.backend import Backend
from sandbox.bubblewrap import BubblewrapBackend, check_reachable_by_the_job
from sandbox.cgroups import create_group, describe_support, remove_group
from sandbox.docker_backend import DockerBackend
from sandbox.errors import SandboxError
from sandbox.policy import IsolationPolicy, Limits
from sandbox.volume import close_volume, open_volume


@dataclass(frozen=True)
class BackendReport:
    name: str
    available: bool
    details: dict[str, str]  # describe() when available, else {"problem": one line}


def report_backends(runtime_root: Path | None = None) -> tuple[BackendReport, ...]:
    """Check each backend without running anything; problems come back as one line each."""
    candidates: list[Backend] = [BubblewrapBackend(runtime_root), DockerBackend(runtime_root)]
    reports: list[BackendReport] = []
    for backend in candidates:
        try:
            backend.check_available()
            reports.append(BackendReport(backend.name, True, backend.describe()))
        except SandboxError as problem:
            reports.append(BackendReport(backend.name, False, {"problem": problem.message}))
    return tuple(reports)


def effective_policy() -> dict[str, str]:
    """The default policy every job runs under, as rows (limits may be lowered per job)."""
    return IsolationPolicy().as_table()


def check_run_isolation(work_root: Path, owner_tag: str | None = None) -> str:
    """Make and remove one run's tmpfs and control group; what limits jobs, in one line.

    Raises ``IsolationUnavailable`` with the reason a run would fail closed here
    (not root, no cgroup controller, a work root that is not root's).
    """
    probe = open_volume(work_root, 0, owner_tag=owner_tag)
    try:
        check_reachable_by_the_job(probe.path / "job")
        group = create_group(probe.name, Limits())
        remove_group(group)
    finally:
        close_volume(probe)
    return f"{describe_support()}; inputs in a private tmpfs per run under {work_root}"
