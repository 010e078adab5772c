"""Before its release, a real run's details reach its reviewers only; others see pass/fail."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from contracts import Contract, load_contract
from jobs import JobState
from sealroom.service.actors import Actor
from sealroom.service.job_disclosure import as_seen_by, check_summary
from sealroom.service.jobs import JobView, OutputView

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "contracts" / "customer-insights.yaml"
AT = datetime(2026, 1, 5, tzinfo=UTC)
# Eleven files whose sizes spell a mobile number: the channel this rule closes.
SIZES = [1, 3, 8, 0, 0, 1, 3, 8, 0, 0, 0]
REPORT: dict[str, Any] = {
    "format": "sealroom.check-report/v1",
    "blocked": False,
    "bundle_failures": [],
    "files": [
        {
            "name": f"part-{i:02d}.csv",
            "sha256": "ab" * 32,
            "size": 100 + size,
            "rows": 10 + size,
            "outcome": "suppressed" if i == 3 else "passed",
            "passed": ["readable", "max_rows"] + ([] if i == 3 else ["small_groups"]),
            "failures": [
                {
                    "check": "small_groups",
                    "action": "suppress",
                    "reason": "rows 4, 9 hold groups under 10",
                    "column": "customers",
                    "cells": 2,
                }
            ]
            if i == 3
            else [],
            "suppressed_cells": [{"row": 4, "column": "customers", "check": "small_groups"}]
            if i == 3
            else [],
            "released_sha256": "cd" * 32,
        }
        for i, size in enumerate(SIZES)
    ],
}


@pytest.fixture(scope="module")
def contract() -> Contract:
    return load_contract(EXAMPLE.read_text("utf-8"), EXAMPLE.name)


def real_run(state: JobState = JobState.AWAITING_REVIEW) -> JobView:
    return JobView(
        job_id="j-1",
        contract_id="c-12",
        contract_version=1,
        kind="script",
        mode="real",
        submitter="alice",
        code_name="spend.py",
        interpreter="python",
        code_hash="sha256:" + "0" * 64,
        state=state,
        reason="exited: status 0",
        attempts=1,
        backend="bwrap",
        created_at=AT,
        updated_at=AT,
        run_record={"run": {"stdout": {"text": "13800138000"}}},
        check_report=REPORT,
        outputs=tuple(
            OutputView(f"part-{i:02d}.csv", "ab" * 32, 100 + s, True) for i, s in enumerate(SIZES)
        ),
    )


def withheld(view: JobView) -> None:
    assert view.details_withheld
    assert view.outputs == () and view.run_record is None
    report = view.check_report
    assert report is not None and set(report) == {"format", "checks", "withheld"}
    assert all(set(c) == {"check", "outcome"} for c in report["checks"])
    text = json.dumps(report["checks"])
    assert "part-" not in text and "rows 4" not in text


SCIENTIST = Actor("alice", False, None)
SCIENTIST_OF_THE_OWNER = Actor("alice", False, "acme-cn")
RECIPIENT = Actor("globex-uk", False, None)


@pytest.mark.parametrize("actor", [SCIENTIST, SCIENTIST_OF_THE_OWNER, RECIPIENT, None])
def test_before_release_the_submitter_and_other_parties_see_pass_or_fail_per_check(
    contract: Contract, actor: Actor | None
) -> None:
    seen = as_seen_by(actor, contract, real_run())
    withheld(seen)
    assert seen.check_report is not None
    assert seen.check_report["checks"] == [
        {"check": "max_rows", "outcome": "passed"},
        {"check": "readable", "outcome": "passed"},
        {"check": "small_groups", "outcome": "failed"},
    ]
    assert (seen.state, seen.job_id) == (JobState.AWAITING_REVIEW, "j-1")


@pytest.mark.parametrize(
    "actor",
    [Actor("acme-cn", False, None), Actor("pat", False, "platform"), Actor("bo", False, "acme-cn")],
    ids=["owner", "platform staff", "owner staff"],
)
def test_the_reviewers_see_every_detail(contract: Contract, actor: Actor) -> None:
    assert as_seen_by(actor, contract, real_run()) == real_run()


def test_after_release_the_recipient_sees_the_details_and_the_submitter_still_does_not(
    contract: Contract,
) -> None:
    released = real_run(JobState.RELEASED)
    blocked = OutputView("hidden.csv", "cd" * 32, 11, False)
    with_blocked = replace(
        released,
        outputs=(*released.outputs, blocked),
        check_report={
            **REPORT,
            "files": [*REPORT["files"], {"name": "hidden.csv", "outcome": "blocked"}],
            "logs": [{"name": "<stdout>"}],
        },
    )
    seen = as_seen_by(RECIPIENT, contract, with_blocked)
    # The files it received, with their checks; never a blocked file or what the run printed.
    assert seen.outputs == released.outputs and seen.run_record is None
    assert seen.check_report is not None and "logs" not in seen.check_report
    assert "hidden.csv" not in str(seen.check_report)
    withheld(as_seen_by(SCIENTIST, contract, released))
    # Withheld is for good when the reviewers did not release it.
    withheld(as_seen_by(RECIPIENT, contract, real_run(JobState.WITHHELD)))


def test_a_debug_run_is_the_submitters_own_masked_sample(contract: Contract) -> None:
    debug = replace(real_run(JobState.COMPLETED), mode="debug")
    assert as_seen_by(SCIENTIST, contract, debug) == debug


def test_an_exit_status_is_no_channel_either(contract: Contract) -> None:
    failed = replace(real_run(JobState.FAILED), reason="failed: exit status 138")
    assert as_seen_by(SCIENTIST, contract, failed).reason == "failed: a non-zero exit status"


def test_a_failure_of_the_whole_bundle_fails_its_check() -> None:
    summary = check_summary(
        {"files": [], "bundle_failures": [{"check": "file_count", "reason": "12 files"}]}
    )
    assert summary is not None
    assert summary["checks"] == [{"check": "file_count", "outcome": "failed"}]
    assert check_summary(None) is None
