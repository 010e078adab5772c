"""The host side of one run: a private, memory-backed directory holding what the job may see.

    <work root>/sealroom-<tag>-<owner>-<random>/   the run's tmpfs (``sandbox.volume``), 0711
        job/                         0711, root
            job.py | job.sh          0400, the job's uid: the code
            inputs/                  0500, the job's uid
                <dataset>.parquet    0400, the job's uid
            outputs/                 a tmpfs of its own, 0700, the job's uid: bound at /outputs

Nothing of a run touches a disk. A run's own directories are 0711 (bwrap runs as
the job's uid and opens the run's files by path), but everything holding data is
the job's uid's alone: another local user can neither list nor read it. The
random volume name is a second line only: mount points are public in
/proc/self/mountinfo, so permissions, not secrecy of the path, keep data private. Inputs the
caller already placed in the same volume are linked, not copied (a second copy
would double the memory a run holds); inputs from anywhere else are copied, so
the job never holds the caller's inode. ``/outputs`` is its own tmpfs of the
output byte cap and entry cap: the kernel refuses the byte or entry past the cap
while the job runs, whatever the name or depth it is written at.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sandbox import mounts, volume
from sandbox.errors import IsolationUnavailable
from sandbox.policy import IsolationPolicy, Limits
from sandbox.spec import Interpreter, JobSpec, input_file_name
from sandbox.tree_removal import remove_tree
from sandbox.volume import RunVolume

WORK_ROOT_ENV = "SEALROOM_SANDBOX_WORK_DIR"
OUTPUTS_SOURCE = "sealroom-outputs"
PAGE = 4096


@dataclass(frozen=True)
class Workspace:
    run_id: str
    directory: Path
    spec: JobSpec
    policy: IsolationPolicy
    volume: RunVolume
    owns_volume: bool = True  # opened for this run alone, so closed with it

    @property
    def code_file(self) -> Path:
        return self.directory / code_file_name(self.spec.interpreter)

    @property
    def inputs_dir(self) -> Path:
        return self.directory / "inputs"

    @property
    def outputs_dir(self) -> Path:
        return self.directory / "outputs"

    def input_files(self) -> dict[str, Path]:
        """``/inputs/<name>.parquet`` inside the job -> host file."""
        return {
            input_file_name(name): self.inputs_dir / input_file_name(name)
            for name in sorted(self.spec.inputs)
        }


def code_file_name(interpreter: Interpreter) -> str:
    return "job.py" if interpreter is Interpreter.PYTHON else "job.sh"


def default_work_root() -> Path:
    configured = os.environ.get(WORK_ROOT_ENV)
    return Path(configured) if configured else Path(tempfile.gettempdir()) / "sealroom-runs"


def outputs_capacity(limits: Limits) -> tuple[int, int]:
    """(bytes, inodes) of the outputs tmpfs: one page and one entry past the caps.

    The spare page and inode let the supervisor tell "at the cap" from "tried to
    go past it": a job that fills exactly its cap is not stopped; the next byte
    or entry fails inside the job and the supervisor stops the run.
    """
    size = -(-limits.output_bytes // PAGE) * PAGE + PAGE
    # the tmpfs root directory takes an inode of its own
    return size, limits.output_files + 2


def create(
    run_id: str,
    spec: JobSpec,
    policy: IsolationPolicy,
    work_root: Path,
    *,
    run_volume: RunVolume | None = None,
) -> Workspace:
    """Lay out the run in ``run_volume`` (idempotent), or in a volume of its own."""
    owns = run_volume is None
    if run_volume is None:
        run_volume = volume.open_volume(work_root, _bytes_needed(spec))
    workspace = Workspace(
        run_id=run_id,
        directory=run_volume.path / "job",
        spec=spec,
        policy=policy,
        volume=run_volume,
        owns_volume=owns,
    )
    if (workspace.directory / ".ready").exists():
        return workspace
    try:
        _lay_out(workspace)
    except BaseException:
        remove(workspace)
        raise
    return workspace


def remove(workspace: Workspace) -> None:
    """Detach the run's mounts and remove every trace of it; harmless when called again."""
    if workspace.owns_volume:
        volume.close_volume(workspace.volume)
        return
    for mount in mounts.mounts_under(workspace.directory):
        mounts.detach(mount.point)
    remove_tree(workspace.directory)


def _lay_out(workspace: Workspace) -> None:
    uid, gid = _job_ids(workspace.policy)
    workspace.directory.mkdir(mode=0o711, exist_ok=True)
    workspace.directory.chmod(0o711)
    _place(workspace.spec.code, workspace.code_file, workspace.volume, uid, gid)
    workspace.inputs_dir.mkdir(mode=0o700, exist_ok=True)
    for name, source in workspace.spec.inputs.items():
        target = workspace.inputs_dir / input_file_name(name)
        _place(source, target, workspace.volume, uid, gid)
    os.chown(workspace.inputs_dir, uid, gid)
    workspace.inputs_dir.chmod(0o500)
    _mount_outputs(workspace, uid, gid)
    (workspace.directory / ".ready").touch()


def _mount_outputs(workspace: Workspace, uid: int, gid: int) -> None:
    size, inodes = outputs_capacity(workspace.policy.limits)
    workspace.outputs_dir.mkdir(mode=0o700, exist_ok=True)
    if mounts.is_mount_point(workspace.outputs_dir):
        return
    options = f"size={size},nr_inodes={inodes},mode=0700,uid={uid},gid={gid}"
    try:
        mounts.mount_tmpfs(workspace.outputs_dir, OUTPUTS_SOURCE, options)
    except OSError as error:
        raise IsolationUnavailable(
            "sandbox",
            f"the size-capped /outputs filesystem could not be mounted ({error.strerror})",
            "run the worker as root; `sealroom doctor` checks this",
        ) from error


def _place(source: Path, target: Path, run_volume: RunVolume, uid: int, gid: int) -> None:
    if target.exists():
        target.unlink()
    if run_volume.path in source.resolve().parents:
        os.link(source, target)
    else:
        shutil.copyfile(source, target)
    os.chown(target, uid, gid)
    target.chmod(0o400)


def _bytes_needed(spec: JobSpec) -> int:
    return spec.code.stat().st_size + sum(path.stat().st_size for path in spec.inputs.values())


def _job_ids(policy: IsolationPolicy) -> tuple[int, int]:
    """The job's uid/gid on the host: the policy's when root (always, since volumes need it)."""
    if os.geteuid() == 0:
        return policy.job_uid, policy.job_gid
    return os.getuid(), os.getgid()
