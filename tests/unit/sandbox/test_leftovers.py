"""A supervisor killed by SIGKILL leaves its run's tmpfs and control group; the next
start of the same store sweeps them, and nothing of a live run or another store."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from sandbox import IsolationUnavailable, Limits
from sandbox.cgroups import create_group, find_hierarchy, remove_group
from sandbox.leftovers import sweep_leftovers
from sandbox.mounts import detach, mounts_under
from sandbox.volume import close_volume, open_volume

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="tmpfs mounts and cgroups need root")

KILLED_SUPERVISOR = """
import os, signal, sys
from pathlib import Path
from sandbox import IsolationUnavailable, Limits
from sandbox.cgroups import create_group
from sandbox.volume import open_volume
volume = open_volume(Path(sys.argv[1]), 1 << 20)
(volume.path / "decrypted.parquet").write_text(sys.argv[2])
create_group(volume.name, Limits(memory_bytes=64 << 20, pids=4))
print(volume.name, flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""


def _killed_supervisor(work_root: Path, secret: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(KILLED_SUPERVISOR), str(work_root), secret],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[3])},
    )
    assert done.returncode == -signal.SIGKILL, done.stderr
    return done.stdout.strip()


def _group_exists(name: str) -> bool:
    return any((parent / name).exists() for parent in find_hierarchy().parents.values())


@pytest.fixture
def roots(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    ours, theirs = tmp_path / "ours", tmp_path / "theirs"
    yield ours, theirs
    for root in (ours, theirs):
        for mount in mounts_under(root):
            detach(mount.point)


def test_a_killed_runs_volume_and_group_are_swept(roots: tuple[Path, Path]) -> None:
    ours, _ = roots
    secret = f"plaintext-{os.urandom(8).hex()}"
    name = _killed_supervisor(ours, secret)
    assert (ours / name / "decrypted.parquet").read_text() == secret
    assert _group_exists(name)
    swept = sweep_leftovers(ours)
    assert swept.volumes == (name,)
    assert swept.groups == (name,)
    assert list(ours.iterdir()) == []
    assert mounts_under(ours) == []
    assert not _group_exists(name)


def test_a_live_run_and_another_stores_run_are_left_alone(roots: tuple[Path, Path]) -> None:
    ours, theirs = roots
    live = open_volume(ours, 1 << 20)
    live_group = create_group(live.name, Limits(memory_bytes=64 << 20, pids=4))
    other_store = _killed_supervisor(theirs, "their plaintext")
    try:
        swept = sweep_leftovers(ours)
        assert not swept.found
        assert (live.path).is_dir() and _group_exists(live.name)
        assert (theirs / other_store / "decrypted.parquet").exists()
        assert _group_exists(other_store)
    finally:
        close_volume(live)
        remove_group(live_group)
        assert sweep_leftovers(theirs).volumes == (other_store,)
    assert not _group_exists(other_store)


def test_a_group_that_cannot_be_made_fails_closed_with_the_reason() -> None:
    with pytest.raises(IsolationUnavailable, match="control group could not be made"):
        create_group("no-such-parent/job", Limits())
