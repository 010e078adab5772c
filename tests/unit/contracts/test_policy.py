"""Policy questions a gate asks, answered from the contract, its status and ``now``."""

from __future__ import annotations

import datetime as dt

import pytest

from contracts import (
    Action,
    ActionKind,
    ColumnNotAllowed,
    ColumnPolicy,
    Contract,
    ContractExpired,
    ContractInvalid,
    ContractNotActive,
    ContractNotYetValid,
    ContractRevoked,
    JobKind,
    JobKindNotAllowed,
    MaskingMethod,
    OutputClass,
    PlacementNotAllowed,
    PsiRevealMode,
    PsiSetTooLarge,
    PsiSetTooSmall,
    QuotaExhausted,
    Role,
    RoleNotGranted,
    RunMode,
    SelfReviewForbidden,
    State,
    Status,
    apply,
    check_active,
    check_intersection_size,
    check_may_receive,
    check_may_run_on,
    check_may_submit,
    check_output_columns,
    check_psi_request,
    check_reviewer,
    column_output_policy,
    load_contract,
    masking_for,
    who_must_review,
)
from tests.unit.contracts.conftest import NOW


@pytest.fixture
def active(example: Contract) -> Status:
    status = Status()
    for action in (
        Action(ActionKind.PROPOSE, "acme-cn", Role.OWNER),
        Action(ActionKind.APPROVE, "acme-cn", Role.OWNER),
        Action(ActionKind.APPROVE, "platform", Role.PLATFORM),
        Action(ActionKind.ACCEPT, "globex-uk", Role.RECIPIENT),
    ):
        status = apply(example, status, action, dt.datetime(2025, 12, 20, tzinfo=dt.UTC))
    return status


def submit(contract: Contract, status: Status, **overrides: object) -> object:
    arguments: dict[str, object] = {
        "party": "alice",
        "kind": JobKind.SCRIPT,
        "now": NOW,
        "runs_used": {},
    }
    arguments.update(overrides)
    return check_may_submit(contract, status, **arguments)  # type: ignore[arg-type]


def test_scientist_may_submit_a_script_to_an_active_contract(
    example: Contract, active: Status
) -> None:
    rules = submit(example, active)
    assert rules is example.job_kinds.script


def test_expired_contract_refuses_with_the_date_and_the_next_step(
    example: Contract, active: Status
) -> None:
    with pytest.raises(ContractExpired) as caught:
        submit(example, active, now=dt.datetime(2028, 1, 1, tzinfo=dt.UTC))
    assert caught.value.message == (
        "contract c-12 v1 expired on 2027-12-31: ask the owner to propose a new version"
    )


def test_contract_approved_ahead_of_its_window_is_not_yet_valid(
    example: Contract, active: Status
) -> None:
    with pytest.raises(ContractNotYetValid) as caught:
        submit(example, active, now=dt.datetime(2025, 12, 31, 12, tzinfo=dt.UTC))
    assert caught.value.message == (
        "contract c-12 v1 is valid from 2026-01-01 (Asia/Shanghai): try again on or after that date"
    )


def test_contract_awaiting_acceptance_names_who_must_accept(example: Contract) -> None:
    status = Status()
    for action in (
        Action(ActionKind.PROPOSE, "platform", Role.PLATFORM),
        Action(ActionKind.APPROVE, "acme-cn", Role.OWNER),
        Action(ActionKind.APPROVE, "platform", Role.PLATFORM),
    ):
        status = apply(example, status, action, NOW)
    with pytest.raises(ContractNotActive) as caught:
        submit(example, status)
    assert caught.value.message == (
        "contract c-12 v1 is approved, not active: waiting for acceptance by globex-uk"
    )


def test_revoked_contract_refuses_every_gate(example: Contract, active: Status) -> None:
    revoked = apply(example, active, Action(ActionKind.REVOKE, "globex-uk", Role.RECIPIENT), NOW)
    with pytest.raises(ContractRevoked, match="revoked by globex-uk on 2026-06-01"):
        submit(example, revoked)
    with pytest.raises(ContractRevoked):
        check_may_receive(example, revoked, party="globex-uk", now=NOW)


def test_kind_not_in_the_contract_is_refused(example_text: str) -> None:
    text = example_text.replace(
        "  he_aggregate:\n    value_columns: [customers.spend_cny]\n"
        "    statistics: [sum, count, mean]\n    max_runs: 20\n",
        "",
    )
    contract = load_contract(text)
    assert JobKind.HE_AGGREGATE not in contract.job_kinds.allowed()
    status = Status(state=State.ACTIVE)
    with pytest.raises(JobKindNotAllowed) as caught:
        submit(contract, status, kind=JobKind.HE_AGGREGATE)
    assert caught.value.message == (
        "contract c-12 v1 does not allow he_aggregate jobs (it allows script, psi, psi_sum): "
        "ask the owner to propose a new version that allows them"
    )


def test_partner_may_not_submit_scripts(example: Contract, active: Status) -> None:
    with pytest.raises(RoleNotGranted) as caught:
        submit(example, active, party="globex-uk")
    assert caught.value.message == (
        "globex-uk may not submit script jobs under contract c-12 v1: only a scientist may; "
        "ask a party in that role to submit it"
    )


def test_partner_submits_psi(example: Contract, active: Status) -> None:
    submit(example, active, party="globex-uk", kind=JobKind.PSI)


def test_quota_is_counted_per_kind_and_mode(example: Contract, active: Status) -> None:
    submit(example, active, runs_used={JobKind.SCRIPT: 49, JobKind.PSI: 20})
    with pytest.raises(QuotaExhausted) as caught:
        submit(example, active, runs_used={JobKind.SCRIPT: 50})
    assert caught.value.message == (
        "contract c-12 v1 allows 50 real script runs and 50 are used: "
        "ask the owner to propose a new version with a larger quota"
    )
    submit(example, active, runs_used={JobKind.SCRIPT: 199}, mode=RunMode.DEBUG)
    with pytest.raises(QuotaExhausted, match="allows 200 debug script runs"):
        submit(example, active, runs_used={JobKind.SCRIPT: 200}, mode=RunMode.DEBUG)


def test_only_scripts_have_a_debug_mode(example: Contract, active: Status) -> None:
    with pytest.raises(JobKindNotAllowed, match="psi jobs have no debug mode"):
        submit(example, active, party="globex-uk", kind=JobKind.PSI, mode=RunMode.DEBUG)


def test_psi_reveal_mode_and_partner_set_size(example_text: str) -> None:
    contract = load_contract(
        example_text.replace("reveal: [cardinality, intersection]", "reveal: [cardinality]")
    )
    check_psi_request(
        contract, kind=JobKind.PSI, reveal=PsiRevealMode.CARDINALITY, partner_set_size=100
    )
    with pytest.raises(
        JobKindNotAllowed, match="allows psi in cardinality mode only, not intersection"
    ):
        check_psi_request(
            contract, kind=JobKind.PSI, reveal=PsiRevealMode.INTERSECTION, partner_set_size=500
        )
    with pytest.raises(PsiSetTooSmall) as caught:
        check_psi_request(
            contract, kind=JobKind.PSI, reveal=PsiRevealMode.CARDINALITY, partner_set_size=99
        )
    assert caught.value.message == (
        "contract c-12 v1 needs a partner set of at least 100 identifiers, got 99: "
        "submit a larger set"
    )


PSI_RULES_END = "    min_intersection_size: 10\n    max_runs: 20\n  psi_sum"


def with_psi_cap(example_text: str, cap: int) -> str:
    capped = f"    min_intersection_size: 10\n    max_partner_set_size: {cap}\n    max_runs: 20\n"
    return example_text.replace(PSI_RULES_END, capped + "  psi_sum")


def test_a_partner_set_above_the_cap_is_refused_before_any_protocol(example_text: str) -> None:
    contract = load_contract(with_psi_cap(example_text, 5000))
    check_psi_request(
        contract, kind=JobKind.PSI, reveal=PsiRevealMode.CARDINALITY, partner_set_size=5000
    )
    with pytest.raises(PsiSetTooLarge, match="at most 5,000 partner identifiers per run, got"):
        check_psi_request(
            contract, kind=JobKind.PSI, reveal=PsiRevealMode.CARDINALITY, partner_set_size=5001
        )
    # The default cap, on the psi_sum rules the text left alone.
    with pytest.raises(PsiSetTooLarge, match="got 10,000,000: split the list"):
        check_psi_request(contract, kind=JobKind.PSI_SUM, partner_set_size=10_000_000)


def test_a_cap_below_the_minimum_is_a_contract_no_run_could_pass(example_text: str) -> None:
    text = with_psi_cap(example_text, 50)
    with pytest.raises(ContractInvalid, match="cap of 50 partner identifiers is below"):
        load_contract(text)
    with pytest.raises(ContractInvalid, match="max_partner_set_size"):
        load_contract(text.replace("max_partner_set_size: 50", "max_partner_set_size: 3000000"))


def test_small_intersection_is_withheld_without_stating_its_size(example: Contract) -> None:
    check_intersection_size(example, kind=JobKind.PSI_SUM, intersection_size=10)
    with pytest.raises(PsiSetTooSmall) as caught:
        check_intersection_size(example, kind=JobKind.PSI_SUM, intersection_size=3)
    assert "3" not in caught.value.message
    assert "smaller than the 10 members" in caught.value.message


@pytest.mark.parametrize(
    ("column", "policy"),
    [
        ("customers.segment", ColumnPolicy.FREE),
        ("customers.spend_cny", ColumnPolicy.FREE),
        ("customers.birth_date", ColumnPolicy.AGGREGATE_ONLY),
    ],
)
def test_columns_that_may_appear_in_outputs(
    example: Contract, column: str, policy: ColumnPolicy
) -> None:
    assert column_output_policy(example, column) is policy


@pytest.mark.parametrize(
    ("column", "reason"),
    [
        ("customers.mobile", "column customers.mobile is join_only in contract c-12 v1"),
        ("customers.id_number", "column customers.id_number is forbidden in outputs"),
        ("customers.shoe_size", "contract c-12 v1 names no column customers.shoe_size"),
    ],
)
def test_columns_that_may_not_appear_in_outputs(
    example: Contract, column: str, reason: str
) -> None:
    with pytest.raises(ColumnNotAllowed, match=reason):
        column_output_policy(example, column)


def test_output_columns_are_checked_against_the_declared_schema(example: Contract) -> None:
    check_output_columns(example, ["segment", "customers", "mean_spend_cny"])
    with pytest.raises(
        ColumnNotAllowed, match=r"output column mobile repeats input column customers\.mobile"
    ):
        check_output_columns(example, ["segment", "customers", "mean_spend_cny", "mobile"])
    with pytest.raises(ColumnNotAllowed, match="output column spend is not in the output schema"):
        check_output_columns(example, ["segment", "customers", "mean_spend_cny", "spend"])
    with pytest.raises(ColumnNotAllowed, match=r"lacks column\(s\) mean_spend_cny"):
        check_output_columns(example, ["segment", "customers"])


def test_review_quorum_excludes_the_submitter(example: Contract) -> None:
    quorum = who_must_review(example, OutputClass.TABLE, submitter="alice")
    assert (quorum.reviewers, quorum.required) == (("acme-cn", "platform"), 2)
    psi = who_must_review(example, OutputClass.PSI_CARDINALITY, submitter="globex-uk")
    assert (psi.reviewers, psi.required) == (("acme-cn", "platform"), 1)


def test_owner_submitting_its_own_job_makes_a_two_of_two_quorum_impossible(
    example_text: str,
) -> None:
    text = example_text.replace(
        "    roles: [owner, reviewer]", "    roles: [owner, reviewer, scientist]"
    )
    contract = load_contract(text)
    with pytest.raises(SelfReviewForbidden) as caught:
        who_must_review(contract, OutputClass.TABLE, submitter="acme-cn")
    assert caught.value.message == (
        "acme-cn may not review its own job, and without it the table quorum of contract "
        "c-12 v1 has 1 of the 2 reviewers it needs: ask another party to submit the job, or "
        "ask the owner to propose a new version with more reviewers"
    )
    # One of two is enough for PSI cardinality: the platform reviews alone.
    quorum = who_must_review(contract, OutputClass.PSI_CARDINALITY, submitter="acme-cn")
    assert quorum.reviewers == ("platform",)


def test_a_reviewer_never_votes_on_its_own_job(example_text: str) -> None:
    text = example_text.replace(
        "    roles: [owner, reviewer]", "    roles: [owner, reviewer, scientist]"
    )
    contract = load_contract(text)
    with pytest.raises(
        SelfReviewForbidden, match="acme-cn submitted this job and may not review it"
    ):
        check_reviewer(
            contract, OutputClass.PSI_CARDINALITY, reviewer="acme-cn", submitter="acme-cn"
        )
    check_reviewer(contract, OutputClass.PSI_CARDINALITY, reviewer="platform", submitter="acme-cn")
    with pytest.raises(RoleNotGranted, match="alice is not a reviewer of table outputs"):
        check_reviewer(contract, OutputClass.TABLE, reviewer="alice", submitter="globex-uk")


def test_only_recipients_receive_results(example: Contract, active: Status) -> None:
    check_may_receive(example, active, party="globex-uk", now=NOW)
    with pytest.raises(RoleNotGranted) as caught:
        check_may_receive(example, active, party="alice", now=NOW)
    assert caught.value.message == (
        "alice is not a recipient of contract c-12 v1; its results go to globex-uk only: "
        "ask the owner to add the party as a recipient in a new version"
    )


def test_jobs_run_only_in_the_contract_jurisdiction_on_labelled_nodes(example: Contract) -> None:
    check_may_run_on(
        example, jurisdiction="CN", labels={"sealroom.io/region": "cn-east-2", "x": "y"}
    )
    with pytest.raises(PlacementNotAllowed, match="may run only in CN, not in SG"):
        check_may_run_on(example, jurisdiction="SG", labels={"sealroom.io/region": "cn-east-2"})
    with pytest.raises(
        PlacementNotAllowed, match=r"need a node labelled sealroom\.io/region=cn-east-2"
    ):
        check_may_run_on(example, jurisdiction="CN", labels={"sealroom.io/region": "cn-north-1"})


def test_debug_masking_is_as_listed_or_by_classification(example: Contract) -> None:
    assert masking_for(example, "customers.name").method == MaskingMethod.FAKE.value
    assert masking_for(example, "customers.segment").method == MaskingMethod.KEEP.value
    # Not listed in the example: falls back to its classification's default.
    contract = example.model_copy(
        update={"debug_sample": example.debug_sample.model_copy(update={"masking": {}})}
    )
    assert masking_for(contract, "customers.id_number").method == MaskingMethod.REDACT.value
    assert masking_for(contract, "customers.mobile").method == MaskingMethod.SALTED_HASH.value
    assert masking_for(contract, "customers.birth_date").method == MaskingMethod.FAKE.value


def test_check_active_passes_an_active_contract(example: Contract, active: Status) -> None:
    check_active(example, active, NOW)
