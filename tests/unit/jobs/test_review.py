"""Review quorum: dual authorisation, no self-review, one vote each."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contracts import (
    Contract,
    ContractError,
    JobKind,
    OutputClass,
    PsiRevealMode,
    RoleNotGranted,
    SelfReviewForbidden,
)
from jobs.errors import AlreadyVoted, ReasonRequired, ReviewClosed, ReviewRefused
from jobs.review import Decision, Review, Vote, cast, open_review, output_class_for
from jobs.states import JobEvent

from .conftest import NOW, load_example


def approve(reviewer: str) -> Vote:
    return Vote(reviewer, Decision.APPROVE, NOW)


def test_owner_and_platform_together_release_the_output(contract: Contract) -> None:
    review = open_review(contract, "j-1", "alice")
    assert review.quorum.reviewers == ("acme-cn", "platform")
    review = cast(contract, review, approve("acme-cn"))
    assert review.outcome is None
    assert review.waiting_for == ("platform",)
    review = cast(contract, review, approve("platform"))
    assert review.outcome is JobEvent.QUORUM_REACHED
    assert [v.reviewer for v in review.approvals] == ["acme-cn", "platform"]


def test_the_owner_alone_cannot_release(contract: Contract) -> None:
    review = cast(contract, open_review(contract, "j-1", "alice"), approve("acme-cn"))
    assert review.outcome is not JobEvent.QUORUM_REACHED


def test_one_reject_withholds_the_output_even_after_an_approval(contract: Contract) -> None:
    review = cast(contract, open_review(contract, "j-1", "alice"), approve("acme-cn"))
    review = cast(
        contract, review, Vote("platform", Decision.REJECT, NOW, "city x segment is too fine")
    )
    assert review.outcome is JobEvent.REVIEWER_REJECTED


def test_return_for_changes_sends_the_job_back(contract: Contract) -> None:
    vote = Vote("acme-cn", Decision.RETURN_FOR_CHANGES, NOW, "round the means to 2 decimals")
    review = cast(contract, open_review(contract, "j-1", "alice"), vote)
    assert review.outcome is JobEvent.RETURNED_FOR_CHANGES


def test_a_reject_needs_a_reason(contract: Contract) -> None:
    review = open_review(contract, "j-1", "alice")
    with pytest.raises(ReasonRequired, match="To reject job j-1 give a reason"):
        cast(contract, review, Vote("acme-cn", Decision.REJECT, NOW, "  "))


def test_a_reviewer_cannot_vote_twice(contract: Contract) -> None:
    review = cast(contract, open_review(contract, "j-1", "alice"), approve("acme-cn"))
    with pytest.raises(AlreadyVoted, match="acme-cn has already voted on job j-1"):
        cast(contract, review, approve("acme-cn"))


def test_no_vote_counts_after_the_decision(contract: Contract) -> None:
    vote = Vote("acme-cn", Decision.REJECT, NOW, "names a single store manager")
    review = cast(contract, open_review(contract, "j-1", "alice"), vote)
    with pytest.raises(ReviewClosed, match="already decided \\(reviewer_rejected\\)"):
        cast(contract, review, approve("platform"))


def test_the_partner_is_not_a_reviewer(contract: Contract) -> None:
    review = open_review(contract, "j-1", "alice")
    with pytest.raises(RoleNotGranted, match="globex-uk is not a reviewer"):
        cast(contract, review, approve("globex-uk"))


def test_a_reviewer_who_submitted_the_job_cannot_review_it() -> None:
    # The owner is also a scientist here and submits its own job: with a 1-of-2
    # quorum the platform alone may release it, but the owner's vote is refused.
    two_of_two = "    reviewers: [acme-cn, platform]\n    required: 2"
    owner_submits = load_example(
        ("    roles: [owner, reviewer]", "    roles: [owner, reviewer, scientist]"),
        (two_of_two, two_of_two.replace("required: 2", "required: 1")),
    )
    review = open_review(owner_submits, "j-9", "acme-cn")
    assert review.quorum.reviewers == ("platform",)
    with pytest.raises(SelfReviewForbidden, match="acme-cn submitted this job"):
        cast(owner_submits, review, approve("acme-cn"))
    review = cast(owner_submits, review, approve("platform"))
    assert review.outcome is JobEvent.QUORUM_REACHED


def test_a_quorum_that_needs_the_submitter_refuses_before_the_run() -> None:
    owner_submits = load_example(
        ("    roles: [owner, reviewer]", "    roles: [owner, reviewer, scientist]")
    )
    with pytest.raises(SelfReviewForbidden, match="has 1 of the 2 reviewers it needs"):
        open_review(owner_submits, "j-9", "acme-cn")


def test_the_quorum_follows_the_output_class(contract: Contract) -> None:
    review = open_review(contract, "j-5", "globex-uk", OutputClass.PSI_CARDINALITY)
    assert review.quorum.required == 1
    review = cast(contract, review, approve("platform"))
    assert review.outcome is JobEvent.QUORUM_REACHED


def test_reviews_are_immutable_values() -> None:
    contract = load_example()
    empty = open_review(contract, "j-1", "alice")
    cast(contract, empty, approve("acme-cn"))
    assert empty.votes == ()
    assert isinstance(empty, Review)


VOTERS = ("acme-cn", "platform", "alice", "globex-uk", "mallory")


@settings(max_examples=300, deadline=None)
@given(
    votes=st.lists(
        st.tuples(st.sampled_from(VOTERS), st.sampled_from(list(Decision)), st.booleans()),
        max_size=8,
    )
)
def test_only_distinct_eligible_approvals_ever_reach_the_quorum(
    votes: list[tuple[str, Decision, bool]],
) -> None:
    contract = load_example()
    review = open_review(contract, "j-h", "alice")
    for reviewer, decision, with_reason in votes:
        vote = Vote(reviewer, decision, NOW, "too fine-grained" if with_reason else "")
        try:
            review = cast(contract, review, vote)
        except (ContractError, ReviewRefused):
            continue
    voters = [v.reviewer for v in review.votes]
    assert len(voters) == len(set(voters))
    assert set(voters) <= {"acme-cn", "platform"}
    if review.outcome is JobEvent.QUORUM_REACHED:
        assert {v.reviewer for v in review.approvals} == {"acme-cn", "platform"}
        assert all(v.decision is Decision.APPROVE for v in review.votes)


def test_each_job_kind_is_reviewed_under_its_output_class() -> None:
    assert output_class_for(JobKind.SCRIPT) is OutputClass.TABLE
    assert output_class_for(JobKind.PSI, PsiRevealMode.CARDINALITY) is OutputClass.PSI_CARDINALITY
    assert output_class_for(JobKind.PSI, PsiRevealMode.INTERSECTION) is (
        OutputClass.PSI_INTERSECTION
    )
    assert output_class_for(JobKind.PSI) is OutputClass.PSI_INTERSECTION
    assert output_class_for(JobKind.PSI_SUM) is OutputClass.AGGREGATE
    assert output_class_for(JobKind.HE_AGGREGATE) is OutputClass.AGGREGATE
