"""The isolation policy: every hardening setting and every limit, in one object.

The policy is data (issue 6, point 4): ``IsolationPolicy.as_table()`` is what
``sealroom doctor`` prints and what every ``RunRecord`` stores, and both backends
read their flags from here and nowhere else. The hardening settings are fields
with ``init=False``: they are shown and recorded, but no constructor argument,
config file or ``dataclasses.replace`` can loosen them. Untrusted code never runs
unisolated, not even in debug mode. Only the limits and the job's uid vary.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

from sandbox.seccomp_rules import ALLOWED_SOCKET_FAMILIES, DENIED_SYSCALLS

MIB = 1024 * 1024
KIB = 1024

# A dedicated uid, not in /etc/passwd, so that a job's processes and files are
# nobody else's on the host (not even `nobody`'s). Never 0: the root-uid trap of
# issue 6 (a bwrap job started by root is host root) is closed by starting the
# sandbox under this uid.
DEFAULT_JOB_UID = 64123


@dataclass(frozen=True)
class Limits:
    """Resource limits of one job. All are enforced on both backends."""

    memory_bytes: int = 1024 * MIB
    pids: int = 64
    cpu_seconds: int = 600
    wall_seconds: float = 900.0
    output_bytes: int = 64 * MIB
    output_files: int = 100
    tmp_bytes: int = 256 * MIB
    shm_bytes: int = 64 * MIB
    open_files: int = 256
    log_bytes: int = 64 * KIB

    def __post_init__(self) -> None:
        for item in fields(self):
            value = getattr(self, item.name)
            if not value > 0:
                raise ValueError(f"limit {item.name} must be positive, got {value!r}")


@dataclass(frozen=True)
class IsolationPolicy:
    """Every setting a job runs under; the same meaning on every backend."""

    limits: Limits = field(default_factory=Limits)
    job_uid: int = DEFAULT_JOB_UID
    job_gid: int = DEFAULT_JOB_UID
    network: str = field(init=False, default="none (loopback only)")
    capabilities: str = field(init=False, default="all dropped")
    no_new_privileges: bool = field(init=False, default=True)
    read_only_root: bool = field(init=False, default=True)
    namespaces: str = field(init=False, default="private pid, ipc, uts, mount, network")
    nested_user_namespaces: bool = field(init=False, default=False)
    host_paths: str = field(init=False, default="none (runtime, job code, inputs only)")
    inputs_read_only: bool = field(init=False, default=True)
    core_dumps: bool = field(init=False, default=False)
    socket_families: tuple[str, ...] = field(init=False, default=ALLOWED_SOCKET_FAMILIES)
    seccomp_denied: tuple[str, ...] = field(init=False, default=DENIED_SYSCALLS)

    def __post_init__(self) -> None:
        if self.job_uid <= 0 or self.job_gid <= 0:
            raise ValueError(
                "a job may not run as uid or gid 0 (or below): choose an unprivileged id"
            )

    def as_table(self) -> dict[str, str]:
        """Flat ``setting -> value`` rows, for ``sealroom doctor`` and run records."""
        rows: dict[str, str] = {}
        for item in fields(self):
            if item.name == "limits":
                continue
            rows[item.name] = _show(getattr(self, item.name))
        for item in fields(self.limits):
            rows[f"limit.{item.name}"] = _show(getattr(self.limits, item.name))
        return rows


def _show(value: object) -> str:
    if isinstance(value, tuple):
        return ", ".join(str(part) for part in value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def describe_bytes(count: int) -> str:
    """``536870912`` -> ``512 MiB``: limits in reasons are read by people."""
    for unit, size in (("GiB", 1024 * MIB), ("MiB", MIB), ("KiB", KIB)):
        if count >= size and count % size == 0:
            return f"{count // size} {unit}"
    return f"{count} bytes"


def describe_seconds(seconds: float) -> str:
    return f"{seconds:g} s"
