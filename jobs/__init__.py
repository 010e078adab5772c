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
    noised = apply_noise(checked, contract, input_tables)         # DP contracts only
    pairs = find_differencing(ledger_groups, table_groups(...), min_group_size=k)
    refusal = over_budget(budget_state(budget, spends), release_share(contract), ...)

The table-reading parts (``masked_sample``, ``schema_drift``, ``check_outputs``,
``build_sensitive_index``, ``read_output``) need pyarrow, pandas and Faker, which
only the server installs; they load on first use, so ``import jobs`` (and
``jobs.psi`` on a partner's machine) stays light.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from jobs.code import check_code_unchanged, code_diff, code_hash, interpreter_for
from jobs.errors import (
    AlreadyVoted,
    CodeChanged,
    CodeNotApproved,
    DecisionSignatureInvalid,
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
from jobs.leakage_ledger import (
    BudgetState,
    Differencing,
    PrivacySpend,
    ReleasedGroup,
    budget_state,
    find_differencing,
    over_budget,
    release_share,
)
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
from jobs.output_schemas import OutputLineage, output_lineage, schema_for
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
from jobs.signed_decision import (
    CodeIdentity,
    Decider,
    DecisionKind,
    DecisionSubject,
    SignedDecision,
    decision_message,
    decision_signature,
    output_digest_pairs,
    sign_decision,
    signature_digest,
    verify_decision,
)
from jobs.states import FINAL_STATES, TRANSITIONS, JobEvent, JobState, advance, is_final

if TYPE_CHECKING:
    from jobs.check_report import Action, CheckName, CheckReport, FileOutcome, FileReport
    from jobs.dp_noise import NoisedOutputs, apply_noise
    from jobs.log_checks import check_logs
    from jobs.output_checks import CheckedOutputs, OutputCheckPolicy, check_outputs
    from jobs.output_files import read_output, write_output
    from jobs.released_groups import psi_groups, table_groups
    from jobs.sample import MaskedSample, masked_sample
    from jobs.sample_drift import DriftReport, schema_drift
    from jobs.sensitive_index import SensitiveValueIndex, build_sensitive_index

_LAZY = {
    "NoisedOutputs": "jobs.dp_noise",
    "apply_noise": "jobs.dp_noise",
    "check_logs": "jobs.log_checks",
    "psi_groups": "jobs.released_groups",
    "table_groups": "jobs.released_groups",
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
    "BudgetState",
    "CheckName",
    "CheckReport",
    "CheckedOutputs",
    "CodeChanged",
    "CodeIdentity",
    "CodeNotApproved",
    "CountryLine",
    "Decider",
    "Decision",
    "DecisionKind",
    "DecisionSignatureInvalid",
    "DecisionSubject",
    "Differencing",
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
    "NoisedOutputs",
    "OpenedResult",
    "OutputCheckPolicy",
    "OutputDigest",
    "OutputLineage",
    "OutputUnreadable",
    "PrivacySpend",
    "PsiAsk",
    "PsiAskMissing",
    "ReasonRequired",
    "Receipt",
    "ReceiptInvalid",
    "Recovery",
    "ReleasedGroup",
    "ResultBundle",
    "Review",
    "ReviewClosed",
    "ReviewRefused",
    "SampleRulesMismatch",
    "SensitiveValueIndex",
    "SignedDecision",
    "SignedReceipt",
    "Submission",
    "ThresholdWarning",
    "Vote",
    "advance",
    "annual_report",
    "apply_noise",
    "assess_release",
    "budget_state",
    "build_sensitive_index",
    "cast",
    "check_code_unchanged",
    "check_logs",
    "check_outputs",
    "code_diff",
    "code_hash",
    "cumulative",
    "decide",
    "decision_message",
    "decision_signature",
    "export_events_for_release",
    "find_differencing",
    "interpreter_for",
    "is_final",
    "is_resident_id",
    "masked_sample",
    "open_result",
    "open_review",
    "output_class_for",
    "output_digest_pairs",
    "output_digests",
    "output_lineage",
    "over_budget",
    "psi_groups",
    "purgeable",
    "read_output",
    "recover",
    "release_recipients",
    "release_share",
    "schema_drift",
    "schema_for",
    "seal_result",
    "sign_decision",
    "sign_receipt",
    "signature_digest",
    "table_groups",
    "verify_decision",
    "verify_receipt",
    "write_output",
]
