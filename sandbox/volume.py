"""Memory-backed private storage for one run: where decrypted inputs may exist at all.

    <work root>/                              0711, root
        sealroom-<tag>-<owner>-<random>/      a tmpfs of its own, sized per run, 0711
            ...                               laid out by the caller and ``workspace``

A tmpfs never reaches a disk (the host has no swap for it to reach: a memory
cgroup with memsw charges it), vanishes with the mount, and is sized so a run
cannot take the host's memory. The name is unpredictable and carries its owner,
so a supervisor killed by SIGKILL leaves a volume the next start recognises as
its store's, finds dead, and sweeps (``sandbox.leftovers``). Closing detaches the
mount: every byte of it is gone at once, however hostile the tree inside.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from sandbox import mounts, run_names
from sandbox.errors import IsolationUnavailable
from sandbox.tree_removal import remove_tree

MOUNT_SOURCE = "sealroom-run"  # shown in /proc/self/mountinfo: the marker a sweep checks
SLACK_BYTES = 4 * 1024 * 1024
PAGE = 4096


@dataclass(frozen=True)
class RunVolume:
    path: Path
    size_bytes: int

    @property
    def name(self) -> str:
        return self.path.name


def open_volume(work_root: Path, size_bytes: int, *, owner_tag: str | None = None) -> RunVolume:
    """Mount a fresh tmpfs of ``size_bytes`` (plus slack) under ``work_root``.

    ``owner_tag`` names whose runs these are (a store), for the sweep; by default
    the work root's own tag. Fails closed: without the right to mount, no run
    gets a place for plaintext.
    """
    _prepare_work_root(work_root)
    path = work_root / run_names.new_run_name(owner_tag or run_names.root_tag(work_root))
    path.mkdir(mode=0o700)
    size = _round_up(size_bytes + SLACK_BYTES)
    try:
        mounts.mount_tmpfs(path, MOUNT_SOURCE, f"size={size},mode=0711,uid=0,gid=0")
    except OSError as error:
        path.rmdir()
        raise IsolationUnavailable(
            "sandbox",
            f"no memory-backed volume for the run's inputs could be mounted ({error.strerror})",
            "run the worker as root (it mounts a private tmpfs per run); "
            "`sealroom doctor` checks this",
        ) from error
    return RunVolume(path=path, size_bytes=size)


def close_volume(volume: RunVolume) -> None:
    """Detach every mount in the volume, then remove what is left of its directory."""
    for mount in mounts.mounts_under(volume.path):
        mounts.detach(mount.point)
    remove_tree(volume.path)


def _prepare_work_root(work_root: Path) -> None:
    work_root.mkdir(mode=0o711, parents=True, exist_ok=True)
    info = work_root.lstat()
    if os.geteuid() == 0 and info.st_uid != 0:
        # a work root another user owns could be swapped for a symlink under us
        raise IsolationUnavailable(
            "sandbox",
            f"the work root {work_root} belongs to uid {info.st_uid}, not root",
            "point the work directory at a root-owned directory",
        )
    work_root.chmod(0o711)


def _round_up(size: int) -> int:
    return -(-size // PAGE) * PAGE
