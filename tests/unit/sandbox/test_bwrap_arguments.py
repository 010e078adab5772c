"""bwrap's options go on a sealed descriptor; argv keeps only the launcher and the job's command."""

from __future__ import annotations

import fcntl
import os

import pytest

from sandbox.bwrap_arguments import pass_by_descriptor

LAUNCHER = ["setpriv", "--reuid=64123", "--"]
OPTIONS = ["--unshare-pid", "--ro-bind", "/var/lib/sealroom/runtimes/k/rootfs", "/"]
JOB = ["--", "/usr/bin/prlimit", "--as=1", "--", "/opt/sealroom/venv/bin/python", "/job.py"]


def test_the_options_are_read_from_the_descriptor_and_absent_from_argv() -> None:
    command, fd = pass_by_descriptor([*LAUNCHER, "bwrap", *OPTIONS, *JOB])
    try:
        assert command == [*LAUNCHER, "bwrap", "--args", str(fd), *JOB]
        assert os.read(fd, 1 << 16) == b"".join(option.encode() + b"\0" for option in OPTIONS)
    finally:
        os.close(fd)


def test_the_descriptor_is_sealed_and_not_inherited_unless_passed() -> None:
    _, fd = pass_by_descriptor(["bwrap", *OPTIONS, *JOB])
    try:
        seals = fcntl.fcntl(fd, fcntl.F_GET_SEALS)
        assert seals & fcntl.F_SEAL_WRITE and seals & fcntl.F_SEAL_SEAL
        with pytest.raises(PermissionError):
            os.write(fd, b"--bind / /host\0")
        assert not os.get_inheritable(fd)
    finally:
        os.close(fd)


def test_a_command_without_the_end_of_bwraps_options_is_refused() -> None:
    with pytest.raises(ValueError):
        pass_by_descriptor(["bwrap", *OPTIONS])
