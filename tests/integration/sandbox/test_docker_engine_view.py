"""The running container, as the Docker Engine sees it, carries every policy flag."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sandbox import DockerBackend, IsolationPolicy, JobSpec, JobState, Limits
from sandbox import workspace as workspaces
from sandbox.docker_backend import ENGINE_WRITTEN_FILES
from sandbox.runner import new_run_id
from sandbox.seccomp_rules import DENIED_SYSCALLS

pytestmark = [pytest.mark.docker, pytest.mark.integration]

LIMITS = Limits(memory_bytes=192 * 1024 * 1024, pids=24, tmp_bytes=16 * 1024 * 1024,
                shm_bytes=8 * 1024 * 1024, cpu_seconds=7, wall_seconds=20)  # fmt: skip


@pytest.fixture
def running(sandbox_runtime: Path, tmp_path: Path) -> Iterator[dict[str, Any]]:
    code = tmp_path / "job.py"
    code.write_text("import time\ntime.sleep(30)\n")
    data = tmp_path / "sales.parquet"
    data.write_bytes(b"PAR1")
    spec = JobSpec(code=code, inputs={"sales": data}, limits=LIMITS)
    policy = IsolationPolicy(limits=LIMITS)
    backend = DockerBackend()
    space = workspaces.create(new_run_id(), spec, policy, workspaces.default_work_root())
    try:
        assert backend.execute(space).state is JobState.RUNNING
        yield backend.inspect(space)
    finally:
        backend.cleanup(space)
        workspaces.remove(space)


def test_every_capability_is_dropped(running: dict[str, Any]) -> None:
    assert running["HostConfig"]["CapDrop"] == ["ALL"]
    assert not running["HostConfig"]["CapAdd"]
    assert running["HostConfig"]["Privileged"] is False


def test_the_root_filesystem_is_read_only(running: dict[str, Any]) -> None:
    assert running["HostConfig"]["ReadonlyRootfs"] is True


def test_there_is_no_network(running: dict[str, Any]) -> None:
    assert running["HostConfig"]["NetworkMode"] == "none"
    assert running["Config"]["NetworkDisabled"] is True


def test_pids_memory_and_swap_are_limited(running: dict[str, Any]) -> None:
    host = running["HostConfig"]
    assert host["PidsLimit"] == 24
    assert host["Memory"] == 192 * 1024 * 1024
    assert host["MemorySwap"] == 192 * 1024 * 1024
    assert host["ShmSize"] == 8 * 1024 * 1024
    ulimits = {item["Name"]: item["Hard"] for item in host["Ulimits"]}
    assert ulimits["cpu"] == 8  # hard: one second after the SIGXCPU at 7
    assert ulimits["core"] == 0
    assert "nproc" not in ulimits  # per-uid, shared by all jobs: the pids cgroup does it


def test_no_new_privileges_and_the_seccomp_profile_are_set(running: dict[str, Any]) -> None:
    options = running["HostConfig"]["SecurityOpt"]
    assert "no-new-privileges:true" in options
    profile = json.loads(next(o for o in options if o.startswith("seccomp="))[len("seccomp=") :])
    denied = next(rule for rule in profile["syscalls"] if "ptrace" in rule["names"])
    assert set(denied["names"]) == set(DENIED_SYSCALLS)


def test_the_job_runs_as_the_unprivileged_job_uid(running: dict[str, Any]) -> None:
    assert running["Config"]["User"] == "64123:64123"


def test_only_the_job_code_inputs_and_outputs_are_mounted(running: dict[str, Any]) -> None:
    mounts = {
        item["Destination"]: item["RW"]
        for item in running["Mounts"]
        if item["Destination"] not in ENGINE_WRITTEN_FILES
    }
    assert mounts == {"/sealroom/job.py": False, "/inputs/sales.parquet": False, "/outputs": True}
    assert running["HostConfig"]["Tmpfs"]["/tmp"].endswith(f"size={16 * 1024 * 1024},mode=1777")


def test_the_engines_own_files_are_covered_by_empty_read_only_ones(
    running: dict[str, Any],
) -> None:
    # else the engine binds them from /var/lib/docker/containers/<container id>/
    covered = {
        item["Destination"]: (item["Source"], item["RW"])
        for item in running["Mounts"]
        if item["Destination"] in ENGINE_WRITTEN_FILES
    }
    assert covered == {path: ("/dev/null", False) for path in ENGINE_WRITTEN_FILES}


def test_the_container_has_a_cgroup_namespace_of_its_own(running: dict[str, Any]) -> None:
    assert running["HostConfig"]["CgroupnsMode"] == "private"


def test_the_image_is_the_pinned_local_image(
    running: dict[str, Any], sandbox_runtime: Path
) -> None:
    manifest = json.loads((sandbox_runtime / "manifest.json").read_text())
    assert running["Image"] == manifest["docker_image_id"]
    assert running["Config"]["Image"] == manifest["docker_image_id"]
