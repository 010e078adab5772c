"""Story 1 end to end through the service layer, on real bubblewrap and real Docker."""

from __future__ import annotations

from pathlib import Path

import pytest

from contracts import RunMode, SelfReviewForbidden
from jobs import Decision, JobState, open_result
from kms import PartyKeyPair
from sealroom.errors import PermissionDenied, WrongState
from sealroom.service.actors import Actor
from sealroom.service.audit_log import platform_public_keys
from sealroom.service.context import Sealroom
from sealroom.service.job_runner import run_next_job
from sealroom.service.jobs import debug_outputs, submit_job
from sealroom.service.results import download_result
from sealroom.service.reviews import approve_code, show_review, vote

from .conftest import ADMIN, ROOT

GOOD = ROOT / "examples" / "jobs" / "spend_by_segment.py"
TOO_FINE = ROOT / "examples" / "jobs" / "spend_by_segment_and_city.py"
OWNER = Actor("acme-cn", False, None)
PLATFORM = ADMIN
SCIENTIST = Actor("alice", False, "acme-cn")
PARTNER = Actor("globex-uk", False, None)


def run(room: Sealroom, code: Path, mode: RunMode) -> str:
    job = submit_job(room, SCIENTIST, "c-12", code.read_bytes(), code.name, mode)
    assert job.state is JobState.QUEUED
    done = run_next_job(room, job.job_id)
    assert done is not None
    return done.job_id


@pytest.mark.integration
def test_story_1_debug_then_real_then_dual_review_then_sealed_release(
    active: tuple[Sealroom, PartyKeyPair],
) -> None:
    room, partner = active
    # Debug: the masked sample, outputs straight back to the scientist.
    debug = run(room, GOOD, RunMode.DEBUG)
    files = debug_outputs(room, SCIENTIST, debug)
    assert "spend_by_segment.csv" in files
    # Code review: owner and platform approve the code by hash before a real run.
    from jobs import code_hash

    digest = code_hash(GOOD.read_bytes())
    approve_code(room, OWNER, "c-12", digest)
    approve_code(room, PLATFORM, "c-12", digest)
    real = run(room, GOOD, RunMode.REAL)
    review = show_review(room, OWNER, real)
    assert review.job.state is JobState.AWAITING_REVIEW
    assert "spend_by_segment.csv" in review.outputs
    with pytest.raises(PermissionDenied, match="not a recipient"):
        download_result(room, SCIENTIST, real)
    with pytest.raises(WrongState, match="not released"):
        download_result(room, PARTNER, real)
    with pytest.raises(SelfReviewForbidden, match="may not review it"):
        vote(room, SCIENTIST, real, Decision.APPROVE)
    vote(room, OWNER, real, Decision.APPROVE)
    with pytest.raises(WrongState, match="not released"):
        download_result(room, PARTNER, real)  # one approval is not the quorum
    released = vote(room, PLATFORM, real, Decision.APPROVE)
    assert released.state is JobState.RELEASED
    with pytest.raises(WrongState, match="is released, not awaiting review"):
        vote(room, OWNER, real, Decision.REJECT)  # a late vote changes nothing
    sealed = download_result(room, PARTNER, real)
    opened = open_result(
        sealed.sealed,
        job_id=real,
        recipient="globex-uk",
        keys=partner,
        platform_key=platform_public_keys(room).ed25519,
    )
    assert opened.files["spend_by_segment.csv"] == review.outputs["spend_by_segment.csv"]
    assert {a.reviewer for a in opened.receipt.approvals} == {"acme-cn", "platform"}


@pytest.mark.integration
def test_a_vote_before_the_run_finished_is_refused_and_not_kept(
    active: tuple[Sealroom, PartyKeyPair],
) -> None:
    room, _ = active
    from jobs import code_hash

    digest = code_hash(GOOD.read_bytes())
    approve_code(room, OWNER, "c-12", digest)
    approve_code(room, PLATFORM, "c-12", digest)
    queued = submit_job(room, SCIENTIST, "c-12", GOOD.read_bytes(), GOOD.name, RunMode.REAL)
    with pytest.raises(WrongState, match="is queued, not awaiting review"):
        vote(room, OWNER, queued.job_id, Decision.APPROVE)
    done = run_next_job(room, queued.job_id)
    assert done is not None and done.state is JobState.AWAITING_REVIEW
    assert show_review(room, OWNER, done.job_id).votes == ()
