"""One admission for every kind of job: the gate decides, the decision is on record.

A PSI run's ask (the partner's set size, the reveal mode) goes through the same
``admit`` as a script; a refusal is committed before it is raised, and counts
against no quota.
"""

from __future__ import annotations

import pytest

from contracts import JobKind, PsiRevealMode, PsiSetTooSmall, RunMode
from jobs import GateDecision, JobState, PsiAsk
from kms import PartyKeyPair
from sealroom.service.admission import admit, runs_used
from sealroom.service.audit_log import timeline
from sealroom.service.context import Sealroom
from sealroom.service.contracts import show_contract
from sealroom.service.job_records import add_job, load_job
from sealroom.store.database import transaction

pytestmark = pytest.mark.integration


def open_psi_job(room: Sealroom, size: int, mode: PsiRevealMode) -> tuple[str, GateDecision]:
    """What ``psi.open_psi`` does up to the gate: the run's row, then ``admit``."""
    view = show_contract(room, "c-12")
    with transaction(room.sessions) as session:
        rec = add_job(
            session,
            view.contract,
            kind=JobKind.PSI,
            mode=RunMode.REAL,
            submitter="globex-uk",
            code_name="psi-protocol",
            interpreter="none",
            code=f"psi:{mode.value}:customers.mobile".encode(),
            now=room.clock(),
        )
        decision = admit(
            session,
            room,
            rec,
            view,
            actor="globex-uk",
            role="recipient",
            psi=PsiAsk(size, mode),
            detail={"partner_set_size": size, "mode": mode.value},
        )
    return rec.job_id, decision


def test_a_psi_run_with_a_tiny_partner_set_is_refused_on_record(
    active: tuple[Sealroom, PartyKeyPair],
) -> None:
    room, _ = active
    job, decision = open_psi_job(room, 5, PsiRevealMode.CARDINALITY)
    assert isinstance(decision.refusal, PsiSetTooSmall)
    with pytest.raises(PsiSetTooSmall, match="at least 100 identifiers, got 5"):
        decision.raise_if_refused()
    with room.sessions() as session:
        rec = load_job(session, job)
        assert rec.state == JobState.REJECTED_BY_GATE.value
        assert "at least 100 identifiers, got 5" in rec.reason
        assert runs_used(session, "c-12", JobKind.PSI, RunMode.REAL) == 0
    [logged] = timeline(room, job=job, action="job.gate_refused")
    assert (logged.event.actor, logged.event.role) == ("globex-uk", "recipient")
    assert logged.event.detail["partner_set_size"] == 5
    assert logged.event.detail["mode"] == "cardinality"
    assert logged.event.detail["reason"] == rec.reason


def test_a_psi_run_within_the_rules_is_queued_and_counts_once(
    active: tuple[Sealroom, PartyKeyPair],
) -> None:
    room, _ = active
    job, decision = open_psi_job(room, 150, PsiRevealMode.INTERSECTION)
    assert decision.admitted
    with room.sessions() as session:
        assert load_job(session, job).state == JobState.QUEUED.value
        assert runs_used(session, "c-12", JobKind.PSI, RunMode.REAL) == 1
    [logged] = timeline(room, job=job, action="job.gate_passed")
    assert logged.event.detail["partner_set_size"] == 150
