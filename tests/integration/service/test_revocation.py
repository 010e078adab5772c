"""Revocation and expiry stop work (issue 18, point 3), tried as the parties would.

The owner revokes story 1's contract (or its window closes) while a real job is
queued, running or awaiting review. Today that job still decrypts the data and
runs, and is still released and ledgered. Here: it is cancelled with the reason
in the audit log, never runs, never releases, and the contract's own KEK is
destroyed, so nothing stored under the contract can be decrypted again.
"""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from contracts import ActionKind, ContractExpired, ContractRevoked, RunMode
from jobs import Decision, JobState, code_hash
from kms import KekDestroyed, PartyKeyPair, load_party_key_file, open_data_key
from sealroom.audit import query_events
from sealroom.service.actors import Actor
from sealroom.service.blobs import load_data_key
from sealroom.service.context import Sealroom
from sealroom.service.contract_ending import sweep_ended_contracts
from sealroom.service.contract_keys import kek_id_for, stored_grant
from sealroom.service.contracts import take_step
from sealroom.service.datasets import verify_dataset
from sealroom.service.job_records import read_outputs
from sealroom.service.job_runner import run_next_job
from sealroom.service.jobs import job_status, submit_job
from sealroom.service.results import download_result
from sealroom.service.reviews import approve_code, vote
from sealroom.store.contract_key_records import ContractKeyGrantRecord
from sealroom.store.job_records import (
    ExportLedgerRecord,
    JobOutputRecord,
    JobRecord,
    ReleaseRecord,
)
from tests.fixtures.deciding import approve_signed, vote_signed
from tests.fixtures.softhsm import SoftHsmToken

from .conftest import ADMIN, PASSPHRASE, ROOT

pytestmark = pytest.mark.integration

GOOD = ROOT / "examples" / "jobs" / "spend_by_segment.py"
OWNER = Actor("acme-cn", False, None)
SCIENTIST = Actor("alice", False, "acme-cn")
PARTNER = Actor("globex-uk", False, None)
# The example contract is valid until 2027-12-31 in Asia/Shanghai.
AFTER_EXPIRY = datetime(2028, 1, 2, tzinfo=UTC)
# Runs long enough that the revocation lands while it runs; it is stopped long before.
SLOW = b"import time\nfor _ in range(600):\n    time.sleep(0.5)\n"


def _approve(room: Sealroom, code: bytes, name: str = GOOD.name) -> None:
    approve_signed(room, OWNER, "c-12", code, name)
    approve_signed(room, ADMIN, "c-12", code, name)


def _submit(room: Sealroom, code: bytes = b"", name: str = GOOD.name) -> str:
    code = code or GOOD.read_bytes()
    return submit_job(room, SCIENTIST, "c-12", code, name, RunMode.REAL).job_id


def _revoke(room: Sealroom, home: Path) -> None:
    owner_keys = load_party_key_file(home / "acme-cn.key", PASSPHRASE)
    take_step(room, OWNER, "c-12", ActionKind.REVOKE, keys=owner_keys)


def _awaiting_review(room: Sealroom) -> str:
    _approve(room, GOOD.read_bytes())
    job = _submit(room)
    done = run_next_job(room, job)
    assert done is not None and done.state is JobState.AWAITING_REVIEW
    return job


def _cancel_reason(room: Sealroom, job: str) -> str:
    with room.sessions() as session:
        events = query_events(session, job=job, action="job.cancel")
    assert len(events) == 1, "the cancellation is in the audit log, once"
    return str(events[0].event.detail["reason"])


def _count(room: Sealroom, model: type, **where: str) -> int:
    with room.sessions() as session:
        query = select(func.count()).select_from(model)
        for column, value in where.items():
            query = query.where(getattr(model, column) == value)
        return int(session.scalar(query) or 0)


def _expired(room: Sealroom) -> Sealroom:
    return replace(room, clock=lambda: AFTER_EXPIRY)


def test_revoking_cancels_a_queued_real_job_which_never_decrypts_or_runs(
    active: tuple[Sealroom, PartyKeyPair], isolated_home: Path
) -> None:
    room, _ = active
    _approve(room, GOOD.read_bytes())
    job = _submit(room)
    _revoke(room, isolated_home)
    assert run_next_job(room, job) is None  # nothing left to run
    status = job_status(room, SCIENTIST, job)
    assert status.state is JobState.CANCELLED and status.attempts == 0
    assert "revoked by acme-cn" in _cancel_reason(room, job)
    # It never decrypted the data: no grant was ever issued under the contract.
    assert _count(room, ContractKeyGrantRecord, contract_id="c-12") == 0


def test_a_queued_job_of_an_expired_contract_is_cancelled_at_claim(
    active: tuple[Sealroom, PartyKeyPair],
) -> None:
    room, _ = active
    _approve(room, GOOD.read_bytes())
    job = _submit(room)
    later = _expired(room)
    assert run_next_job(later, job) is None
    status = job_status(later, SCIENTIST, job)
    assert status.state is JobState.CANCELLED and status.attempts == 0
    assert "expired on 2027-12-31" in _cancel_reason(room, job)
    assert _count(room, ContractKeyGrantRecord, contract_id="c-12") == 0


def test_revoking_makes_a_result_awaiting_review_unreleasable(
    active: tuple[Sealroom, PartyKeyPair], isolated_home: Path
) -> None:
    room, _ = active
    job = _awaiting_review(room)
    _revoke(room, isolated_home)
    assert job_status(room, OWNER, job).state is JobState.CANCELLED
    assert "revoked" in _cancel_reason(room, job)
    for voter in (OWNER, ADMIN):
        with pytest.raises(
            ContractRevoked, match=f"cannot vote on {job}: contract c-12 v1 was revoked"
        ):
            vote(room, voter, job, Decision.APPROVE)
    with pytest.raises(ContractRevoked):
        download_result(room, PARTNER, job)
    assert _count(room, ReleaseRecord, job_id=job) == 0
    assert _count(room, ExportLedgerRecord, job_id=job) == 0


def test_an_expired_contracts_result_awaiting_review_is_refused_and_swept(
    active: tuple[Sealroom, PartyKeyPair],
) -> None:
    room, _ = active
    job = _awaiting_review(room)
    vote_signed(room, OWNER, job)
    later = _expired(room)
    # The platform's vote would complete the quorum: the expired contract refuses it.
    with pytest.raises(ContractExpired, match=f"cannot vote on {job}"):
        vote(later, ADMIN, job, Decision.APPROVE)
    with pytest.raises(ContractExpired, match="cannot approve code"):
        approve_code(later, OWNER, "c-12", code_hash(b"print(1)\n"))
    stopped = sweep_ended_contracts(later)
    assert [(s.contract_id, s.cancelled, s.key_destroyed) for s in stopped] == [
        ("c-12", (job,), True)
    ]
    assert sweep_ended_contracts(later) == []  # nothing left to stop
    assert job_status(room, OWNER, job).state is JobState.CANCELLED
    assert "expired" in _cancel_reason(room, job)
    assert _count(room, ReleaseRecord, job_id=job) == 0
    assert _count(room, ExportLedgerRecord, job_id=job) == 0


def test_revoking_during_a_running_job_stops_it_and_discards_its_outcome(
    active: tuple[Sealroom, PartyKeyPair], isolated_home: Path
) -> None:
    room, _ = active
    _approve(room, SLOW, "slow.py")
    job = _submit(room, SLOW, "slow.py")
    worker = threading.Thread(target=run_next_job, args=(room, job))
    started = time.monotonic()
    worker.start()
    while job_status(room, SCIENTIST, job).state is not JobState.RUNNING:
        assert worker.is_alive(), "the worker ended before the job ran"
        time.sleep(0.1)
    _revoke(room, isolated_home)
    worker.join(timeout=120)
    assert not worker.is_alive()
    # Stopped, not waited for: the job would have run for five minutes.
    assert time.monotonic() - started < 120
    status = job_status(room, SCIENTIST, job)
    assert status.state is JobState.CANCELLED
    assert "revoked" in _cancel_reason(room, job)
    assert _count(room, JobOutputRecord, job_id=job) == 0
    with room.sessions() as session:
        rec = session.get(JobRecord, job)
        assert rec is not None and rec.output_key_id is None and rec.lease_owner is None


def test_a_released_result_is_not_downloaded_after_revocation(
    active: tuple[Sealroom, PartyKeyPair], isolated_home: Path
) -> None:
    room, _ = active
    job = _awaiting_review(room)
    vote_signed(room, OWNER, job)
    assert vote_signed(room, ADMIN, job) is JobState.RELEASED
    _revoke(room, isolated_home)
    with pytest.raises(ContractRevoked, match="revoked"):
        download_result(room, PARTNER, job)
    # What was released stays on record: the release, its receipt, its ledger rows.
    assert job_status(room, OWNER, job).state is JobState.RELEASED
    assert _count(room, ReleaseRecord, job_id=job) == 1
    assert _count(room, ExportLedgerRecord, job_id=job) >= 1


def _shreds_outputs_and_grants_but_not_the_record(room: Sealroom, home: Path) -> None:
    job = _awaiting_review(room)
    assert read_outputs(room, job, releasable_only=False)  # readable while in force
    with room.sessions() as session:
        rec = session.get(JobRecord, job)
        assert rec is not None and rec.output_key_id is not None
        output_key_id = rec.output_key_id
        grants = session.scalars(
            select(ContractKeyGrantRecord).where(ContractKeyGrantRecord.contract_id == "c-12")
        ).all()
        assert len(grants) == 1
        grant = grants[0]
        assert grant.kek_id == kek_id_for("c-12", 1)
    _revoke(room, home)
    # Nothing under the contract opens any more: not through Sealroom...
    with pytest.raises(KekDestroyed):
        read_outputs(room, job, releasable_only=False)
    # ...nor with the keyring directly, opened afresh from its file or token.
    fresh = Sealroom.open(room.settings, lambda: PASSPHRASE)
    try:
        with pytest.raises(KekDestroyed):
            fresh.keyring().kek(grant.kek_id)
        with fresh.sessions() as session, pytest.raises(KekDestroyed):
            load_data_key(session, fresh, output_key_id)
        stored = stored_grant(grant)
        with pytest.raises(KekDestroyed):
            open_data_key(fresh.keyring(), stored, stored.context)
        # The dataset itself is the owner's, not the contract's: it still decrypts.
        verify_dataset(fresh, "customers")
        # The record stays readable: the job, its run record, its audit trail.
        with fresh.sessions() as session:
            rec = session.get(JobRecord, job)
            assert rec is not None and rec.run_record and rec.check_report is not None
            actions = [e.event.action for e in query_events(session, contract="c-12")]
            # The grant's row stays too: ciphertext under a key that no longer exists.
            assert session.get(ContractKeyGrantRecord, (grant.kek_id, grant.data_key_id))
        assert "contract.revoke" in actions and "contract.work_stopped" in actions
    finally:
        fresh.close()


def test_revocation_shreds_the_contracts_outputs_and_grants_but_not_the_record(
    active: tuple[Sealroom, PartyKeyPair], isolated_home: Path
) -> None:
    _shreds_outputs_and_grants_but_not_the_record(active[0], isolated_home)


@pytest.fixture
def on_softhsm(
    isolated_home: Path, softhsm_token: SoftHsmToken, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The room's master keys and KEKs in a real SoftHSM2 token (requested before ``room``)."""
    monkeypatch.setenv("SEALROOM_KEY_PROVIDER", "pkcs11")
    monkeypatch.setenv("SEALROOM_PKCS11_LIBRARY", softhsm_token.library)
    monkeypatch.setenv("SEALROOM_PKCS11_TOKEN", softhsm_token.label)
    monkeypatch.setenv("SEALROOM_PKCS11_PIN", softhsm_token.pin)


@pytest.mark.softhsm
def test_revocation_destroys_the_kek_inside_a_pkcs11_token(
    on_softhsm: None, active: tuple[Sealroom, PartyKeyPair], isolated_home: Path
) -> None:
    room, _ = active
    assert room.settings.key_provider == "pkcs11"
    _shreds_outputs_and_grants_but_not_the_record(room, isolated_home)
