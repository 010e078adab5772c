"""Writing key files: atomically, owner-only, and never over an existing file."""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

OWNER_ONLY = 0o600


def write_atomically(path: Path, data: bytes, *, overwrite: bool) -> None:
    """Write ``data`` to ``path`` so a crash leaves either the old file or the new one.

    The bytes go to a temporary file in the same directory (same filesystem, so the
    rename is atomic), are fsynced, renamed into place, and the directory is fsynced
    so the rename itself survives a power cut. With ``overwrite=False`` the final step
    is a hard link, which fails if the target appeared in the meantime.

    Raises FileExistsError when ``overwrite`` is false and ``path`` exists.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    if not overwrite and path.exists():
        raise FileExistsError(path)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, OWNER_ONLY)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if overwrite:
            tmp.replace(path)
        else:
            os.link(tmp, path)
            tmp.unlink()
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    _fsync_directory(path.parent)


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
