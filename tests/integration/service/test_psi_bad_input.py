"""PSI's bad input: messy lists, oversized lists, a partner that stops, a replayed
message, a run after the contract ended. Each gets a clear error, nothing is
released, and the audit log has the attempt."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pyarrow.parquet as pq
import pytest
from sqlalchemy import func, select

from contracts import ContractExpired, JobKind, PsiRevealMode, PsiSetTooLarge
from jobs import JobState
from jobs.psi import (
    IdentifierKind,
    IdentifierListRejected,
    MalformedMessage,
    OpenMinedEngine,
    PsiAbort,
    PsiLimits,
    PsiSumPartner,
    SetTooLarge,
    normalise_ids,
)
from kms import PartyKeyPair
from sealroom.audit.records import AuditEventRecord
from sealroom.client import psi_run
from sealroom.client.psi_run import run_psi
from sealroom.data import customers_parquet
from sealroom.datasets.synthetic import partner_ids
from sealroom.errors import WrongState
from sealroom.local.psi_transport import LocalPsiTransport
from sealroom.service import psi
from sealroom.service.context import Sealroom
from sealroom.service.jobs import job_status, list_jobs
from sealroom.store.job_records import JobOutputRecord, ReleaseRecord

from .conftest import ADMIN, OWNER, PARTNER
from .psi_story import approve_when_waiting

# PSI runs no job code: one sandbox backend is enough (both stores still run).
pytestmark = [
    pytest.mark.integration,
    pytest.mark.bwrap,
    pytest.mark.parametrize("active", ["bwrap"], indirect=True),
]
OVERLAP, EXTRA = 120, 380


def partner_list(seed: int = 5) -> list[str]:
    return partner_ids(pq.read_table(customers_parquet()), OVERLAP, EXTRA, seed=seed)


def events(room: Sealroom, action: str, job: str) -> list[AuditEventRecord]:
    with room.sessions() as session:
        return list(
            session.scalars(
                select(AuditEventRecord).where(
                    AuditEventRecord.action == action, AuditEventRecord.job_id == job
                )
            )
        )


def nothing_left_for(room: Sealroom, job: str) -> bool:
    with room.sessions() as session:
        outputs = session.scalar(
            select(func.count()).select_from(JobOutputRecord).where(JobOutputRecord.job_id == job)
        )
        releases = session.scalar(
            select(func.count()).select_from(ReleaseRecord).where(ReleaseRecord.job_id == job)
        )
    return outputs == 0 and releases == 0


def test_duplicates_blanks_and_a_few_malformed_entries_do_not_change_the_overlap(
    active: tuple[Sealroom, PartyKeyPair],
) -> None:
    room, keys = active
    clean = partner_list()
    messy: list[str | None] = [*clean, *clean[:50], None, "", "   ", "not-a-phone", "+86 12"]
    random.Random(3).shuffle(messy)
    voting = approve_when_waiting(room, [OWNER])
    learned = run_psi(
        LocalPsiTransport(room, PARTNER),
        contract_id="c-12",
        raw_ids=messy,
        mode=PsiRevealMode.CARDINALITY,
        keys=keys,
        recipient="globex-uk",
        poll_seconds=0.2,
    )
    voting.join()
    assert learned.intersection_size == OVERLAP
    assert learned.partner_set_size == len(set(clean))  # duplicates counted once


def test_a_list_of_mostly_junk_is_refused_on_the_partner_s_machine(
    active: tuple[Sealroom, PartyKeyPair],
) -> None:
    room, keys = active
    junk = [f"customer #{n}" for n in range(400)] + partner_list()[:100]
    with pytest.raises(IdentifierListRejected, match="malformed"):
        run_psi(
            LocalPsiTransport(room, PARTNER),
            contract_id="c-12",
            raw_ids=junk,
            mode=PsiRevealMode.CARDINALITY,
            keys=keys,
            recipient="globex-uk",
        )
    # The run opened (the owner names the identifier kind); the client then told the
    # owner why it stopped, and the run ended at once, with nothing released.
    (run,) = [j for j in list_jobs(room) if j.kind == "psi"]
    assert run.state is JobState.FAILED
    assert "the partner stopped the run" in run.reason and "malformed" in run.reason
    assert nothing_left_for(room, run.job_id)


def test_a_list_over_the_client_s_cap_is_refused_before_a_run_opens(
    active: tuple[Sealroom, PartyKeyPair], monkeypatch: pytest.MonkeyPatch
) -> None:
    room, keys = active
    monkeypatch.setattr(psi_run, "PARTNER_SET_CAP", 100)
    with pytest.raises(SetTooLarge, match="more than 100 identifiers"):
        run_psi(
            LocalPsiTransport(room, PARTNER),
            contract_id="c-12",
            raw_ids=partner_list(),
            mode=PsiRevealMode.CARDINALITY,
            keys=keys,
            recipient="globex-uk",
        )
    assert [j for j in list_jobs(room) if j.kind == "psi"] == []


def test_a_partner_that_aborts_mid_protocol_ends_the_run_at_once(
    active: tuple[Sealroom, PartyKeyPair],
) -> None:
    room, _ = active
    ids = normalise_ids(partner_list(), IdentifierKind.MOBILE, cap=1000).ids
    opened = psi.open_psi(room, PARTNER, "c-12", JobKind.PSI_SUM, partner_set_size=len(ids))
    partner = PsiSumPartner(opened.job_id, PsiLimits(100, 10))
    psi.exchange_psi(room, PARTNER, opened.job_id, partner.hello(list(ids)).to_bytes())
    with pytest.raises(MalformedMessage, match="names run j-other"):
        psi.exchange_psi(room, PARTNER, opened.job_id, PsiAbort("j-other", "x").to_bytes())
    stopped = psi.exchange_psi(
        room, PARTNER, opened.job_id, PsiAbort(opened.job_id, "interrupted").to_bytes()
    )
    assert stopped.state is JobState.FAILED and stopped.message is None
    assert opened.job_id not in room.psi_runs
    assert (
        "the partner stopped the run: interrupted" in job_status(room, ADMIN, opened.job_id).reason
    )
    assert nothing_left_for(room, opened.job_id)


def test_ten_million_identifiers_are_refused_at_the_gate_and_audited(
    active: tuple[Sealroom, PartyKeyPair],
) -> None:
    room, _ = active
    with pytest.raises(PsiSetTooLarge, match="got 10,000,000: split the list"):
        psi.open_psi(
            room,
            PARTNER,
            "c-12",
            JobKind.PSI,
            partner_set_size=10_000_000,
            mode=PsiRevealMode.CARDINALITY,
        )
    (run,) = [j for j in list_jobs(room) if j.kind == "psi"]
    assert run.state is JobState.REJECTED_BY_GATE and "at most 1,000,000" in run.reason
    assert events(room, "job.gate_refused", run.job_id)


def test_a_partner_that_stops_mid_protocol_leaves_a_failed_run_and_no_state(
    active: tuple[Sealroom, PartyKeyPair],
) -> None:
    room, _ = active
    ids = normalise_ids(partner_list(), IdentifierKind.MOBILE, cap=1000).ids
    opened = psi.open_psi(room, PARTNER, "c-12", JobKind.PSI_SUM, partner_set_size=len(ids))
    partner = PsiSumPartner(opened.job_id, PsiLimits(100, 10))
    reply = psi.exchange_psi(room, PARTNER, opened.job_id, partner.hello(list(ids)).to_bytes())
    assert reply.state is JobState.RUNNING and reply.message
    # ... and the partner says nothing more. Eleven minutes later:
    later = replace(room, clock=lambda: datetime.now(UTC) + timedelta(minutes=11))
    assert psi.fail_stalled_runs(later) == [opened.job_id]
    view = job_status(room, ADMIN, opened.job_id)
    assert view.state is JobState.FAILED and "sent nothing for 10 minutes" in view.reason
    assert opened.job_id not in room.psi_runs  # the owner's keys and ciphertexts are gone
    assert nothing_left_for(room, opened.job_id)
    assert events(room, "job.run_failed", opened.job_id)
    # A late message finds the run closed.
    with pytest.raises(WrongState, match="is failed, not running"):
        psi.exchange_psi(room, PARTNER, opened.job_id, b"late")


def test_a_replayed_protocol_message_is_refused_and_changes_nothing(
    active: tuple[Sealroom, PartyKeyPair],
) -> None:
    room, _ = active
    ids = normalise_ids(partner_list(), IdentifierKind.MOBILE, cap=1000).ids
    opened = psi.open_psi(
        room,
        PARTNER,
        "c-12",
        JobKind.PSI,
        partner_set_size=len(ids),
        mode=PsiRevealMode.CARDINALITY,
    )
    session = OpenMinedEngine().partner_session(
        opened.job_id, PsiRevealMode.CARDINALITY, PsiLimits(100, 10)
    )
    request = session.create_request(list(ids)).to_bytes()
    first = psi.exchange_psi(room, PARTNER, opened.job_id, request)
    assert first.state is JobState.AWAITING_REVIEW
    before = job_status(room, ADMIN, opened.job_id)
    with pytest.raises(WrongState, match="takes each message once"):
        psi.exchange_psi(room, PARTNER, opened.job_id, request)
    after = job_status(room, ADMIN, opened.job_id)
    assert (after.state, after.updated_at) == (before.state, before.updated_at)


def test_a_run_after_the_contract_ended_is_refused_and_audited(
    active: tuple[Sealroom, PartyKeyPair],
) -> None:
    room, _ = active
    expired = replace(room, clock=lambda: datetime(2028, 1, 2, tzinfo=UTC))
    with pytest.raises(ContractExpired):
        psi.open_psi(
            expired,
            PARTNER,
            "c-12",
            JobKind.PSI,
            partner_set_size=500,
            mode=PsiRevealMode.CARDINALITY,
        )
    (run,) = [j for j in list_jobs(room) if j.kind == "psi"]
    assert run.state is JobState.REJECTED_BY_GATE
    assert events(room, "job.gate_refused", run.job_id)
    assert nothing_left_for(room, run.job_id)
