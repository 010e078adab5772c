"""The isolation policy is data that cannot be loosened, and limits read as words."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from sandbox import IsolationPolicy, Limits
from sandbox.policy import describe_bytes


def test_the_policy_table_names_every_hardening_setting_and_limit() -> None:
    table = IsolationPolicy(limits=Limits(memory_bytes=512 * 1024 * 1024)).as_table()
    assert table["network"] == "none (loopback only)"
    assert table["capabilities"] == "all dropped"
    assert table["no_new_privileges"] == "yes"
    assert table["read_only_root"] == "yes"
    assert table["job_uid"] == "64123"
    assert "ptrace" in table["seccomp_denied"] and "io_uring_setup" in table["seccomp_denied"]
    assert table["socket_families"] == "AF_UNIX"
    assert table["limit.memory_bytes"] == str(512 * 1024 * 1024)
    assert {f"limit.{field.name}" for field in dataclasses.fields(Limits)} <= set(table)


@pytest.mark.parametrize(
    "setting",
    ["network", "capabilities", "no_new_privileges", "read_only_root", "seccomp_denied"],
)
def test_no_argument_can_loosen_a_hardening_setting(setting: str) -> None:
    loosened: dict[str, Any] = {setting: "anything"}
    with pytest.raises(TypeError):
        IsolationPolicy(**loosened)
    with pytest.raises(ValueError, match="init=False"):
        dataclasses.replace(IsolationPolicy(), **loosened)


def test_a_job_may_not_run_as_root() -> None:
    with pytest.raises(ValueError, match="may not run as uid or gid 0"):
        IsolationPolicy(job_uid=0)


def test_limits_must_be_positive() -> None:
    with pytest.raises(ValueError, match="limit pids must be positive"):
        Limits(pids=0)


@pytest.mark.parametrize(
    ("count", "words"),
    [
        (512 * 1024 * 1024, "512 MiB"),
        (2 * 1024**3, "2 GiB"),
        (16 * 1024, "16 KiB"),
        (1000, "1000 bytes"),
    ],
)
def test_sizes_are_described_in_the_unit_people_use(count: int, words: str) -> None:
    assert describe_bytes(count) == words
