"""After a crash, every job state has an answer, and none of them skips review."""

from __future__ import annotations

import pytest

from contracts import RunMode
from jobs.recovery import recover
from jobs.states import FINAL_STATES, JobEvent, JobState, advance


def test_a_job_cut_off_mid_run_is_queued_again() -> None:
    recovery = recover(JobState.RUNNING, attempts=1)
    assert recovery.event is JobEvent.WORKER_LOST
    assert advance("j-1", RunMode.REAL, JobState.RUNNING, recovery.event) is JobState.QUEUED


def test_a_job_that_keeps_killing_its_worker_fails_cleanly() -> None:
    recovery = recover(JobState.RUNNING, attempts=3)
    assert recovery.event is JobEvent.RUN_FAILED
    assert "each of 3 runs" in recovery.reason
    assert advance("j-1", RunMode.REAL, JobState.RUNNING, recovery.event) is JobState.FAILED


@pytest.mark.parametrize("state", list(JobState))
@pytest.mark.parametrize("mode", list(RunMode))
def test_no_recovery_step_releases_or_is_illegal(state: JobState, mode: RunMode) -> None:
    recovery = recover(state, attempts=1)
    if recovery.event is None:
        return
    assert state not in FINAL_STATES
    target = advance("j-1", mode, state, recovery.event)
    assert target is not JobState.RELEASED
