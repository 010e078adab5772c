"""The production backend: a Docker Engine through the ``docker`` SDK.

Every flag comes from the ``IsolationPolicy``; the engine's own view of a running
job is tested flag by flag (``HostConfig.CapDrop == ["ALL"]``, ``ReadonlyRootfs``,
``NetworkMode == "none"``, ``PidsLimit``, ``Memory``, ``SecurityOpt``, ``User``).
The image is the runtime rootfs imported locally and referenced by its image id,
so the engine never pulls (there is no registry; issue 6, point 2).
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

from sandbox import image, outputs, recipe, seccomp_rules
from sandbox.backend import JobState, JobStatus
from sandbox.errors import BackendFailure, ImageMissing, IsolationUnavailable
from sandbox.job_environment import HOSTNAME, job_command, job_environment
from sandbox.outputs import Collection
from sandbox.record import StreamCapture
from sandbox.streams import DemuxKeeper, capture
from sandbox.workspace import Workspace, code_file_name

EXIT_SIGNAL_BASE = 128
CONTAINER_PREFIX = "sealroom-job-"
LABEL = "org.sealroom.run"
# files the engine writes per container and binds in from its container directory
ENGINE_WRITTEN_FILES = ("/etc/hostname", "/etc/hosts", "/etc/resolv.conf")


def container_name(workspace: Workspace) -> str:
    return f"{CONTAINER_PREFIX}{workspace.run_id}"


class DockerBackend:
    """Runs jobs as hardened containers of the locally built job image."""

    name = "docker"

    def __init__(self, runtime_root: Path | None = None, client: Any = None) -> None:
        self._runtime_root = runtime_root
        self._client = client
        self._streams: dict[str, DemuxKeeper] = {}
        self._logs: dict[str, tuple[StreamCapture, StreamCapture]] = {}

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = connect_engine()
        return self._client

    def check_available(self) -> None:
        client = self.client
        image_id = self._image_id()
        import docker.errors  # noqa: PLC0415 - the SDK is optional for the embedded backend

        try:
            client.images.get(image_id)
        except docker.errors.ImageNotFound as missing:
            raise ImageMissing(f"the job image {image_id[:19]} in the Docker Engine") from missing

    def describe(self) -> dict[str, str]:
        return {
            "backend": self.name,
            "image": self._image_id(),
            "engine": str(self.client.version().get("Version", "unknown")),
            "memory_enforced_as": "the container's cgroup memory limit (OOM kill), swap off",
            "pids_enforced_as": "the container's cgroup pids limit",
            "cpu_enforced_as": "the container's CPU usage against the budget, and RLIMIT_CPU",
        }

    def status(self, workspace: Workspace) -> JobStatus:
        container = self._container(workspace)
        if container is None:
            return JobStatus(JobState.UNKNOWN)
        state = container.attrs["State"]
        if state["Status"] == "created":
            return JobStatus(JobState.PREPARED)
        if state["Status"] in ("running", "paused", "restarting"):
            return JobStatus(JobState.RUNNING)
        code = int(state["ExitCode"])
        oom = bool(state.get("OOMKilled"))
        if code > EXIT_SIGNAL_BASE:
            return JobStatus(
                JobState.EXITED, exit_code=None, signal=code - EXIT_SIGNAL_BASE, oom_killed=oom
            )
        return JobStatus(JobState.EXITED, exit_code=code, oom_killed=oom)

    def prepare(self, workspace: Workspace) -> JobStatus:
        current = self.status(workspace)
        if current.state is not JobState.UNKNOWN:
            return current
        api = self.client.api
        try:
            api.create_container(
                image=self._image_id(),
                command=job_command(workspace.spec.interpreter),
                name=container_name(workspace),
                hostname=HOSTNAME,
                user=f"{workspace.policy.job_uid}:{workspace.policy.job_gid}",
                environment=job_environment(workspace.spec.mode),
                working_dir=recipe.TMP_DIR,
                labels={LABEL: workspace.run_id},
                network_disabled=True,
                host_config=api.create_host_config(**host_config(workspace)),
            )
        except Exception as error:
            raise BackendFailure(self.name, f"could not create the container: {error}") from error
        return JobStatus(JobState.PREPARED)

    def execute(self, workspace: Workspace) -> JobStatus:
        current = self.prepare(workspace)
        if current.state is not JobState.PREPARED:
            return current
        api = self.client.api
        try:
            # attached before the start, so not a byte of output is missed
            chunks = api.attach(
                container_name(workspace), stdout=True, stderr=True, stream=True, demux=True
            )
            self._streams[workspace.run_id] = DemuxKeeper(chunks, workspace.policy.limits.log_bytes)
            api.start(container_name(workspace))
        except Exception as error:
            raise BackendFailure(self.name, f"could not start the container: {error}") from error
        return JobStatus(JobState.RUNNING)

    def wait(self, workspace: Workspace, timeout_seconds: float) -> JobStatus:
        current = self.status(workspace)
        if current.state is not JobState.RUNNING:
            return current
        # The SDK signals "still running" with its HTTP library's read timeout; any
        # other failure shows up in the status call below, which is not suppressed.
        with contextlib.suppress(Exception):
            self.client.api.wait(container_name(workspace), timeout=max(timeout_seconds, 0.01))
        return self.status(workspace)

    def terminate(self, workspace: Workspace) -> JobStatus:
        current = self.status(workspace)
        if current.state is not JobState.RUNNING:
            return current
        import docker.errors  # noqa: PLC0415

        with contextlib.suppress(docker.errors.APIError):
            self.client.api.kill(container_name(workspace), signal="SIGKILL")
        self.client.api.wait(container_name(workspace))
        return self.status(workspace)

    def cpu_seconds_used(self, workspace: Workspace) -> float | None:
        # one_shot: the engine reads the container's cgroup once instead of
        # sampling twice a second apart, so this fits between the supervisor's waits
        try:
            stats = self.client.api.stats(container_name(workspace), stream=False, one_shot=True)
            return int(stats["cpu_stats"]["cpu_usage"]["total_usage"]) / 1e9
        except Exception:
            return None  # not running (any more): the status says what happened

    def collect_outputs(self, workspace: Workspace, destination: Path) -> Collection:
        self.terminate(workspace)
        return outputs.collect(workspace.outputs_dir, destination, workspace.policy.limits)

    def logs(self, workspace: Workspace) -> tuple[StreamCapture, StreamCapture]:
        if workspace.run_id in self._logs:
            return self._logs[workspace.run_id]
        keeper = self._streams.get(workspace.run_id)
        if keeper is None or self.status(workspace).state is JobState.RUNNING:
            # nothing attached in this process (the engine keeps no log by design)
            return capture(b"", 0), capture(b"", 0)
        kept = keeper.finish()
        self._logs[workspace.run_id] = kept
        return kept

    def cleanup(self, workspace: Workspace) -> JobStatus:
        import docker.errors  # noqa: PLC0415

        with contextlib.suppress(docker.errors.NotFound):
            self.client.api.remove_container(container_name(workspace), force=True, v=True)
        self._streams.pop(workspace.run_id, None)
        self._logs.pop(workspace.run_id, None)
        return JobStatus(JobState.UNKNOWN)

    def inspect(self, workspace: Workspace) -> dict[str, Any]:
        """The engine's own view of the job's container (for tests and operators)."""
        return dict(self.client.api.inspect_container(container_name(workspace)))

    def _container(self, workspace: Workspace) -> Any:
        import docker.errors  # noqa: PLC0415

        try:
            return self.client.containers.get(container_name(workspace))
        except docker.errors.NotFound:
            return None

    def _image_id(self) -> str:
        runtime = image.find_runtime(self._runtime_root)
        if runtime.docker_image_id is None:
            raise ImageMissing("the job image for the Docker Engine")
        return runtime.docker_image_id


def host_config(workspace: Workspace) -> dict[str, Any]:
    """The container's HostConfig, every value from the policy."""
    from docker.types import LogConfig, Mount, Ulimit  # noqa: PLC0415

    limits = workspace.policy.limits
    code_inside = f"{recipe.JOB_DIR}/{code_file_name(workspace.spec.interpreter)}"
    binds: dict[str, dict[str, str]] = {
        str(workspace.code_file): {"bind": code_inside, "mode": "ro"},
        str(workspace.outputs_dir): {"bind": recipe.OUTPUTS_DIR, "mode": "rw"},
    }
    for inside, host in workspace.input_files().items():
        binds[str(host)] = {"bind": f"{recipe.INPUTS_DIR}/{inside}", "mode": "ro"}
    return {
        "binds": binds,
        "network_mode": "none",
        "cap_drop": ["ALL"],
        "security_opt": ["no-new-privileges:true", f"seccomp={seccomp_rules.docker_profile()}"],
        "read_only": True,
        "privileged": False,
        "ipc_mode": "private",
        # The container id is the engine's name for the job: it must not be readable
        # inside. A cgroup namespace of its own shows the job's groups as "/", not
        # "/docker/<id>"; an empty file of ours at each of the engine's own network
        # files keeps it from binding them from /var/lib/docker/containers/<id>/.
        "cgroupns": "private",
        "mounts": [
            Mount(target=path, source="/dev/null", type="bind", read_only=True)
            for path in ENGINE_WRITTEN_FILES
        ],
        # Per container (cgroup), so for the whole job: every process, thread, memfd
        # and /dev/shm or /tmp page is charged here; the CPU budget is the
        # supervisor's (``cpu_seconds_used``). No nproc ulimit, which would count
        # every job's processes together, since all jobs share the job uid.
        "pids_limit": limits.pids,
        "mem_limit": limits.memory_bytes,
        "memswap_limit": limits.memory_bytes,
        "shm_size": limits.shm_bytes,
        "tmpfs": {recipe.TMP_DIR: f"rw,nosuid,nodev,size={limits.tmp_bytes},mode=1777"},
        "ulimits": [
            Ulimit(name="cpu", soft=limits.cpu_seconds, hard=limits.cpu_seconds + 1),
            Ulimit(name="fsize", soft=limits.output_bytes + 1, hard=limits.output_bytes + 1),
            Ulimit(name="nofile", soft=limits.open_files, hard=limits.open_files),
            Ulimit(name="core", soft=0, hard=0),
        ],
        # No engine log on the host disk (a flood must not fill it): the backend
        # attaches to the streams and keeps their heads, as with bubblewrap.
        "log_config": LogConfig(type="none"),
        # A small init (tini) as pid 1, as bubblewrap has: the job is not pid 1, so
        # SIGXCPU and other default-fatal signals reach it, and its exit ends every
        # process it left behind.
        "init": True,
    }


def connect_engine() -> Any:
    try:
        import docker  # noqa: PLC0415
    except ImportError as missing:
        raise IsolationUnavailable(
            "docker", "the docker Python SDK is not installed", "run `pip install docker`"
        ) from missing
    try:
        client = docker.from_env()
        client.ping()
    except Exception as error:
        if not _engine_installed():
            raise IsolationUnavailable(
                "docker", "the Docker Engine is not installed", "run `apt-get install docker.io`"
            ) from error
        raise IsolationUnavailable(
            "docker",
            "the Docker Engine is not running",
            "start it with `dockerd --iptables=false --bridge=none` (scripts/docker-engine.sh)",
        ) from error
    return client


def _engine_installed() -> bool:
    return any(
        Path(directory, "dockerd").exists()
        for directory in [*os.environ.get("PATH", "/usr/bin").split(":"), "/usr/sbin"]
    )
