"""The host side of one run: a private directory holding what the job may see.

    <work root>/<run id>/            0711, owned by the supervisor
        job.py | job.sh              0444 copy of the code
        inputs/<dataset>.parquet     0444 copies of the inputs
        outputs/                     0700, owned by the job's uid: bound at /outputs

Inputs are copied, not bound in place, so the job never holds the caller's inode
(it cannot learn the caller's path, and a permission change there cannot widen
what it reads). The job's uid can traverse but not list the run directory.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sandbox.policy import IsolationPolicy
from sandbox.spec import Interpreter, JobSpec, input_file_name

WORK_ROOT_ENV = "SEALROOM_SANDBOX_WORK_DIR"


@dataclass(frozen=True)
class Workspace:
    run_id: str
    directory: Path
    spec: JobSpec
    policy: IsolationPolicy

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
        """``/inputs/<name>.parquet`` inside the job -> host copy."""
        return {
            input_file_name(name): self.inputs_dir / input_file_name(name)
            for name in sorted(self.spec.inputs)
        }


def code_file_name(interpreter: Interpreter) -> str:
    return "job.py" if interpreter is Interpreter.PYTHON else "job.sh"


def default_work_root() -> Path:
    configured = os.environ.get(WORK_ROOT_ENV)
    return Path(configured) if configured else Path(tempfile.gettempdir()) / "sealroom-runs"


def create(run_id: str, spec: JobSpec, policy: IsolationPolicy, work_root: Path) -> Workspace:
    """Lay out the run directory (idempotent: an existing layout is kept)."""
    work_root.mkdir(mode=0o711, parents=True, exist_ok=True)
    work_root.chmod(0o711)
    workspace = Workspace(run_id=run_id, directory=work_root / run_id, spec=spec, policy=policy)
    if (workspace.directory / ".ready").exists():
        return workspace
    workspace.directory.mkdir(mode=0o711, exist_ok=True)
    workspace.directory.chmod(0o711)
    _copy_read_only(spec.code, workspace.code_file)
    workspace.inputs_dir.mkdir(mode=0o711, exist_ok=True)
    for name, source in spec.inputs.items():
        _copy_read_only(source, workspace.inputs_dir / input_file_name(name))
    workspace.outputs_dir.mkdir(mode=0o700, exist_ok=True)
    if os.geteuid() == 0:
        os.chown(workspace.outputs_dir, policy.job_uid, policy.job_gid)
    else:
        # Not root: the job runs as this user (bubblewrap) or the engine maps it;
        # the unguessable run id in a 0711 parent keeps other users out.
        workspace.outputs_dir.chmod(0o777)
    (workspace.directory / ".ready").touch()
    return workspace


def remove(workspace: Workspace) -> None:
    shutil.rmtree(workspace.directory, ignore_errors=True)


def _copy_read_only(source: Path, target: Path) -> None:
    if target.exists():
        target.chmod(0o644)
        target.unlink()
    shutil.copyfile(source, target)
    target.chmod(0o444)
