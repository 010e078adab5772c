"""Errors of the jobs room: one root, one subclass per thing a person can act on.

Refusals that are the contract's business (not active, role not granted, kind
not allowed, quota used up, self-review) are the contracts room's own errors
(``contracts.errors``), raised or returned unchanged, so a caller catches one
class per problem whichever room noticed it. What only a job can get wrong
lives here.

    JobError                     root; ``.message == str(err)``
    ├── IllegalJobTransition     the job's state machine has no such step from its state
    ├── CodeNotApproved          a real run's code hash is not among the approved ones
    ├── CodeChanged              the code about to run is not byte-identical to the approved code
    ├── DecisionSignatureInvalid a code approval or vote lacks a valid signature by its decider
    ├── ReviewRefused            a review vote cannot be recorded
    │   ├── AlreadyVoted         the reviewer already voted on this job
    │   ├── ReviewClosed         the job's review is already decided
    │   └── ReasonRequired       a reject or return-for-changes without a reason
    ├── SampleRulesMismatch      the sample rules do not fit the dataset's table
    ├── OutputUnreadable         an output file is not CSV, Parquet or JSON we can read
    ├── PsiAskMissing            a PSI run reached the gate without the partner's set size
    └── ReceiptInvalid           a release receipt or sealed result fails a named step

Receipt failures name the verification step that failed (``.step``) but, for
signatures and sealed results, not which byte was wrong: that is opaque on purpose.
"""

from __future__ import annotations


class JobError(Exception):
    """Root of the room's errors; ``str(err)`` is the text shown to people."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class IllegalJobTransition(JobError):
    def __init__(self, job: str, state: str, event: str, allowed: tuple[str, ...]) -> None:
        self.job = job
        self.state = state
        self.event = event
        self.allowed = allowed
        if allowed:
            options = "allowed now: " + ", ".join(allowed)
        else:
            options = "it is final: submit a new job to run the code again"
        super().__init__(f"Job {job} is {state}, so {event} cannot happen to it; {options}.")


class CodeNotApproved(JobError):
    def __init__(self, contract_ref: str, code_hash: str) -> None:
        self.contract_ref = contract_ref
        self.code_hash = code_hash
        super().__init__(
            f"{contract_ref} requires code review and the code with hash {code_hash[:16]} "
            "is not approved: ask the owner to review and approve this exact code, or run "
            "it in debug mode on the masked sample first."
        )


class CodeChanged(JobError):
    def __init__(self, job: str, expected: str, found: str) -> None:
        self.job = job
        self.expected = expected
        self.found = found
        super().__init__(
            f"The code of job {job} has hash {found[:16]}, not the approved {expected[:16]}, "
            "so it was not run: the stored code was altered; submit the job again from the "
            "approved file."
        )


class DecisionSignatureInvalid(JobError):
    """A code approval or review vote that is not signed by its decider's key over
    exactly what it decides: it never counts towards a quorum."""


class ReviewRefused(JobError):
    pass


class AlreadyVoted(ReviewRefused):
    def __init__(self, job: str, reviewer: str) -> None:
        self.job = job
        self.reviewer = reviewer
        super().__init__(
            f"{reviewer} has already voted on job {job}; each reviewer votes once: wait "
            "for the other reviewers."
        )


class ReviewClosed(ReviewRefused):
    def __init__(self, job: str, outcome: str) -> None:
        self.job = job
        self.outcome = outcome
        super().__init__(
            f"The review of job {job} is already decided ({outcome}); no further votes are "
            "recorded: submit a new job if the code or outputs change."
        )


class ReasonRequired(ReviewRefused):
    def __init__(self, job: str, decision: str) -> None:
        self.job = job
        self.decision = decision
        super().__init__(
            f"To {decision} job {job} give a reason: the scientist needs it to fix the code."
        )


class SampleRulesMismatch(JobError):
    pass


class OutputUnreadable(JobError):
    def __init__(self, name: str, reason: str) -> None:
        self.name = name
        self.reason = reason
        super().__init__(
            f"The output {name} cannot be read for checking ({reason}): write outputs as "
            ".csv, .parquet or .json (records) so the disclosure checks can read them."
        )


class PsiAskMissing(JobError):
    def __init__(self, job: str, kind: str) -> None:
        super().__init__(
            f"{job}: a {kind} run must state the partner's set size before the gate can "
            "judge it; open it with `sealroom psi run` (or the SDK's run_psi), which does"
        )


class ReceiptInvalid(JobError):
    def __init__(self, step: str, reason: str) -> None:
        self.step = step
        self.reason = reason
        super().__init__(
            f"The release receipt fails verification at step {step!r}: {reason}; do not "
            "trust this result, and ask the platform to release it again."
        )
