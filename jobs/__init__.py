"""The jobs room: the pure core of the job lifecycle (issue 7).

Gate, state machine, masked debug sample, output disclosure checks, review
quorum, signed release receipts and sealed results, export-ledger arithmetic.
No database, clock, network or terminal: ``now`` and every record are passed
in, and the service layer persists each step before its effect.

    decision = decide(contract, status, Submission(...), now=now, runs_used=...,
                      approved_code_hashes=...)
    state = advance(job_id, mode, state, decision.event)
    sample = masked_sample(contract, "customers", table, seed=seed)       # debug runs
    checked = check_outputs(files, OutputCheckPolicy.from_contract(contract), index)
    review = cast(contract, open_review(contract, job_id, submitter), vote)
    receipt = sign_receipt(Receipt(...), "platform", platform_keys)
    sealed = seal_result(ResultBundle(files, receipt.to_bytes()), job_id, recipient_keys)
    assessment = assess_release(ledger_rows, proposed_export_event)

The table-reading parts (``masked_sample``, ``schema_drift``, ``check_outputs``,
``build_sensitive_index``, ``read_output``) need pyarrow, pandas and Faker, which
only the server installs; they load on first use, so ``import jobs`` (and
``jobs.psi`` on a partner's machine) stays light.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from jobs.code import check_code_unchanged, code_diff, code_hash
from jobs.errors import (
    AlreadyVoted,
    CodeChanged,
    CodeNotApproved,
    IllegalJobTransition,
    JobError,
    OutputUnreadable,
    PsiAskMissing,
    ReasonRequired,
    ReceiptInvalid,
    ReviewClosed,
    ReviewRefused,
    SampleRulesMismatch,
)
from jobs.gate import GateDecision, PsiAsk, Submission, decide
from jobs.ledger import (
    CountryLine,
    ExportAssessment,
    ExportEvent,
    ExportPath,
    ThresholdWarning,
    annual_report,
    assess_release,
    cumulative,
    export_events_for_release,
    purgeable,
)
from jobs.receipt import (
    ApprovalRecord,
    InputVersion,
    OutputDigest,
    Receipt,
    SignedReceipt,
    output_digests,
    sign_receipt,
    verify_receipt,
)
from jobs.recovery import Recovery, recover
from jobs.resident_id import is_resident_id
from jobs.review import Decision, Review, Vote, cast, open_review, output_class_for
from jobs.sealed_result import (
    OpenedResult,
    ResultBundle,
    open_result,
    release_recipients,
    seal_result,
)
from jobs.states import FINAL_STATES, TRANSITIONS, JobEvent, JobState, advance, is_final

if TYPE_CHECKING:
    from jobs.check_report import Action, CheckName, CheckReport, FileOutcome, FileReport
    from jobs.output_checks import CheckedOutputs, OutputCheckPolicy, check_outputs
    from jobs.output_files import read_output, write_output
    from jobs.sample import MaskedSample, masked_sample
    from jobs.sample_drift import DriftReport, schema_drift
    from jobs.sensitive_index import SensitiveValueIndex, build_sensitive_index

_LAZY = {
    "Action": "jobs.check_report",
    "CheckName": "jobs.check_report",
    "CheckReport": "jobs.check_report",
    "FileOutcome": "jobs.check_report",
    "FileReport": "jobs.check_report",
    "CheckedOutputs": "jobs.output_checks",
    "OutputCheckPolicy": "jobs.output_checks",
    "check_outputs": "jobs.output_checks",
    "read_output": "jobs.output_files",
    "write_output": "jobs.output_files",
    "DriftReport": "jobs.sample_drift",
    "MaskedSample": "jobs.sample",
    "masked_sample": "jobs.sample",
    "schema_drift": "jobs.sample_drift",
    "SensitiveValueIndex": "jobs.sensitive_index",
    "build_sensitive_index": "jobs.sensitive_index",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'jobs' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


__all__ = [
    "FINAL_STATES",
    "TRANSITIONS",
    "Action",
    "AlreadyVoted",
    "ApprovalRecord",
    "CheckName",
    "CheckReport",
    "CheckedOutputs",
    "CodeChanged",
    "CodeNotApproved",
    "CountryLine",
    "Decision",
    "DriftReport",
    "ExportAssessment",
    "ExportEvent",
    "ExportPath",
    "FileOutcome",
    "FileReport",
    "GateDecision",
    "IllegalJobTransition",
    "InputVersion",
    "JobError",
    "JobEvent",
    "JobState",
    "MaskedSample",
    "OpenedResult",
    "OutputCheckPolicy",
    "OutputDigest",
    "OutputUnreadable",
    "PsiAsk",
    "PsiAskMissing",
    "ReasonRequired",
    "Receipt",
    "ReceiptInvalid",
    "Recovery",
    "ResultBundle",
    "Review",
    "ReviewClosed",
    "ReviewRefused",
    "SampleRulesMismatch",
    "SensitiveValueIndex",
    "SignedReceipt",
    "Submission",
    "ThresholdWarning",
    "Vote",
    "advance",
    "annual_report",
    "assess_release",
    "build_sensitive_index",
    "cast",
    "check_code_unchanged",
    "check_outputs",
    "code_diff",
    "code_hash",
    "cumulative",
    "decide",
    "export_events_for_release",
    "is_final",
    "is_resident_id",
    "masked_sample",
    "open_result",
    "open_review",
    "output_class_for",
    "output_digests",
    "purgeable",
    "read_output",
    "recover",
    "release_recipients",
    "schema_drift",
    "seal_result",
    "sign_receipt",
    "verify_receipt",
    "write_output",
]
