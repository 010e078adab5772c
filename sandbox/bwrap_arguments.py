"""bwrap's arguments handed over on a descriptor, so its command line shows no host path.

The sandbox's pid 1 is a copy of bwrap, and a job reads its command line
(``/proc/1/cmdline``): as argv, every ``--ro-bind`` source, the runtime's
location and the run's directory would be there to read. ``bwrap --args FD``
reads the same arguments, NUL-separated, from the descriptor instead, and argv
is only ``bwrap --args N -- <the job's command>`` (bwrap takes the command from
argv alone; it names paths inside the sandbox only).
"""

from __future__ import annotations

import fcntl
import os

BWRAP = "bwrap"
END_OF_OPTIONS = "--"


def pass_by_descriptor(command: list[str]) -> tuple[list[str], int]:
    """``command`` with bwrap's options moved into a sealed memfd, and that fd.

    The caller passes the fd to the child (``pass_fds``) and closes its own copy
    once bwrap has started.
    """
    start = command.index(BWRAP) + 1
    end = command.index(END_OF_OPTIONS, start)
    arguments = b"".join(argument.encode() + b"\0" for argument in command[start:end])
    fd = os.memfd_create("sealroom-bwrap-args", os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING)
    try:
        written = 0
        while written < len(arguments):
            written += os.write(fd, arguments[written:])
        seals = fcntl.F_SEAL_WRITE | fcntl.F_SEAL_GROW | fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_SEAL
        fcntl.fcntl(fd, fcntl.F_ADD_SEALS, seals)
        os.lseek(fd, 0, os.SEEK_SET)
    except OSError:
        os.close(fd)
        raise
    return [*command[:start], "--args", str(fd), *command[end:]], fd
