"""What a restarted worker records for each job it finds mid-flight (issue 7, point 6).

Every transition is persisted before its effect, so after a crash the stored
state says how far a job got, and this table says what to do next. Nothing is
lost (every non-final state has an answer), nothing runs twice to a release
(a run's outputs count only once ``run_succeeded`` is stored; a requeued run
starts afresh), and nothing is released without the quorum (``released`` is
reached only through ``quorum_reached``, which only stored votes produce).
"""

from __future__ import annotations

from dataclasses import dataclass

from jobs.states import JobEvent, JobState

#: Runs cut off by a crash are retried this many times in all before the job fails.
DEFAULT_MAX_ATTEMPTS = 3


@dataclass(frozen=True)
class Recovery:
    event: JobEvent | None  # the event to record now, if any
    reason: str


def recover(
    state: JobState, *, attempts: int, max_attempts: int = DEFAULT_MAX_ATTEMPTS
) -> Recovery:
    """The step for a job found in ``state`` after a restart; ``attempts`` counts the runs
    started so far (including the one that was cut off)."""
    if state is JobState.RUNNING:
        if attempts < max_attempts:
            return Recovery(
                JobEvent.WORKER_LOST,
                f"the worker stopped during run {attempts}; the run left no accepted outputs "
                "and is queued again",
            )
        return Recovery(
            JobEvent.RUN_FAILED,
            f"the worker stopped during each of {attempts} runs; the job fails rather than "
            "run again",
        )
    if state is JobState.SUBMITTED:
        return Recovery(None, "the gate decision was not stored: decide again (it is pure)")
    if state is JobState.QUEUED:
        return Recovery(None, "waiting for a worker")
    if state is JobState.AWAITING_REVIEW:
        return Recovery(None, "waiting for the reviewers; their stored votes stand")
    if state is JobState.RELEASED:
        return Recovery(
            None, "released: deliver any sealed copies not yet stored (sealing is repeatable)"
        )
    return Recovery(None, f"{state.value} is final")
