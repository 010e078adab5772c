"""Story 1 through the pure core: debug on the sample, a real run, checks, dual review,
a signed and sealed release, and its ledger row. No database, sandbox or clock: the
service layer does the effects around exactly these calls."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import replace

import pyarrow as pa
import pyarrow.csv as pa_csv
import pytest

from contracts import (
    Contract,
    JobKind,
    RunMode,
    SelfReviewForbidden,
    Status,
    contract_hash,
    pin_party_keys,
)
from jobs import (
    ApprovalRecord,
    Decider,
    Decision,
    ExportPath,
    InputVersion,
    JobEvent,
    JobState,
    Receipt,
    ReceiptInvalid,
    ResultBundle,
    Submission,
    Vote,
    advance,
    assess_release,
    build_sensitive_index,
    cast,
    check_outputs,
    code_hash,
    decide,
    export_events_for_release,
    masked_sample,
    open_result,
    open_review,
    output_digests,
    release_recipients,
    schema_drift,
    seal_result,
    sign_decision,
    sign_receipt,
)
from jobs.check_report import FileOutcome
from jobs.output_checks import OutputCheckPolicy
from jobs.receipt import released_subject
from kms import generate_party_keys

from .conftest import NOW
from .customers import customers

CODE = b"import pandas as pd\ndf = pd.read_parquet('/inputs/customers.parquet')\n"


def csv_bytes(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pa_csv.write_csv(table, sink)
    return sink.getvalue()


def test_story_one_from_debug_run_to_sealed_release(contract: Contract, active: Status) -> None:
    real = customers()

    # Debug: the same code on the masked sample; outputs go straight back.
    debug = Submission("j-1", "alice", JobKind.SCRIPT, RunMode.DEBUG, code_hash(CODE))
    decision = decide(
        contract, active, debug, now=NOW, runs_used={}, approved_code_hashes=frozenset()
    )
    state = advance("j-1", RunMode.DEBUG, JobState.SUBMITTED, decision.event)
    sample = masked_sample(contract, "customers", real, seed=b"k" * 32)
    assert schema_drift("customers", real, sample.table).clean
    for event in (JobEvent.STARTED, JobEvent.RUN_SUCCEEDED):
        state = advance("j-1", RunMode.DEBUG, state, event)
    assert state is JobState.COMPLETED

    # Real: the approved code on the full data.
    submission = Submission("j-2", "alice", JobKind.SCRIPT, RunMode.REAL, code_hash(CODE))
    decision = decide(
        contract,
        active,
        submission,
        now=NOW,
        runs_used={JobKind.SCRIPT: 0},
        approved_code_hashes=frozenset({code_hash(CODE)}),
    )
    assert decision.admitted
    state = advance("j-2", RunMode.REAL, JobState.SUBMITTED, decision.event)
    state = advance("j-2", RunMode.REAL, state, JobEvent.STARTED)

    # The run wrote one honest aggregate and one file that leaks phone numbers.
    outputs = {
        "by_segment.csv": csv_bytes(
            pa.table(
                {
                    "segment": ["gold", "silver", "bronze"],
                    "customers": [200, 200, 200],
                    "mean_spend_cny": [450.25, 449.5, 451.0],
                }
            )
        ),
        "leak.csv": csv_bytes(real.select(["mobile", "segment"]).slice(0, 20)),
    }
    index = build_sensitive_index(contract, {"customers": real}, key=b"i" * 32)
    checked = check_outputs(outputs, OutputCheckPolicy.from_contract(contract), index)
    outcomes = {f.name: f.outcome for f in checked.report.files}
    assert outcomes == {"by_segment.csv": FileOutcome.PASSED, "leak.csv": FileOutcome.BLOCKED}
    leak = next(f for f in checked.report.files if f.name == "leak.csv")
    assert {f.check.value for f in leak.failures} >= {
        "forbidden_columns",
        "output_schema",
        "verbatim_values",
    }
    event = JobEvent.OUTPUTS_BLOCKED if checked.report.blocked else JobEvent.RUN_SUCCEEDED
    state = advance("j-2", RunMode.REAL, state, event)
    assert state is JobState.AWAITING_REVIEW

    # Dual review: owner and platform; nobody reviews their own job.
    review = open_review(contract, "j-2", "alice")
    with pytest.raises(SelfReviewForbidden):
        cast(contract, review, Vote("alice", Decision.APPROVE, NOW))
    review = cast(contract, review, Vote("acme-cn", Decision.APPROVE, NOW))
    assert review.outcome is None
    review = cast(contract, review, Vote("platform", Decision.APPROVE, NOW))
    assert review.outcome is JobEvent.QUORUM_REACHED
    state = advance("j-2", RunMode.REAL, state, review.outcome)
    assert state is JobState.RELEASED

    # Release: a receipt carrying each approval as its decider's signature over this very
    # output, signed by the platform, sealed to the partner only. The contract pins the
    # keys (the service pins them at propose time).
    owner, platform = generate_party_keys(), generate_party_keys()
    pinned = pin_party_keys(
        contract,
        {
            "acme-cn": owner.public.ed25519,
            "platform": platform.public.ed25519,
            "globex-uk": generate_party_keys().public.ed25519,
            "alice": generate_party_keys().public.ed25519,
        },
    )
    released_at = NOW + dt.timedelta(hours=1)
    receipt = Receipt(
        job_id="j-2",
        submitter="alice",
        contract_id=pinned.id,
        contract_version=pinned.version,
        contract_hash=contract_hash(pinned),
        code_hash=code_hash(CODE),
        image_digest="sha256:" + "e" * 64,
        inputs=(InputVersion("customers", "sha256:" + "d" * 64),),
        outputs=output_digests(checked.releasable),
        approvals=(),
        checks_passed={k: tuple(v) for k, v in checked.report.checks_passed().items()},
        recipients=release_recipients(pinned),
        released_at=released_at,
        code_interpreter="python",
        code_entry="analysis.py",
    )
    deciders = {"acme-cn": (owner, "acme-cn"), "platform": (platform, "admin")}
    receipt = replace(
        receipt,
        approvals=tuple(
            ApprovalRecord(
                v.reviewer,
                v.at,
                sign_decision(
                    released_subject(receipt),
                    "approve",
                    "",
                    Decider(v.reviewer, v.reviewer, deciders[v.reviewer][1]),
                    deciders[v.reviewer][0],
                    v.at,
                ),
            )
            for v in review.approvals
        ),
    )
    partner = generate_party_keys()
    scientist = generate_party_keys()
    signed = sign_receipt(receipt, "platform", platform).to_bytes()
    sealed = seal_result(
        ResultBundle(dict(checked.releasable), signed), "j-2", {"globex-uk": partner.public}
    )
    assert set(sealed) == {"globex-uk"}
    opened = open_result(
        sealed["globex-uk"],
        job_id="j-2",
        recipient="globex-uk",
        keys=partner,
        platform_key=platform.public.ed25519,
        contract=pinned,
    )
    assert set(opened.files) == {"by_segment.csv"}
    with pytest.raises(ReceiptInvalid):
        open_result(
            sealed["globex-uk"],
            job_id="j-2",
            recipient="globex-uk",
            keys=scientist,
            platform_key=platform.public.ed25519,
        )

    # The ledger: aggregates carry no personal information, so the release is exempt.
    [row] = export_events_for_release(contract, opened.receipt, individuals=real.num_rows)
    assessment = assess_release([], row)
    assert assessment.required is ExportPath.EXEMPT_NO_PERSONAL_INFORMATION
    assert assessment.covered
    assert assessment.warnings == ()
