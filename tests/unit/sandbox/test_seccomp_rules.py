"""The seccomp rules render to the same meaning for Docker and for libseccomp."""

from __future__ import annotations

import errno
import json
import socket
import tempfile

from sandbox import seccomp_rules


def test_the_docker_profile_denies_every_listed_call_and_foreign_sockets() -> None:
    profile = json.loads(seccomp_rules.docker_profile())
    assert profile["defaultAction"] == "SCMP_ACT_ALLOW"
    denied = next(rule for rule in profile["syscalls"] if "ptrace" in rule["names"])
    assert set(seccomp_rules.DENIED_SYSCALLS) == set(denied["names"])
    assert denied["errnoRet"] == errno.EPERM
    socket_rule = next(rule for rule in profile["syscalls"] if rule["names"] == ["socket"])
    assert socket_rule["args"] == [{"index": 0, "value": socket.AF_UNIX, "op": "SCMP_CMP_NE"}]
    clone_rules = [rule for rule in profile["syscalls"] if rule["names"] == ["clone"]]
    assert {rule["args"][0]["valueTwo"] for rule in clone_rules} == {
        flag for _, flag in seccomp_rules.NAMESPACE_CLONE_FLAGS
    }


def test_the_issue_6_list_is_covered() -> None:
    for call in ("ptrace", "mount", "keyctl", "bpf", "userfaultfd", "perf_event_open",
                 "io_uring_setup", "unshare", "setns"):  # fmt: skip
        assert call in seccomp_rules.DENIED_SYSCALLS


def test_libseccomp_compiles_the_filter_to_bpf() -> None:
    with tempfile.TemporaryFile() as target:
        seccomp_rules.write_bpf(target)
        size = target.tell()
    # a classic BPF program: 8-byte instructions, one or more per rule
    assert size > 8 * len(seccomp_rules.DENIED_SYSCALLS)
    assert size % 8 == 0
