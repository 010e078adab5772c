"""The gate: one test per refusal, each naming what the submitter can do about it."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from contracts import (
    Contract,
    ContractExpired,
    ContractNotActive,
    ContractNotYetValid,
    ContractRevoked,
    JobKind,
    JobKindNotAllowed,
    PsiRevealMode,
    PsiSetTooLarge,
    PsiSetTooSmall,
    QuotaExhausted,
    RoleNotGranted,
    RunMode,
    State,
    Status,
)
from jobs.code import code_hash
from jobs.errors import CodeNotApproved, PsiAskMissing
from jobs.gate import GateDecision, PsiAsk, Submission, decide
from jobs.states import JobEvent

from .conftest import NOW, load_example

CODE = b"import pandas as pd\nprint(pd.read_parquet('/inputs/customers.parquet').shape)\n"
APPROVED = frozenset({code_hash(CODE)})


def real_script(submitter: str = "alice", code: bytes = CODE) -> Submission:
    return Submission("j-1", submitter, JobKind.SCRIPT, RunMode.REAL, code_hash(code))


def gate(
    contract: Contract,
    status: Status,
    submission: Submission,
    *,
    now: dt.datetime = NOW,
    runs_used: dict[JobKind, int] | None = None,
    approved: frozenset[str] = APPROVED,
) -> GateDecision:
    return decide(
        contract,
        status,
        submission,
        now=now,
        runs_used=runs_used or {},
        approved_code_hashes=approved,
    )


def test_an_approved_script_by_the_scientist_is_admitted(
    contract: Contract, active: Status
) -> None:
    decision = gate(contract, active, real_script())
    assert decision.admitted
    assert decision.event is JobEvent.GATE_PASSED
    assert decision.reason == ""
    decision.raise_if_refused()


def test_a_contract_still_waiting_for_the_partner_refuses_jobs(contract: Contract) -> None:
    approved_only = Status(state=State.APPROVED, approvals=frozenset({"acme-cn", "platform"}))
    decision = gate(contract, approved_only, real_script())
    assert isinstance(decision.refusal, ContractNotActive)
    assert decision.event is JobEvent.GATE_REFUSED
    assert "waiting for acceptance by globex-uk" in decision.reason


def test_an_expired_contract_refuses_jobs(contract: Contract, active: Status) -> None:
    after_end = dt.datetime(2028, 1, 1, 12, 0, tzinfo=dt.UTC)
    decision = gate(contract, active, real_script(), now=after_end)
    assert isinstance(decision.refusal, ContractExpired)
    assert "expired on 2027-12-31" in decision.reason


def test_a_revoked_contract_refuses_jobs(contract: Contract, active: Status) -> None:
    revoked = replace(active, state=State.REVOKED, revoked_by="acme-cn", revoked_at=NOW)
    decision = gate(contract, revoked, real_script())
    assert isinstance(decision.refusal, ContractRevoked)
    assert "revoked by acme-cn" in decision.reason


def test_a_contract_before_its_window_refuses_jobs(contract: Contract, active: Status) -> None:
    before_start = dt.datetime(2025, 12, 31, 12, 0, tzinfo=dt.UTC)
    decision = gate(contract, active, real_script(), now=before_start)
    assert isinstance(decision.refusal, ContractNotYetValid)


def test_the_partner_cannot_submit_analysis_code(contract: Contract, active: Status) -> None:
    decision = gate(contract, active, real_script(submitter="globex-uk"))
    assert isinstance(decision.refusal, RoleNotGranted)
    assert "globex-uk may not submit script jobs" in decision.reason
    assert "only a scientist may" in decision.reason


def test_a_kind_the_contract_does_not_allow_is_refused(active: Status) -> None:
    no_he = load_example(
        (
            "  he_aggregate:\n    value_columns: [customers.spend_cny]\n"
            "    statistics: [sum, count, mean]\n    max_runs: 20\n",
            "",
        )
    )
    submission = Submission("j-2", "alice", JobKind.HE_AGGREGATE, RunMode.REAL)
    decision = gate(no_he, active, submission)
    assert isinstance(decision.refusal, JobKindNotAllowed)
    assert "does not allow he_aggregate jobs" in decision.reason


def test_the_fiftieth_real_run_is_the_last(contract: Contract, active: Status) -> None:
    assert gate(contract, active, real_script(), runs_used={JobKind.SCRIPT: 49}).admitted
    decision = gate(contract, active, real_script(), runs_used={JobKind.SCRIPT: 50})
    assert isinstance(decision.refusal, QuotaExhausted)
    assert "allows 50 real script runs and 50 are used" in decision.reason


def test_debug_runs_have_their_own_quota(contract: Contract, active: Status) -> None:
    debug = Submission("j-3", "alice", JobKind.SCRIPT, RunMode.DEBUG, code_hash(CODE))
    assert gate(contract, active, debug, runs_used={JobKind.SCRIPT: 199}).admitted
    decision = gate(contract, active, debug, runs_used={JobKind.SCRIPT: 200})
    assert isinstance(decision.refusal, QuotaExhausted)


def test_unapproved_code_is_refused_when_review_is_required(
    contract: Contract, active: Status
) -> None:
    edited = CODE + b"print('one more line')\n"
    decision = gate(contract, active, real_script(code=edited))
    assert isinstance(decision.refusal, CodeNotApproved)
    assert decision.refusal.code_hash == code_hash(edited)
    assert "requires code review" in decision.reason
    assert "approve this exact code" in decision.reason
    with pytest.raises(CodeNotApproved):
        decision.raise_if_refused()


def test_unapproved_code_may_still_run_in_debug_mode(contract: Contract, active: Status) -> None:
    debug = Submission("j-4", "alice", JobKind.SCRIPT, RunMode.DEBUG, code_hash(b"new code"))
    assert gate(contract, active, debug, approved=frozenset()).admitted


def test_without_code_review_any_code_may_run(active: Status) -> None:
    no_review = load_example(("code_review_required: true", "code_review_required: false"))
    assert gate(no_review, active, real_script(), approved=frozenset()).admitted


def psi_run(
    size: int, reveal: PsiRevealMode | None = PsiRevealMode.CARDINALITY, kind: JobKind = JobKind.PSI
) -> Submission:
    return Submission("j-5", "globex-uk", kind, RunMode.REAL, psi=PsiAsk(size, reveal))


def test_a_psi_run_with_a_large_enough_partner_set_is_admitted(
    contract: Contract, active: Status
) -> None:
    assert gate(contract, active, psi_run(100), approved=frozenset()).admitted
    assert gate(contract, active, psi_run(100, None, JobKind.PSI_SUM)).admitted


def test_a_tiny_partner_set_is_refused_as_a_membership_query(
    contract: Contract, active: Status
) -> None:
    decision = gate(contract, active, psi_run(99))
    assert isinstance(decision.refusal, PsiSetTooSmall)
    assert decision.event is JobEvent.GATE_REFUSED
    assert "needs a partner set of at least 100 identifiers, got 99" in decision.reason
    assert "submit a larger set" in decision.reason
    summing = gate(contract, active, psi_run(3, None, JobKind.PSI_SUM))
    assert isinstance(summing.refusal, PsiSetTooSmall)


def test_a_partner_set_over_the_cap_is_refused(active: Status) -> None:
    psi_runs = "    min_intersection_size: 10\n    max_runs: 20\n  psi_sum:"
    capped = load_example(
        (psi_runs, psi_runs.replace("  psi_sum:", "    max_partner_set_size: 1000\n  psi_sum:"))
    )
    decision = gate(capped, active, psi_run(1001))
    assert isinstance(decision.refusal, PsiSetTooLarge)
    assert "takes at most 1,000 partner identifiers per run, got 1,001" in decision.reason


def test_a_reveal_mode_the_contract_does_not_allow_is_refused(active: Status) -> None:
    cardinality_only = load_example(
        ("reveal: [cardinality, intersection]", "reveal: [cardinality]")
    )
    decision = gate(cardinality_only, active, psi_run(500, PsiRevealMode.INTERSECTION))
    assert isinstance(decision.refusal, JobKindNotAllowed)
    assert "allows psi in cardinality mode only, not intersection" in decision.reason


def test_a_psi_run_must_name_its_reveal_mode(contract: Contract, active: Status) -> None:
    decision = gate(contract, active, psi_run(500, None))
    assert isinstance(decision.refusal, JobKindNotAllowed)
    assert "must name its reveal mode" in decision.reason


def test_the_contract_refuses_before_the_psi_rules_are_asked(
    contract: Contract, active: Status
) -> None:
    decision = gate(contract, active, psi_run(99), runs_used={JobKind.PSI: 20})
    assert isinstance(decision.refusal, QuotaExhausted)


def test_a_psi_run_that_does_not_state_its_set_size_is_refused(
    contract: Contract, active: Status
) -> None:
    for kind in (JobKind.PSI, JobKind.PSI_SUM):
        silent = Submission("j-6", "globex-uk", kind, RunMode.REAL)
        decision = gate(contract, active, silent)
        assert isinstance(decision.refusal, PsiAskMissing)
        assert f"a {kind.value} run must state the partner's set size" in decision.reason
