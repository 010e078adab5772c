"""A run's host directory holds copies the job may read and one directory it may write."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from sandbox import IsolationPolicy, JobSpec
from sandbox import workspace as workspaces


def test_inputs_and_code_are_read_only_copies_and_outputs_belong_to_the_job(
    tmp_path: Path,
) -> None:
    code = tmp_path / "analysis.py"
    code.write_text("print(1)\n")
    data = tmp_path / "sales.parquet"
    data.write_bytes(b"PAR1 rows")
    data.chmod(0o600)
    spec = JobSpec(code=code, inputs={"sales": data})
    space = workspaces.create("run1", spec, IsolationPolicy(), tmp_path / "runs")
    copy = space.input_files()["sales.parquet"]
    assert copy.read_bytes() == b"PAR1 rows"
    assert copy.stat().st_ino != data.stat().st_ino
    assert stat.S_IMODE(copy.stat().st_mode) == 0o444
    assert stat.S_IMODE(space.code_file.stat().st_mode) == 0o444
    assert stat.S_IMODE(space.directory.stat().st_mode) == 0o711
    if os.geteuid() == 0:
        assert space.outputs_dir.stat().st_uid == IsolationPolicy().job_uid
    workspaces.remove(space)
    assert not space.directory.exists()


def test_creating_twice_keeps_the_first_layout(tmp_path: Path) -> None:
    code = tmp_path / "job.py"
    code.write_text("print(1)\n")
    spec = JobSpec(code=code)
    first = workspaces.create("run2", spec, IsolationPolicy(), tmp_path / "runs")
    (first.outputs_dir / "kept.txt").write_text("x")
    again = workspaces.create("run2", spec, IsolationPolicy(), tmp_path / "runs")
    assert (again.outputs_dir / "kept.txt").exists()
