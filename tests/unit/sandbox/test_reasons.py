"""Every way a run can end has one reason in words, and the supervisor's decision wins."""

from __future__ import annotations

import signal

import pytest

from sandbox import Limits
from sandbox.reasons import Ending, Enforced, explain

LIMITS = Limits(
    memory_bytes=512 * 1024 * 1024,
    wall_seconds=30,
    cpu_seconds=5,
    output_bytes=1024 * 1024,
    output_files=10,
)


@pytest.mark.parametrize(
    ("ending", "reason"),
    [
        (Ending(exit_code=0), "exited: status 0"),
        (Ending(exit_code=3), "failed: exit status 3"),
        (Ending(exit_code=None, signal=9, oom_killed=True), "killed: memory limit 512 MiB"),
        (
            Ending(exit_code=1, stderr_tail="...\nMemoryError\n"),
            "failed: memory limit 512 MiB (allocation refused)",
        ),
        (Ending(exit_code=None, signal=signal.SIGXCPU), "killed: CPU time limit 5 s"),
        (Ending(exit_code=None, signal=signal.SIGXFSZ), "killed: output file size limit 1 MiB"),
        (Ending(exit_code=None, signal=signal.SIGSEGV), "killed: signal SIGSEGV"),
        (Ending(exit_code=None, signal=9, enforced=Enforced.WALL_CLOCK), "killed: wall clock 30 s"),
        (
            Ending(exit_code=None, signal=9, enforced=Enforced.OUTPUT_BYTES),
            "killed: output limit 1 MiB",
        ),
        (
            Ending(exit_code=None, signal=9, enforced=Enforced.OUTPUT_FILES),
            "killed: output file count limit 10",
        ),
    ],
)
def test_each_ending_reads_as_a_reason(ending: Ending, reason: str) -> None:
    assert explain(ending, LIMITS) == reason


def test_the_wall_clock_wins_over_the_signal_it_caused() -> None:
    ending = Ending(
        exit_code=None, signal=signal.SIGKILL, oom_killed=True, enforced=Enforced.WALL_CLOCK
    )
    assert explain(ending, LIMITS) == "killed: wall clock 30 s"
