"""The gate: does a submission get into the queue, and if not, why not.

Pure: the contract, its lifecycle status, the runs already used and the
approved code hashes are passed in, and so is ``now``. The contract's own
questions (active? role? kind? quota?) are asked through ``contracts``'
policy functions and refused with its errors; the gate adds the one thing only
a job knows: whether this exact code was approved (when the contract requires
code review). A PSI or PSI-sum run also brings its ask (the partner's set size,
the reveal mode), which the contract's PSI rules judge here like any other
refusal.

Debug runs need no code approval: they see only the masked sample and their
outputs go back to the scientist, which is where code gets written.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from contracts import (
    Contract,
    ContractError,
    JobKind,
    PsiRevealMode,
    RunMode,
    Status,
    check_may_submit,
    check_psi_request,
)
from jobs.errors import CodeNotApproved, JobError, PsiAskMissing
from jobs.states import JobEvent

PSI_KINDS = (JobKind.PSI, JobKind.PSI_SUM)


@dataclass(frozen=True)
class PsiAsk:
    """What a PSI run asks of the owner's set: the partner's set size and, for PSI, the reveal."""

    partner_set_size: int
    reveal: PsiRevealMode | None = None  # None for PSI-sum, which reveals only aggregates


@dataclass(frozen=True)
class Submission:
    """What a party asks to run; ``code_hash`` is ``jobs.code.code_hash`` of a script.

    ``psi`` is the ask of a PSI or PSI-sum run; scripts and other kinds have none.
    """

    job_id: str
    submitter: str
    kind: JobKind
    mode: RunMode
    code_hash: str | None = None
    psi: PsiAsk | None = None


GateRefusal = ContractError | JobError


@dataclass(frozen=True)
class GateDecision:
    submission: Submission
    refusal: GateRefusal | None = None

    @property
    def admitted(self) -> bool:
        return self.refusal is None

    @property
    def event(self) -> JobEvent:
        """The job event this decision is recorded as."""
        return JobEvent.GATE_PASSED if self.admitted else JobEvent.GATE_REFUSED

    @property
    def reason(self) -> str:
        """The sentence shown to the submitter; empty when admitted."""
        return "" if self.refusal is None else self.refusal.message

    def raise_if_refused(self) -> None:
        if self.refusal is not None:
            raise self.refusal


def decide(
    contract: Contract,
    status: Status,
    submission: Submission,
    *,
    now: dt.datetime,
    runs_used: Mapping[JobKind, int],
    approved_code_hashes: frozenset[str],
) -> GateDecision:
    """Admit ``submission`` or refuse it with the first reason that applies.

    ``runs_used`` counts the runs of the submission's mode already made under
    this contract version, per kind (the quota is per mode).
    """
    try:
        check_may_submit(
            contract,
            status,
            party=submission.submitter,
            kind=submission.kind,
            now=now,
            runs_used=runs_used,
            mode=submission.mode,
        )
        _check_code_approved(contract, submission, approved_code_hashes)
        _check_psi_ask(contract, submission)
    except (ContractError, JobError) as refusal:
        return GateDecision(submission, refusal)
    return GateDecision(submission)


def _check_code_approved(
    contract: Contract, submission: Submission, approved: frozenset[str]
) -> None:
    if submission.kind is not JobKind.SCRIPT or submission.mode is not RunMode.REAL:
        return
    if not contract.review.code_review_required:
        return
    if submission.code_hash is None or submission.code_hash not in approved:
        raise CodeNotApproved(contract.ref, submission.code_hash or "(none)")


def _check_psi_ask(contract: Contract, submission: Submission) -> None:
    # A tiny partner set turns PSI into a membership query about single people, so a
    # PSI run that does not say how large its set is cannot pass.
    if submission.kind not in PSI_KINDS:
        return
    if submission.psi is None:
        raise PsiAskMissing(submission.job_id, submission.kind.value)
    check_psi_request(
        contract,
        kind=submission.kind,
        partner_set_size=submission.psi.partner_set_size,
        reveal=submission.psi.reveal,
    )
