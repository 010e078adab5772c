"""Hostile jobs calling the kernel interfaces the seccomp filter denies outright."""

from __future__ import annotations

import pytest

from tests.fixtures.sandbox import Attack
from tests.hostile.checks import assert_refused, refusal_of

# name -> x86_64 syscall number and harmless arguments (the call is refused before use)
DENIED_CALLS = {
    "keyctl": (250, (0, 0, 0, 0, 0)),
    "add_key": (248, (0, 0, 0, 0, 0)),
    "bpf": (321, (0, 0, 0)),
    "userfaultfd": (323, (0,)),
    "perf_event_open": (298, (0, 0, -1, -1, 0)),
    "io_uring_setup": (425, (1, 0)),
    "kexec_load": (246, (0, 0, 0, 0)),
    "init_module": (175, (0, 0, 0)),
    "open_by_handle_at": (304, (0, 0, 0)),
}


@pytest.mark.parametrize("call", sorted(DENIED_CALLS))
def test_a_denied_kernel_interface_is_refused(attack: Attack, call: str) -> None:
    number, arguments = DENIED_CALLS[call]
    code = f"""
    import ctypes
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.syscall.restype = ctypes.c_long
    result = libc.syscall({number}, *[ctypes.c_long(a) for a in {arguments!r}])
    if result == -1 and ctypes.get_errno() == errno.EPERM:
        blocked({call!r}, OSError(errno.EPERM, os.strerror(errno.EPERM)))
    else:
        succeeded({call!r}, (result, ctypes.get_errno()))
    """
    record = attack.run(code)
    assert_refused(record, call)
    assert "Operation not permitted" in refusal_of(record, call)
