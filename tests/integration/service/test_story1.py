"""Story 1 end to end through the service layer, on real bubblewrap and real Docker."""

from __future__ import annotations

from pathlib import Path

import pytest

from contracts import RunMode, SelfReviewForbidden
from jobs import Decision, JobState, open_result
from kms import PartyKeyPair, load_party_key_file
from sealroom.errors import PermissionDenied, WrongState
from sealroom.service.actors import Actor
from sealroom.service.audit_log import platform_public_keys
from sealroom.service.context import Sealroom
from sealroom.service.job_runner import run_next_job
from sealroom.service.jobs import debug_outputs, submit_job
from sealroom.service.results import download_result
from sealroom.service.reviews import show_review, vote
from tests.fixtures.deciding import approve_code_as, vote_as

from .conftest import ADMIN, PASSPHRASE, ROOT

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


def owner_keys(home: Path) -> PartyKeyPair:
    return load_party_key_file(home / "acme-cn.key", PASSPHRASE)


@pytest.mark.integration
def test_story_1_debug_then_real_then_dual_review_then_sealed_release(
    active: tuple[Sealroom, PartyKeyPair], isolated_home: Path
) -> None:
    room, partner = active
    acme = owner_keys(isolated_home)
    # Debug: the masked sample, outputs straight back to the scientist.
    debug = run(room, GOOD, RunMode.DEBUG)
    files = debug_outputs(room, SCIENTIST, debug)
    assert "spend_by_segment.csv" in files
    # Code review: owner and platform sign their approvals of the code before a real run.
    approve_code_as(room, "acme-cn", GOOD, acme)
    approve_code_as(room, "admin", GOOD, None)
    real = run(room, GOOD, RunMode.REAL)
    review = show_review(room, OWNER, real)
    assert review.job.state is JobState.AWAITING_REVIEW
    assert "spend_by_segment.csv" in review.outputs
    with pytest.raises(PermissionDenied, match="not a recipient"):
        download_result(room, SCIENTIST, real)
    with pytest.raises(WrongState, match="not released"):
        download_result(room, PARTNER, real)
    with pytest.raises(SelfReviewForbidden, match="may not review"):
        vote(room, SCIENTIST, real, Decision.APPROVE)
    vote_as(room, "acme-cn", real, acme)
    with pytest.raises(WrongState, match="not released"):
        download_result(room, PARTNER, real)  # one approval is not the quorum
    released = vote_as(room, "admin", real, None)
    assert released.state == JobState.RELEASED.value
    with pytest.raises(WrongState, match="is released, not awaiting review"):
        vote_as(room, "acme-cn", real, acme, "reject", "late")  # a late vote changes nothing
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
    # Each approval is its decider's signature over this very output.
    signers = {a.reviewer: a.signed for a in opened.receipt.approvals}
    assert signers["acme-cn"] is not None and signers["acme-cn"].signer_key == acme.public.ed25519


@pytest.mark.integration
def test_a_vote_before_the_run_finished_is_refused_and_not_kept(
    active: tuple[Sealroom, PartyKeyPair], isolated_home: Path
) -> None:
    room, _ = active
    acme = owner_keys(isolated_home)
    approve_code_as(room, "acme-cn", GOOD, acme)
    approve_code_as(room, "admin", GOOD, None)
    queued = submit_job(room, SCIENTIST, "c-12", GOOD.read_bytes(), GOOD.name, RunMode.REAL)
    with pytest.raises(WrongState, match="is queued, not awaiting review"):
        vote(room, OWNER, queued.job_id, Decision.APPROVE)
    done = run_next_job(room, queued.job_id)
    assert done is not None and done.state is JobState.AWAITING_REVIEW
    assert show_review(room, OWNER, done.job_id).votes == ()
