"""What of a real run a party sees before its review: details for reviewers, pass/fail for others.

A real run's outputs were computed from the full data, and so is everything
that describes them: file names, sizes, row counts, hashes, the rows and
cells a check report points at, the counts its reasons quote, the exit status.
Each is a channel the job's author controls (eleven file sizes spell out a
mobile number), so until the review quorum has released the outputs only the
job's reviewers see them. The submitter, and every other party, sees which
checks passed and which failed, across the run. Once released, the
contract's recipients see the details of what they received.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from contracts import Contract, Role, RunMode
from jobs import JobState
from sealroom.service.actors import Actor, party_in_role
from sealroom.service.duties import may_review

if TYPE_CHECKING:
    from sealroom.service.jobs import JobView

# The roles that review a contract's outputs: they see any of its jobs and real-run logs.
REVIEWING_ROLES = (Role.REVIEWER, Role.OWNER, Role.PLATFORM)
CHECK_SUMMARY_FORMAT = "sealroom.check-summary/v1"
WITHHELD_NOTE = (
    "a real run's output names, sizes, row counts and check details are shown to its "
    "reviewers only, until they release it"
)
_EXIT_STATUS = re.compile(r"exit status -?\d+")


def reviews_job(actor: Actor, contract: Contract, submitter: str) -> bool:
    """Does the actor review this job: a seat of its quorum, and neither its author nor
    a scientist of the contract? The very rule votes and real-run logs follow."""
    return may_review(actor, contract, submitter)


def sees_run_details(actor: Actor | None, contract: Contract, view: JobView) -> bool:
    if view.mode != RunMode.REAL.value:
        return True  # a debug run saw the masked sample only
    return actor is not None and reviews_job(actor, contract, view.submitter)


def receives_release(actor: Actor | None, contract: Contract, view: JobView) -> bool:
    released = view.state is JobState.RELEASED
    return (
        released
        and actor is not None
        and party_in_role(actor, contract, (Role.RECIPIENT,)) is not None
    )


def as_seen_by(actor: Actor | None, contract: Contract, view: JobView) -> JobView:
    """``view`` as ``actor`` may see it (``None``: nobody in particular)."""
    if sees_run_details(actor, contract, view):
        return view
    if receives_release(actor, contract, view):
        return as_released(view)
    return replace(
        view,
        outputs=(),
        check_report=check_summary(view.check_report),
        run_record=None,
        reason=_EXIT_STATUS.sub("a non-zero exit status", view.reason),
        details_withheld=True,
    )


def as_released(view: JobView) -> JobView:
    """What a recipient sees of a released run: the files it received and their checks.

    Never the blocked files (their names, sizes and digests came from the full data
    and were not released), nor what the run printed.
    """
    released = tuple(o for o in view.outputs if o.releasable)
    names = {o.name for o in released}
    report = view.check_report
    if report is not None:
        files = [f for f in report.get("files", []) if f.get("name") in names]
        report = {k: v for k, v in report.items() if k != "logs"} | {"files": files}
    return replace(view, outputs=released, check_report=report, run_record=None)


def check_summary(report: dict[str, Any] | None) -> dict[str, Any] | None:
    """Per check, across the run's files: ``passed`` or ``failed``, and nothing else."""
    if report is None:
        return None
    outcome: dict[str, str] = {}
    for file in report.get("files", []):
        for check in file.get("passed", []):
            outcome.setdefault(str(check), "passed")
        for failure in file.get("failures", []):
            outcome[str(failure.get("check", "unknown"))] = "failed"
    for failure in report.get("bundle_failures", []):
        outcome[str(failure.get("check", "unknown"))] = "failed"
    return {
        "format": CHECK_SUMMARY_FORMAT,
        "checks": [{"check": c, "outcome": o} for c, o in sorted(outcome.items())],
        "withheld": WITHHELD_NOTE,
    }
