"""What runs of a supervisor killed mid-run left on the host, found and removed at start.

A supervisor killed by SIGKILL (or a crash of the host's power) runs no
``finally``: its run's tmpfs stays mounted, with the decrypted inputs in it, and
its job's control groups stay behind. The next supervisor of the same store
sweeps them before it takes work: the volumes and groups whose names carry the
store's tag (``sandbox.run_names``) and an owner that is no longer alive.
Live runs (another worker of the same store) and other stores' runs on the host
are never touched.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sandbox import cgroups, mounts, run_names
from sandbox.tree_removal import remove_tree
from sandbox.volume import MOUNT_SOURCE
from sandbox.workspace import OUTPUTS_SOURCE

OUR_SOURCES = (MOUNT_SOURCE, OUTPUTS_SOURCE)


@dataclass(frozen=True)
class Leftovers:
    volumes: tuple[str, ...]  # run volumes unmounted and removed
    groups: tuple[str, ...]  # control groups emptied and removed

    @property
    def found(self) -> bool:
        return bool(self.volumes or self.groups)


def sweep_leftovers(work_root: Path, *, owner_tag: str | None = None) -> Leftovers:
    """Remove the dead runs under ``work_root`` carrying ``owner_tag``; their names.

    ``owner_tag`` is the one the runs' volumes were opened with (``open_volume``).
    """
    tag = owner_tag or run_names.root_tag(work_root)
    dead = _dead_run_names(work_root, tag)
    for mount in mounts.mounts_under(work_root):
        if mount.source in OUR_SOURCES and _run_name_of(mount.point, work_root) in dead:
            mounts.detach(mount.point)
    for name in sorted(dead):
        remove_tree(work_root / name)
    return Leftovers(volumes=tuple(sorted(dead)), groups=cgroups.sweep_groups(tag))


def _dead_run_names(work_root: Path, tag: str) -> set[str]:
    if not work_root.is_dir():
        return set()
    dead = set()
    for entry in work_root.iterdir():
        owner = run_names.owner_of(entry.name, tag)
        if owner is not None and not owner.alive():
            dead.add(entry.name)
    return dead


def _run_name_of(point: Path, work_root: Path) -> str | None:
    if work_root not in point.parents:
        return None
    return point.relative_to(work_root).parts[0]
