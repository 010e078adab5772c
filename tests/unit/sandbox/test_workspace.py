"""A run's host directory: memory-backed, private to the job's uid, at a path nobody can guess.

These tests mount tmpfs filesystems (the supervisor runs as root, as in CI) and
remove every one of them; they write no host setting.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from sandbox import IsolationPolicy, JobSpec, Limits
from sandbox import workspace as workspaces
from sandbox.mounts import detach, mounts_under
from sandbox.volume import close_volume, open_volume

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="mounting a run's tmpfs needs root")
JOB_UID = IsolationPolicy().job_uid


@pytest.fixture
def work_root(tmp_path: Path) -> Iterator[Path]:
    root = tmp_path / "runs"
    yield root
    for mount in mounts_under(root):
        detach(mount.point)  # only if a test failed midway


def _spec(tmp_path: Path, data: bytes = b"PAR1 rows") -> JobSpec:
    code = tmp_path / "analysis.py"
    code.write_text("print(1)\n")
    source = tmp_path / "sales.parquet"
    source.write_bytes(data)
    source.chmod(0o644)
    return JobSpec(code=code, inputs={"sales": source}, limits=Limits(output_files=7))


def test_inputs_live_in_a_tmpfs_readable_by_the_job_uid_alone(
    tmp_path: Path, work_root: Path
) -> None:
    spec = _spec(tmp_path)
    space = workspaces.create("job-42-1", spec, IsolationPolicy(), work_root)
    copy = space.input_files()["sales.parquet"]
    assert copy.read_bytes() == b"PAR1 rows"
    assert copy.stat().st_ino != spec.inputs["sales"].stat().st_ino
    for private in (copy, space.code_file):
        assert (private.stat().st_uid, stat.S_IMODE(private.stat().st_mode)) == (JOB_UID, 0o400)
    assert (space.inputs_dir.stat().st_uid, stat.S_IMODE(space.inputs_dir.stat().st_mode)) == (
        JOB_UID,
        0o500,
    )
    mounted = {mount.point: mount for mount in mounts_under(work_root)}
    assert mounted[space.volume.path].fstype == "tmpfs"
    assert mounted[space.outputs_dir].fstype == "tmpfs"
    workspaces.remove(space)
    assert mounts_under(work_root) == []
    assert list(work_root.iterdir()) == []


def test_the_run_path_is_unpredictable_from_the_job_id(tmp_path: Path, work_root: Path) -> None:
    spec = _spec(tmp_path)
    first = workspaces.create("job-42-1", spec, IsolationPolicy(), work_root)
    second = workspaces.create("job-42-1", spec, IsolationPolicy(), work_root)
    try:
        assert "job-42" not in str(first.directory)
        assert first.volume.path != second.volume.path
        assert stat.S_IMODE(work_root.stat().st_mode) == 0o711
    finally:
        workspaces.remove(first)
        workspaces.remove(second)


def test_outputs_are_a_filesystem_of_the_output_caps(tmp_path: Path, work_root: Path) -> None:
    spec = _spec(tmp_path)
    space = workspaces.create("run", spec, IsolationPolicy(limits=spec.limits), work_root)
    try:
        deep = space.outputs_dir
        made = 0
        with pytest.raises(OSError, match="No space left on device"):
            for level in range(20):
                deep = deep / f".hidden\n{level}"
                deep.mkdir()
                made += 1
        assert made == spec.limits.output_files + 1  # the one spare the supervisor sees
    finally:
        workspaces.remove(space)


def test_inputs_already_in_the_run_volume_are_linked_not_copied(
    tmp_path: Path, work_root: Path
) -> None:
    code = tmp_path / "job.py"
    code.write_text("print(1)\n")
    volume = open_volume(work_root, 1024 * 1024)
    try:
        decrypted = volume.path / "decrypted.parquet"
        decrypted.write_bytes(b"PAR1 plaintext")
        spec = JobSpec(code=code, inputs={"sales": decrypted})
        space = workspaces.create("run", spec, IsolationPolicy(), work_root, run_volume=volume)
        assert space.input_files()["sales.parquet"].stat().st_ino == decrypted.stat().st_ino
        (space.outputs_dir / "kept.txt").write_text("x")
        again = workspaces.create("run", spec, IsolationPolicy(), work_root, run_volume=volume)
        assert (again.outputs_dir / "kept.txt").exists()
        workspaces.remove(space)
        assert not space.directory.exists()
        assert decrypted.exists()  # the caller's volume is the caller's to close
    finally:
        close_volume(volume)
    assert list(work_root.iterdir()) == []


def test_a_hostile_tree_in_the_run_is_removed(tmp_path: Path, work_root: Path) -> None:
    """1,500 levels (recursion dies near 1,000), odd names, no permissions, a link out."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_text("host file")
    code = tmp_path / "job.py"
    code.write_text("print(1)\n")
    volume = open_volume(work_root, 1024 * 1024)
    space = workspaces.create("run", JobSpec(code=code), IsolationPolicy(), work_root,
                              run_volume=volume)  # fmt: skip
    top = space.directory / "scratch"
    top.mkdir()
    fd = os.open(top, os.O_RDONLY | os.O_DIRECTORY)
    for level in range(1500):  # through descriptors: the whole path passes PATH_MAX
        os.mkdir(f"-\n{level}", dir_fd=fd)
        below = os.open(f"-\n{level}", os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
        os.close(fd)
        fd = below
    os.close(fd)
    (top / "link-out").symlink_to(outside)
    os.chmod(top, 0)  # noqa: PTH101
    workspaces.remove(space)
    close_volume(volume)
    assert list(work_root.iterdir()) == []
    assert (outside / "keep.txt").read_text() == "host file"
