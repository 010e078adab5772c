"""Hostile jobs trying to gain privilege or reach the kernel's dangerous corners.

Host settings are opened for writing to prove an attack would work; nothing is
ever written (the test machine is shared and the tests run as root).
"""

from __future__ import annotations

import textwrap

from tests.fixtures.sandbox import Attack
from tests.hostile.checks import assert_refused, refusal_of

LIBC = """
import ctypes, ctypes.util
libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
def call(what, result):
    if result == -1:
        code = ctypes.get_errno()
        blocked(what, OSError(code, os.strerror(code)))
    else:
        succeeded(what, result)
"""


def test_core_pattern_cannot_be_opened_for_writing(attack: Attack) -> None:
    # The root-uid trap of issue 6: a bwrap job started by root could do this.
    code = """
    try:
        fd = os.open("/proc/sys/kernel/core_pattern", os.O_WRONLY)
        os.close(fd)  # opened, never written: proof enough
        succeeded("core_pattern")
    except OSError as error:
        blocked("core_pattern", error)
    """
    record = attack.run(code)
    assert_refused(record, "core_pattern")
    assert "Permission denied" in refusal_of(record, "core_pattern") or "Read-only" in refusal_of(
        record, "core_pattern"
    )


def test_nothing_under_proc_sys_or_sys_opens_for_writing(attack: Attack) -> None:
    code = """
    writable, tried = [], 0
    for top in ("/proc/sys", "/sys"):
        for directory, _, files in os.walk(top):
            for name in files:
                path = os.path.join(directory, name)
                tried += 1
                try:
                    fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
                    os.close(fd)  # never written
                    writable.append(path)
                except OSError:
                    pass
    if writable:
        succeeded("proc sys and sys", writable[:5])
    else:
        print(f"blocked: proc sys and sys: none of {tried} files opens for writing")
    for path in ("/proc/sysrq-trigger", "/proc/kcore", "/proc/self/mem"):
        try:
            fd = os.open(path, os.O_WRONLY)
            os.close(fd)
            if path != "/proc/self/mem":
                succeeded(path)
        except OSError as error:
            blocked(path, error)
    """
    record = attack.run(code, wall_seconds=30)
    assert_refused(record, "proc sys and sys", "/proc/sysrq-trigger", "/proc/kcore")
    assert "none of" in record.stdout.text


def test_the_job_is_unprivileged_from_inside(attack: Attack) -> None:
    code = """
    status = dict(line.split(":", 1) for line in open("/proc/self/status").read().splitlines())
    facts = {key: status[key].strip() for key in ("Uid", "Gid", "CapEff", "CapPrm", "CapBnd",
                                                  "NoNewPrivs", "Seccomp")}
    print("facts:", facts)
    ok = (os.getuid() != 0 and facts["CapEff"] == "0000000000000000"
          and facts["CapPrm"] == "0000000000000000" and facts["NoNewPrivs"] == "1"
          and facts["Seccomp"] == "2")
    print("blocked: privileges: none held") if ok else succeeded("privileges", facts)
    """
    record = attack.run(code)
    assert_refused(record, "privileges")
    assert "'Uid': '64123\\t64123\\t64123\\t64123'" in record.stdout.text


def test_setuid_to_root_is_refused(attack: Attack) -> None:
    code = """
    for what, change in [("setuid 0", lambda: os.setuid(0)), ("setgid 0", lambda: os.setgid(0)),
                         ("setgroups", lambda: os.setgroups([0]))]:
        try:
            change()
            succeeded(what)
        except OSError as error:
            blocked(what, error)
    """
    record = attack.run(code)
    assert_refused(record, "setuid 0", "setgid 0", "setgroups")


def test_setuid_binaries_give_no_privilege(attack: Attack) -> None:
    code = """
    import stat, subprocess
    marked = [p for d in ("/usr/bin", "/bin", "/usr/sbin", "/sbin") if os.path.isdir(d)
              for p in (os.path.join(d, n) for n in os.listdir(d))
              if os.path.isfile(p) and os.stat(p).st_mode & (stat.S_ISUID | stat.S_ISGID)]
    if marked:
        succeeded("setuid bits", marked)
    else:
        print("blocked: setuid bits: no setuid programs")
    mount = ["/usr/bin/mount", "-t", "tmpfs", "none", "/tmp"]
    result = subprocess.run(mount, capture_output=True, text=True)
    if result.returncode == 0:
        succeeded("mount via setuid binary")
    else:
        print("blocked: mount via setuid binary:", result.stderr.strip().replace(chr(10), " "))
    """
    record = attack.run(code)
    assert_refused(record, "setuid bits", "mount via setuid binary")


def test_ptrace_of_another_process_is_refused(attack: Attack) -> None:
    code = LIBC + textwrap.dedent("""
    import time
    child = os.fork()
    if child == 0:
        time.sleep(5)
        os._exit(0)
    PTRACE_ATTACH = 16
    call("ptrace attach", libc.ptrace(PTRACE_ATTACH, child, None, None))
    call("ptrace traceme", libc.ptrace(0, 0, None, None))
    os.kill(child, 9)
    """)
    record = attack.run(code)
    assert_refused(record, "ptrace attach", "ptrace traceme")
    assert "Operation not permitted" in refusal_of(record, "ptrace attach")


def test_reading_another_process_memory_is_refused(attack: Attack) -> None:
    code = LIBC + textwrap.dedent("""
    import time
    child = os.fork()
    if child == 0:
        time.sleep(5)
        os._exit(0)
    buffer = ctypes.create_string_buffer(8)
    class IoVec(ctypes.Structure):
        _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]
    local = IoVec(ctypes.addressof(buffer), 8)
    remote = IoVec(0x400000, 8)
    libc.process_vm_readv.restype = ctypes.c_ssize_t
    result = libc.process_vm_readv(child, ctypes.byref(local), 1, ctypes.byref(remote), 1, 0)
    call("process_vm_readv", result)
    os.kill(child, 9)
    """)
    record = attack.run(code)
    assert_refused(record, "process_vm_readv")


def test_mount_is_refused(attack: Attack) -> None:
    code = LIBC + textwrap.dedent("""
    call("mount tmpfs", libc.mount(b"none", b"/tmp", b"tmpfs", 0, None))
    call("mount proc", libc.mount(b"proc", b"/tmp", b"proc", 0, None))
    """)
    record = attack.run(code)
    assert_refused(record, "mount tmpfs", "mount proc")


def test_unshare_of_namespaces_is_refused(attack: Attack) -> None:
    code = LIBC + textwrap.dedent("""
    CLONE_NEWUSER, CLONE_NEWNS, CLONE_NEWNET = 0x10000000, 0x00020000, 0x40000000
    call("unshare user", libc.unshare(CLONE_NEWUSER))
    call("unshare mount", libc.unshare(CLONE_NEWNS))
    call("unshare net", libc.unshare(CLONE_NEWNET))
    """)
    record = attack.run(code)
    assert_refused(record, "unshare user", "unshare mount", "unshare net")


def test_clone_into_a_new_user_namespace_is_refused(attack: Attack) -> None:
    code = LIBC + textwrap.dedent("""
    SIGCHLD, CLONE_NEWUSER = 17, 0x10000000
    libc.syscall.restype = ctypes.c_long
    result = libc.syscall(56, CLONE_NEWUSER | SIGCHLD, None, None, None, None)  # clone
    if result == 0:
        os._exit(0)
    call("clone newuser", result)
    call("clone3", libc.syscall(435, None, 0))
    """)
    record = attack.run(code)
    assert_refused(record, "clone newuser", "clone3")


def test_setns_into_another_namespace_is_refused(attack: Attack) -> None:
    code = LIBC + textwrap.dedent("""
    fd = os.open("/proc/self/ns/net", os.O_RDONLY)
    call("setns", libc.setns(fd, 0))
    """)
    record = attack.run(code)
    assert_refused(record, "setns")


def test_device_nodes_cannot_be_created(attack: Attack) -> None:
    code = """
    import stat
    for what, path in [("mknod outputs", "/outputs/sda"), ("mknod tmp", "/tmp/mem")]:
        try:
            os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(1, 1))
            succeeded(what)
        except OSError as error:
            blocked(what, error)
    devices = ("/dev/mem", "/dev/kmem", "/dev/port", "/dev/sda", "/dev/vda")
    present = [device for device in devices if os.path.exists(device)]
    print(f"blocked: host devices: none present") if not present else succeeded("devices", present)
    """
    record = attack.run(code)
    assert_refused(record, "mknod outputs", "mknod tmp", "host devices")


def test_chroot_escape_is_refused(attack: Attack) -> None:
    code = """
    os.makedirs("/tmp/jail", exist_ok=True)
    try:
        os.chroot("/tmp/jail")
        succeeded("chroot")
    except OSError as error:
        blocked("chroot", error)
    """
    record = attack.run(code)
    assert_refused(record, "chroot")


def test_terminal_injection_is_refused(attack: Attack) -> None:
    code = """
    import fcntl, termios
    for fd in (0, 1, 2):
        try:
            fcntl.ioctl(fd, termios.TIOCSTI, b"x")
            succeeded(f"tiocsti {fd}")
        except OSError as error:
            blocked(f"tiocsti {fd}", error)
    """
    record = attack.run(code)
    assert_refused(record, "tiocsti 0", "tiocsti 1", "tiocsti 2")


def test_core_dumps_are_off(attack: Attack) -> None:
    code = """
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_CORE)
    if (soft, hard) == (0, 0):
        print("blocked: core dumps: limit 0")
    else:
        succeeded("core dumps", (soft, hard))
    try:
        resource.setrlimit(resource.RLIMIT_CORE, (1 << 30, 1 << 30))
        succeeded("raise core limit")
    except (OSError, ValueError) as error:
        blocked("raise core limit", error)
    """
    record = attack.run(code)
    assert_refused(record, "core dumps", "raise core limit")
