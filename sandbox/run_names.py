"""The names a run leaves on the host (its memory volume, its cgroups), and who owns them.

A name is ``sealroom-<tag>-<owner pid>-<owner start>-<random>``:

- the tag is a digest of the store's identity (or of the work root, for runs
  nobody else claims), so a sweep touches only what its own store's runs made,
  never another store's on the same host;
- the owner is the supervising process (pid and start time, so a reused pid is
  not mistaken for it), so a sweep leaves the runs of a live supervisor alone;
- the random part makes the path unpredictable: knowing a job id tells a local
  user nothing about where its decrypted inputs are.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

PREFIX = "sealroom"
_NAME = re.compile(r"^sealroom-([0-9a-f]{12})-([0-9]+)-([0-9]+)-([0-9a-f]{32})$")


@dataclass(frozen=True)
class RunOwner:
    pid: int
    start_ticks: int

    def alive(self) -> bool:
        return process_start_ticks(self.pid) == self.start_ticks


def root_tag(work_root: Path) -> str:
    return tag_of(str(work_root.resolve()))


def this_process() -> RunOwner:
    pid = os.getpid()
    start = process_start_ticks(pid)
    assert start is not None, "a running process always has /proc/self/stat"
    return RunOwner(pid, start)


def tag_of(identity: str) -> str:
    """The 12-hex tag of whoever owns runs (a store, named by its home directory)."""
    return hashlib.sha256(identity.encode()).hexdigest()[:12]


def new_run_name(tag: str) -> str:
    owner = this_process()
    return f"{PREFIX}-{tag}-{owner.pid}-{owner.start_ticks}-{secrets.token_hex(16)}"


def owner_of(name: str, tag: str) -> RunOwner | None:
    """The owner named in ``name`` if it is a run name carrying ``tag``, else None."""
    match = _NAME.match(name)
    if match is None or match.group(1) != tag:
        return None
    return RunOwner(int(match.group(2)), int(match.group(3)))


def process_start_ticks(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # the command name (field 2) may hold spaces and parentheses: split after its end
    fields = stat[stat.rindex(")") + 2 :].split()
    return int(fields[19])  # field 22, starttime
