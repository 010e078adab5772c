"""Remove a directory tree a hostile job may have shaped, without recursion or trust.

The tree may be thousands of levels deep (``shutil.rmtree`` recurses and dies of
``RecursionError`` at about a thousand), hold names with newlines or leading
dashes, directories without any permission bits, and symbolic links to anywhere.
The walk keeps one directory descriptor open and a stack of names: every entry is
looked at with ``lstat`` relative to its parent's descriptor, directories are
entered with ``O_NOFOLLOW`` (a symlink is unlinked, never followed), a directory
is made writable before its entries are removed, and the way back up is checked
against the device and inode seen on the way down. Another filesystem mounted
inside the tree is detached, never entered.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

from sandbox import mounts

_DIRECTORY = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


class TreeNotRemoved(Exception):
    """Part of a tree could not be removed; the message names where."""


def remove_tree(path: Path) -> None:
    """Remove ``path`` and everything under it; a missing path is already removed."""
    try:
        top = os.lstat(path)
    except FileNotFoundError:
        return
    if not stat.S_ISDIR(top.st_mode):
        path.unlink()
        return
    if mounts.is_mount_point(path):
        mounts.detach(path)
    parent_fd = os.open(path.parent, _DIRECTORY)
    try:
        _empty_and_remove(parent_fd, path.name, path)
    finally:
        os.close(parent_fd)


def _empty_and_remove(parent_fd: int, name: str, shown: Path) -> None:
    # (name, device, inode) of each directory from the top down to the current one
    trail: list[tuple[str, int, int]] = []
    current = _enter(parent_fd, name)
    info = os.fstat(current)
    device = info.st_dev
    trail.append((name, info.st_dev, info.st_ino))
    try:
        while True:
            child = _next_subdirectory(current, device, shown)
            if child is not None:
                entered = _enter(current, child)
                os.close(current)
                current = entered
                info = os.fstat(current)
                trail.append((child, info.st_dev, info.st_ino))
                continue
            # the current directory is empty: step up and remove it
            finished_name = trail.pop()[0]
            if not trail:
                os.close(current)
                current = -1
                os.rmdir(finished_name, dir_fd=parent_fd)
                return
            parent = os.open("..", _DIRECTORY, dir_fd=current)
            os.close(current)
            current = parent
            expected = trail[-1]
            seen = os.fstat(current)
            if (seen.st_dev, seen.st_ino) != (expected[1], expected[2]):
                raise TreeNotRemoved(f"{shown} changed while being removed: left in place")
            os.rmdir(finished_name, dir_fd=current)
    finally:
        if current >= 0:
            os.close(current)


def _enter(parent_fd: int, name: str) -> int:
    try:
        return os.open(name, _DIRECTORY, dir_fd=parent_fd)
    except PermissionError:
        # a directory the job stripped of its bits: give them back, then enter
        os.chmod(name, 0o700, dir_fd=parent_fd)
        return os.open(name, _DIRECTORY, dir_fd=parent_fd)


def _next_subdirectory(directory_fd: int, device: int, shown: Path) -> str | None:
    """Unlink every non-directory here; return one subdirectory to descend into, if any."""
    with contextlib.suppress(OSError):
        os.fchmod(directory_fd, 0o700)
    with os.scandir(directory_fd) as entries:
        for entry in entries:
            info = os.lstat(entry.name, dir_fd=directory_fd)
            if not stat.S_ISDIR(info.st_mode):
                os.unlink(entry.name, dir_fd=directory_fd)
                continue
            if info.st_dev != device:
                mounts.detach_at(directory_fd, entry.name)
                if os.lstat(entry.name, dir_fd=directory_fd).st_dev != device:
                    raise TreeNotRemoved(f"{shown} holds a mount that would not detach")
            return entry.name
    return None
