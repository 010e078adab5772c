"""Job states, and the transition table every state change is looked up in.

The table (``TRANSITIONS``) is the single source: ``advance`` takes steps from it
and ``jobs.diagram`` draws the diagram in ``docs/jobs.md`` from it, so the code
and the picture cannot drift apart (a test compares them).

The one edge into ``released`` is ``awaiting_review --quorum_reached-->``, and
only a real run reaches ``awaiting_review``: a debug run's outputs come from the
masked sample and go straight back to the scientist (``completed``), so nothing
computed on the real data leaves without the review quorum (DESIGN.md, Jobs).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from contracts import RunMode
from jobs.errors import IllegalJobTransition


class JobState(StrEnum):
    SUBMITTED = "submitted"  # stored with its code and hash; the gate has not decided yet
    REJECTED_BY_GATE = "rejected_by_gate"  # the gate refused it with a reason (final)
    QUEUED = "queued"  # admitted; waiting for a worker
    RUNNING = "running"  # a worker has started it in the sandbox
    FAILED = "failed"  # the run ended without usable outputs: error, limit, timeout (final)
    COMPLETED = "completed"  # debug run done; sample-based outputs returned (final)
    AWAITING_REVIEW = "awaiting_review"  # real run done, checked; reviewers are voting
    RETURNED_FOR_CHANGES = "returned_for_changes"  # a reviewer asked for new code (final)
    RELEASED = "released"  # the quorum approved; sealed to the recipients (final)
    WITHHELD = "withheld"  # a reviewer rejected it, or the checks blocked every output (final)
    CANCELLED = "cancelled"  # the submitter withdrew it before a decision (final)


class JobEvent(StrEnum):
    GATE_PASSED = "gate_passed"
    GATE_REFUSED = "gate_refused"
    STARTED = "started"
    WORKER_LOST = "worker_lost"  # the worker died mid-run; the run left no accepted outputs
    RUN_FAILED = "run_failed"
    RUN_SUCCEEDED = "run_succeeded"
    OUTPUTS_BLOCKED = "outputs_blocked"  # the disclosure checks blocked every output file
    QUORUM_REACHED = "quorum_reached"  # emitted by jobs.review, never by hand
    REVIEWER_REJECTED = "reviewer_rejected"
    RETURNED_FOR_CHANGES = "returned_for_changes"
    CANCEL = "cancel"


@dataclass(frozen=True)
class Transition:
    source: JobState
    event: JobEvent
    target: JobState
    # ``None``: the step exists in both modes; otherwise only for jobs of this mode.
    mode: RunMode | None = None


def _cancellations() -> tuple[Transition, ...]:
    # A running job can be cancelled too: the worker kills the sandbox and its
    # outputs are discarded. Once reviewers have decided, there is nothing to cancel.
    return tuple(
        Transition(source, JobEvent.CANCEL, JobState.CANCELLED)
        for source in (
            JobState.SUBMITTED,
            JobState.QUEUED,
            JobState.RUNNING,
            JobState.AWAITING_REVIEW,
        )
    )


TRANSITIONS: tuple[Transition, ...] = (
    Transition(JobState.SUBMITTED, JobEvent.GATE_PASSED, JobState.QUEUED),
    Transition(JobState.SUBMITTED, JobEvent.GATE_REFUSED, JobState.REJECTED_BY_GATE),
    Transition(JobState.QUEUED, JobEvent.STARTED, JobState.RUNNING),
    # Crash safety (issue 7, point 6): outputs are only accepted with run_succeeded,
    # so a run cut off by a dead worker had no effect and may simply run again.
    Transition(JobState.RUNNING, JobEvent.WORKER_LOST, JobState.QUEUED),
    Transition(JobState.RUNNING, JobEvent.RUN_FAILED, JobState.FAILED),
    Transition(JobState.RUNNING, JobEvent.RUN_SUCCEEDED, JobState.COMPLETED, RunMode.DEBUG),
    Transition(JobState.RUNNING, JobEvent.RUN_SUCCEEDED, JobState.AWAITING_REVIEW, RunMode.REAL),
    Transition(JobState.RUNNING, JobEvent.OUTPUTS_BLOCKED, JobState.WITHHELD, RunMode.REAL),
    Transition(JobState.AWAITING_REVIEW, JobEvent.QUORUM_REACHED, JobState.RELEASED, RunMode.REAL),
    Transition(JobState.AWAITING_REVIEW, JobEvent.REVIEWER_REJECTED, JobState.WITHHELD),
    Transition(
        JobState.AWAITING_REVIEW, JobEvent.RETURNED_FOR_CHANGES, JobState.RETURNED_FOR_CHANGES
    ),
    *_cancellations(),
)

FINAL_STATES: frozenset[JobState] = frozenset(
    state for state in JobState if not any(t.source is state for t in TRANSITIONS)
)


def transitions_from(state: JobState, mode: RunMode) -> tuple[Transition, ...]:
    """The steps a job of ``mode`` may take from ``state``, in table order."""
    return tuple(t for t in TRANSITIONS if t.source is state and (t.mode is None or t.mode is mode))


def advance(job: str, mode: RunMode, state: JobState, event: JobEvent) -> JobState:
    """The state after ``event``, or ``IllegalJobTransition`` naming what is allowed."""
    for step in transitions_from(state, mode):
        if step.event is event:
            return step.target
    allowed = tuple(dict.fromkeys(t.event.value for t in transitions_from(state, mode)))
    raise IllegalJobTransition(job, state.value, event.value, allowed)


def is_final(state: JobState) -> bool:
    return state in FINAL_STATES
