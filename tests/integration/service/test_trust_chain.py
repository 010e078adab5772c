"""The owner's control, tried as the parties (and an insider with the database) would.

The README's topology: alice is a person of the owner organisation acme-cn and
the contract's scientist. Each test is an attack that worked before decisions
were signed, duties separated by person and the store re-checked.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import update

from contracts import RunMode, SelfReviewForbidden
from jobs import (
    CodeNotApproved,
    Decision,
    DecisionSignatureInvalid,
    JobState,
    ReceiptInvalid,
    open_result,
)
from kms import PartyKeyPair, generate_party_keys, load_party_key_file
from sealroom.errors import PermissionDenied
from sealroom.service.actors import Actor
from sealroom.service.audit_log import platform_public_keys
from sealroom.service.context import Sealroom
from sealroom.service.decisions import OfferedSignature
from sealroom.service.job_runner import run_next_job
from sealroom.service.jobs import job_logs, job_status, submit_job
from sealroom.service.results import download_result
from sealroom.service.reviews import vote
from sealroom.service.store_reconcile import reconcile_store
from sealroom.store.database import transaction
from sealroom.store.job_records import JobRecord, ReviewVoteRecord
from sealroom.store.models import PartyRecord
from tests.fixtures.deciding import approve_code_as, vote_as

from .conftest import ADMIN, OWNER, PASSPHRASE, ROOT

pytestmark = [pytest.mark.integration, pytest.mark.parametrize("active", ["bwrap"], indirect=True)]

GOOD = ROOT / "examples" / "jobs" / "spend_by_segment.py"
ALICE = Actor("alice", False, "acme-cn")  # a person of the owner, the contract's scientist
PARTNER = Actor("globex-uk", False, None)


def keys_of(home: Path, party: str) -> PartyKeyPair:
    return load_party_key_file(home / f"{party}.key", PASSPHRASE)


def approved_real_run(room: Sealroom, home: Path) -> str:
    """GOOD approved by acme-cn and the platform, run for real: awaiting review."""
    approve_code_as(room, "acme-cn", GOOD, keys_of(home, "acme-cn"))
    approve_code_as(room, "admin", GOOD, None)
    job = submit_job(room, ALICE, "c-12", GOOD.read_bytes(), GOOD.name, RunMode.REAL)
    done = run_next_job(room, job.job_id)
    assert done is not None and done.state is JobState.AWAITING_REVIEW, done
    return done.job_id


def kinds_named(room: Sealroom) -> set[tuple[str, str]]:
    return {(d.kind, d.subject) for d in reconcile_store(room)}


def test_a_scientist_of_the_owner_organisation_cannot_approve_her_own_code(
    active: tuple[Sealroom, PartyKeyPair], isolated_home: Path
) -> None:
    room, _ = active
    with pytest.raises(SelfReviewForbidden, match="alice is a scientist of contract c-12"):
        approve_code_as(room, "alice", GOOD, keys_of(isolated_home, "alice"))
    # Her approval does not count as acme-cn's: the platform's alone is not a quorum.
    approve_code_as(room, "admin", GOOD, None)
    with pytest.raises(CodeNotApproved):
        submit_job(room, ALICE, "c-12", GOOD.read_bytes(), GOOD.name, RunMode.REAL)


def test_the_scientist_reads_neither_her_real_logs_nor_votes_for_her_organisation(
    active: tuple[Sealroom, PartyKeyPair], isolated_home: Path
) -> None:
    room, _ = active
    real = approved_real_run(room, isolated_home)
    with pytest.raises(PermissionDenied, match="ran on the real data"):
        job_logs(room, ALICE, real)
    with pytest.raises(SelfReviewForbidden, match="alice submitted the job"):
        vote_as(room, "alice", real, keys_of(isolated_home, "alice"))
    assert job_logs(room, OWNER, real).job_id == real  # the owner's reviewer reads them


def test_a_vote_without_a_valid_signature_by_the_voter_is_refused(
    active: tuple[Sealroom, PartyKeyPair], isolated_home: Path
) -> None:
    room, _ = active
    real = approved_real_run(room, isolated_home)
    # Whoever issues tokens cannot cast the owner's half of the quorum unsigned ...
    with pytest.raises(DecisionSignatureInvalid, match="must be signed by acme-cn's own key"):
        vote(room, OWNER, real, Decision.APPROVE)
    # ... nor with a signature by a key that is not acme-cn's.
    with pytest.raises(DecisionSignatureInvalid, match="does not verify"):
        vote_as(room, "acme-cn", real, generate_party_keys())
    forged = OfferedSignature("acme-cn", room.clock(), "A" * 86 + "==")
    with pytest.raises(DecisionSignatureInvalid):
        vote(room, OWNER, real, Decision.APPROVE, signature=forged)
    assert job_status(room, OWNER, real).state is JobState.AWAITING_REVIEW


def test_a_vote_row_forged_in_the_store_releases_nothing_and_is_named(
    active: tuple[Sealroom, PartyKeyPair], isolated_home: Path
) -> None:
    room, _ = active
    real = approved_real_run(room, isolated_home)
    with transaction(room.sessions) as session:
        session.add(
            ReviewVoteRecord(
                job_id=real,
                reviewer="acme-cn",
                decision="approve",
                reason="",
                voted_by="acme-cn",
                at=room.clock(),
            )
        )
    # The platform's vote would complete the quorum the forged row claims to half-fill.
    after = vote_as(room, "admin", real, None)
    assert after.state == JobState.AWAITING_REVIEW.value
    assert kinds_named(room) >= {
        ("unsigned-event", f"job {real}"),
        ("bad-signature", f"job {real}"),
    }
    # The real owner's signed vote still releases it.
    assert vote_as(room, "acme-cn", real, keys_of(isolated_home, "acme-cn")).state == "released"


def test_job_code_swapped_in_the_store_does_not_run_and_is_named(
    active: tuple[Sealroom, PartyKeyPair], isolated_home: Path
) -> None:
    room, _ = active
    approve_code_as(room, "acme-cn", GOOD, keys_of(isolated_home, "acme-cn"))
    approve_code_as(room, "admin", GOOD, None)
    job = submit_job(room, ALICE, "c-12", GOOD.read_bytes(), GOOD.name, RunMode.REAL).job_id
    with transaction(room.sessions) as session:
        session.execute(
            update(JobRecord)
            .where(JobRecord.job_id == job)
            .values(code=b"print(open('/inputs/customers.parquet','rb').read())\n")
        )
    done = run_next_job(room, job)
    assert done is not None and done.state is JobState.FAILED
    assert "stored code was altered" in done.reason
    assert ("code-hash", f"job {job}") in kinds_named(room)


def test_code_approved_as_python_does_not_run_as_shell(
    active: tuple[Sealroom, PartyKeyPair], isolated_home: Path
) -> None:
    room, _ = active
    approve_code_as(room, "acme-cn", GOOD, keys_of(isolated_home, "acme-cn"))
    approve_code_as(room, "admin", GOOD, None)
    with pytest.raises(CodeNotApproved):
        submit_job(room, ALICE, "c-12", GOOD.read_bytes(), "spend_by_segment.sh", RunMode.REAL)


def test_a_recipient_key_swapped_in_the_store_is_not_sealed_to_and_is_named(
    active: tuple[Sealroom, PartyKeyPair], isolated_home: Path
) -> None:
    room, partner = active
    real = approved_real_run(room, isolated_home)
    attacker = generate_party_keys()
    with transaction(room.sessions) as session:
        session.execute(
            update(PartyRecord)
            .where(PartyRecord.name == "globex-uk")
            .values(x25519_public=attacker.public.x25519)
        )
    vote_as(room, "acme-cn", real, keys_of(isolated_home, "acme-cn"))
    assert vote(room, ADMIN, real, Decision.APPROVE).state is JobState.RELEASED
    sealed = download_result(room, PARTNER, real)
    platform = platform_public_keys(room).ed25519
    with pytest.raises(ReceiptInvalid, match="does not open"):
        open_result(
            sealed.sealed, job_id=real, recipient="globex-uk", keys=attacker, platform_key=platform
        )
    opened = open_result(
        sealed.sealed, job_id=real, recipient="globex-uk", keys=partner, platform_key=platform
    )
    # The receipt carries acme-cn's own signature over these very output digests.
    owner = next(a for a in opened.receipt.approvals if a.reviewer == "acme-cn")
    assert owner.signed is not None
    assert owner.signed.signer_key == keys_of(isolated_home, "acme-cn").public.ed25519
    assert ("unpinned-key", "party globex-uk") in kinds_named(room)
