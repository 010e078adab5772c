"""Collect a job's outputs without trusting them (issue 6, point 6).

The job is stopped before collection, so nothing below races with it; still,
every entry is examined with ``lstat`` and opened with ``O_NOFOLLOW``: only
regular files with a single link are copied, symlinks and hard links (which could
point at host files) are refused, names are checked against a boring pattern,
and the totals are capped. Files are copied as opaque bytes and never unpacked,
so a zip bomb stays the few kilobytes it is.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sandbox.policy import Limits, describe_bytes
from sandbox.reasons import OUTPUT_BYTES_AFTER, OUTPUT_FILES_AFTER
from sandbox.record import CollectedOutput, RejectedOutput

SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
MAX_DEPTH = 8
CHUNK = 1024 * 1024

SYMLINK = "symbolic link: not followed"
HARD_LINK = "hard link ({links} names for one file): refused"
NOT_REGULAR = "not a regular file: refused"
UNSAFE_NAME = "name not allowed (letters, digits, '.', '-', '_'; no leading dot)"
TOO_DEEP = f"nested deeper than {MAX_DEPTH} directories: refused"
CHANGED = "changed while being collected: refused"


@dataclass(frozen=True)
class OutputUsage:
    entries: int
    bytes: int


@dataclass(frozen=True)
class Collection:
    collected: tuple[CollectedOutput, ...]
    rejected: tuple[RejectedOutput, ...]
    withheld_reason: str | None


def measure(outputs_dir: Path, limits: Limits) -> OutputUsage:
    """Every entry and byte under ``outputs_dir``, whatever its name or depth.

    Counts what the collector would refuse too (odd names, deep directories):
    the caps are on what the job wrote, not on what it would be given back. The
    walk is iterative (a tree may be thousands deep) and stops once past either
    cap, which is all a caller needs to know.
    """
    entries = 0
    total = 0
    pending = [outputs_dir]
    while pending:
        directory = pending.pop()
        try:
            with os.scandir(directory) as listing:
                found = list(listing)
        except OSError:
            continue
        for entry in found:
            try:
                info = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            entries += 1
            if stat.S_ISREG(info.st_mode):
                total += info.st_size
            elif stat.S_ISDIR(info.st_mode):
                pending.append(Path(entry.path))
            if entries > limits.output_files or total > limits.output_bytes:
                return OutputUsage(entries=entries, bytes=total)
    return OutputUsage(entries=entries, bytes=total)


def filesystem_usage(outputs_dir: Path) -> OutputUsage:
    """Entries and bytes in use on the outputs tmpfs, from the kernel's own counters.

    Constant time however the job shaped its tree, so the supervisor can ask
    between every wait. Bytes are whole pages, as the tmpfs charges them.
    """
    counters = os.statvfs(outputs_dir)
    used_bytes = (counters.f_blocks - counters.f_bfree) * counters.f_frsize
    # the filesystem's own root directory holds an inode of its own
    used_entries = max(counters.f_files - counters.f_ffree - 1, 0)
    return OutputUsage(entries=used_entries, bytes=used_bytes)


def collect(outputs_dir: Path, destination: Path, limits: Limits) -> Collection:
    """Copy acceptable files to ``destination``; all or nothing when over a limit."""
    usage = measure(outputs_dir, limits)
    if usage.entries > limits.output_files:
        reason = OUTPUT_FILES_AFTER.format(limit=limits.output_files)
        return Collection(collected=(), rejected=(), withheld_reason=reason)
    if usage.bytes > limits.output_bytes:
        reason = OUTPUT_BYTES_AFTER.format(limit=describe_bytes(limits.output_bytes))
        return Collection(collected=(), rejected=(), withheld_reason=reason)
    collected: list[CollectedOutput] = []
    rejected: list[RejectedOutput] = []
    for relative, info, problem in _walk(outputs_dir, ""):
        if problem is not None:
            rejected.append(RejectedOutput(name=relative, reason=problem))
        elif stat.S_ISDIR(info.st_mode):
            (destination / relative).mkdir(parents=True, exist_ok=True)
        elif stat.S_ISLNK(info.st_mode):
            rejected.append(RejectedOutput(name=relative, reason=SYMLINK))
        elif not stat.S_ISREG(info.st_mode):
            rejected.append(RejectedOutput(name=relative, reason=NOT_REGULAR))
        elif info.st_nlink != 1:
            reason = HARD_LINK.format(links=info.st_nlink)
            rejected.append(RejectedOutput(name=relative, reason=reason))
        else:
            copied = _copy_regular(outputs_dir, destination, relative, info)
            if copied is None:
                rejected.append(RejectedOutput(name=relative, reason=CHANGED))
            else:
                collected.append(copied)
    return Collection(collected=tuple(collected), rejected=tuple(rejected), withheld_reason=None)


def _walk(
    root: Path, prefix: str, depth: int = 0
) -> Iterator[tuple[str, os.stat_result, str | None]]:
    """(relative name, lstat, problem or None) for every entry, never following links."""
    try:
        with os.scandir(root / prefix if prefix else root) as entries:
            listing = sorted(entries, key=lambda entry: entry.name)
    except OSError:
        return
    for entry in listing:
        relative = f"{prefix}/{entry.name}" if prefix else entry.name
        try:
            info = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if not SAFE_NAME.match(entry.name):
            yield relative, info, UNSAFE_NAME
            continue
        if stat.S_ISDIR(info.st_mode):
            if depth >= MAX_DEPTH:
                yield relative, info, TOO_DEEP
                continue
            yield relative, info, None
            yield from _walk(root, relative, depth + 1)
            continue
        yield relative, info, None


def _copy_regular(
    outputs_dir: Path, destination: Path, relative: str, seen: os.stat_result
) -> CollectedOutput | None:
    source = outputs_dir / relative
    target = destination / relative
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
    try:
        source_fd = os.open(source, flags)
    except OSError:
        return None
    digest = hashlib.sha256()
    size = 0
    try:
        opened = os.fstat(source_fd)
        same_file = (opened.st_dev, opened.st_ino) == (seen.st_dev, seen.st_ino)
        if not (same_file and stat.S_ISREG(opened.st_mode) and opened.st_nlink == 1):
            return None
        target.parent.mkdir(parents=True, exist_ok=True)
        target_flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
        target_fd = os.open(target, target_flags, 0o644)
        try:
            # Read no more than the size seen, so a file growing now cannot grow the copy.
            while size < opened.st_size:
                chunk = os.read(source_fd, min(CHUNK, opened.st_size - size))
                if not chunk:
                    break
                digest.update(chunk)
                os.write(target_fd, chunk)
                size += len(chunk)
        finally:
            os.close(target_fd)
    finally:
        os.close(source_fd)
    return CollectedOutput(name=relative, size=size, sha256=digest.hexdigest())
