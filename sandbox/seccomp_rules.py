"""The seccomp filter every job runs under, as data, rendered for both backends.

Default allow with a deny list: the list is what a job must never do (issue 6,
point 3): sockets other than AF_UNIX, tracing other processes, mounting,
namespaces, kernel keyrings, eBPF, userfaultfd, perf events, io_uring, module
and kexec loading, clock and swap changes, and terminal injection (TIOCSTI).
Denied calls fail with EPERM (sockets: EAFNOSUPPORT) instead of killing the job,
so a library probing for a feature degrades instead of crashing.

bubblewrap takes a compiled BPF program on a file descriptor (``--seccomp FD``),
built here with libseccomp (pyseccomp); Docker takes the same rules as a JSON
profile in ``--security-opt seccomp=...``.
"""

from __future__ import annotations

import errno
import json
import socket
from typing import IO, Any

DENIED_SYSCALLS: tuple[str, ...] = (
    # tracing and reading other processes' memory
    "ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_getfd",
    # mounts and namespaces: a job may not rearrange what it sees
    "mount", "umount2", "pivot_root", "chroot", "unshare", "setns", "fsopen", "fsconfig",
    "fsmount", "fspick", "move_mount", "open_tree", "mount_setattr",
    "open_by_handle_at", "name_to_handle_at",
    # kernel attack surface with a history of exploits
    "keyctl", "add_key", "request_key", "bpf", "userfaultfd", "perf_event_open",
    "io_uring_setup", "io_uring_enter", "io_uring_register",
    # the machine itself
    "kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module",
    "reboot", "swapon", "swapoff", "acct", "settimeofday", "clock_settime", "clock_adjtime",
    "adjtimex", "syslog", "quotactl", "lookup_dcookie", "iopl", "ioperm", "vhangup",
    "uselib", "sysfs", "ustat", "personality", "fanotify_init",
    # device nodes (the sandboxes have no capability for them either)
    "mknod", "mknodat",
)  # fmt: skip

ALLOWED_SOCKET_FAMILIES: tuple[str, ...] = ("AF_UNIX",)

# clone(2) flags that create namespaces; clone3 hides its flags in memory, so it
# is refused with ENOSYS and libc falls back to clone, whose flags are checked.
NAMESPACE_CLONE_FLAGS: tuple[tuple[str, int], ...] = (
    ("CLONE_NEWNS", 0x00020000),
    ("CLONE_NEWCGROUP", 0x02000000),
    ("CLONE_NEWUTS", 0x04000000),
    ("CLONE_NEWIPC", 0x08000000),
    ("CLONE_NEWUSER", 0x10000000),
    ("CLONE_NEWPID", 0x20000000),
    ("CLONE_NEWNET", 0x40000000),
)
TIOCSTI = 0x5412


def write_bpf(target: IO[bytes]) -> None:
    """Compile the filter for this machine's architecture and write it to ``target``."""
    import pyseccomp as seccomp  # noqa: PLC0415 - only the bubblewrap backend needs libseccomp

    deny = seccomp.ERRNO(errno.EPERM)
    rules = seccomp.SyscallFilter(seccomp.ALLOW)
    for name in DENIED_SYSCALLS:
        rules.add_rule(deny, name)
    rules.add_rule(
        seccomp.ERRNO(errno.EAFNOSUPPORT), "socket", seccomp.Arg(0, seccomp.NE, socket.AF_UNIX)
    )
    rules.add_rule(
        seccomp.ERRNO(errno.EAFNOSUPPORT),
        "socketpair",
        seccomp.Arg(0, seccomp.NE, socket.AF_UNIX),
    )
    for _, flag in NAMESPACE_CLONE_FLAGS:
        rules.add_rule(deny, "clone", seccomp.Arg(0, seccomp.MASKED_EQ, flag, flag))
    rules.add_rule(seccomp.ERRNO(errno.ENOSYS), "clone3")
    rules.add_rule(deny, "ioctl", seccomp.Arg(1, seccomp.MASKED_EQ, 0xFFFFFFFF, TIOCSTI))
    rules.export_bpf(target)


def docker_profile() -> str:
    """The same rules as a Docker seccomp profile (JSON)."""
    eperm = errno.EPERM
    syscalls: list[dict[str, Any]] = [
        {"names": list(DENIED_SYSCALLS), "action": "SCMP_ACT_ERRNO", "errnoRet": eperm},
        {"names": ["clone3"], "action": "SCMP_ACT_ERRNO", "errnoRet": errno.ENOSYS},
    ]
    for family_call in ("socket", "socketpair"):
        syscalls.append(
            {
                "names": [family_call],
                "action": "SCMP_ACT_ERRNO",
                "errnoRet": errno.EAFNOSUPPORT,
                "args": [{"index": 0, "value": socket.AF_UNIX, "op": "SCMP_CMP_NE"}],
            }
        )
    for _, flag in NAMESPACE_CLONE_FLAGS:
        syscalls.append(
            {
                "names": ["clone"],
                "action": "SCMP_ACT_ERRNO",
                "errnoRet": eperm,
                "args": [{"index": 0, "value": flag, "valueTwo": flag, "op": "SCMP_CMP_MASKED_EQ"}],
            }
        )
    syscalls.append(
        {
            "names": ["ioctl"],
            "action": "SCMP_ACT_ERRNO",
            "errnoRet": eperm,
            "args": [
                {"index": 1, "value": 0xFFFFFFFF, "valueTwo": TIOCSTI, "op": "SCMP_CMP_MASKED_EQ"}
            ],
        }
    )
    profile = {
        "defaultAction": "SCMP_ACT_ALLOW",
        "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
        "syscalls": syscalls,
    }
    return json.dumps(profile, separators=(",", ":"))
