"""The few mount operations a run needs: a sized tmpfs, a lazy detach, and a listing.

Called through libc (``mount(2)``, ``umount2(2)``) rather than the ``mount``
program: no PATH lookup, no option parsing by a helper, and the error is the
kernel's own errno.
"""

from __future__ import annotations

import ctypes
import os
from dataclasses import dataclass
from pathlib import Path

MS_NOSUID = 0x2
MS_NODEV = 0x4
MS_NOEXEC = 0x8
MNT_DETACH = 0x2
EINVAL = 22
ENOENT = 2

_libc = ctypes.CDLL(None, use_errno=True)


@dataclass(frozen=True)
class Mount:
    point: Path
    fstype: str
    source: str


def mount_tmpfs(point: Path, source: str, options: str) -> None:
    """Mount a private tmpfs at ``point`` (nosuid, nodev, noexec); raise ``OSError``."""
    flags = MS_NOSUID | MS_NODEV | MS_NOEXEC
    if _libc.mount(source.encode(), bytes(point), b"tmpfs", flags, options.encode()) != 0:
        error = ctypes.get_errno()
        raise OSError(error, f"mount tmpfs at {point}: {os.strerror(error)}")


def detach(point: Path) -> None:
    """Lazily unmount ``point``: gone from the tree now, freed when the last user lets go."""
    if _libc.umount2(bytes(point), MNT_DETACH) != 0:
        error = ctypes.get_errno()
        if error not in (EINVAL, ENOENT):  # not a mount point (any more)
            raise OSError(error, f"unmount {point}: {os.strerror(error)}")


def detach_at(directory_fd: int, name: str) -> None:
    """``detach`` for an entry named relative to an open directory (no path walk)."""
    detach(Path(f"/proc/self/fd/{directory_fd}") / name)


def is_mount_point(path: Path) -> bool:
    return any(mount.point == path for mount in mounts_under(path))


def mounts_under(root: Path) -> list[Mount]:
    """Mounts at or below ``root``, deepest first (the order to detach them in)."""
    found: list[Mount] = []
    with Path("/proc/self/mountinfo").open() as listing:
        for line in listing:
            before, _, after = line.partition(" - ")
            point = Path(_unescape(before.split()[4]))
            fstype, source = after.split()[:2]
            if point == root or root in point.parents:
                found.append(Mount(point, fstype, _unescape(source)))
    return sorted(found, key=lambda mount: len(mount.point.parts), reverse=True)


def _unescape(field: str) -> str:
    # mountinfo writes space, tab, newline and backslash as octal escapes
    for escaped, plain in (("\\040", " "), ("\\011", "\t"), ("\\012", "\n"), ("\\134", "\\")):
        field = field.replace(escaped, plain)
    return field
