"""The lifecycle: dual authorisation, acceptance by every recipient, the kill switch, expiry."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from contracts import (
    Action,
    ActionKind,
    Contract,
    ContractError,
    ContractExpired,
    ContractRevoked,
    IllegalTransition,
    Role,
    RoleNotGranted,
    State,
    Status,
    apply,
    effective_state,
    load_contract,
)
from contracts.lifecycle import transitions_from
from tests.unit.contracts.conftest import EXAMPLE, NOW

PROPOSE = Action(ActionKind.PROPOSE, "acme-cn", Role.OWNER)
OWNER_APPROVES = Action(ActionKind.APPROVE, "acme-cn", Role.OWNER)
PLATFORM_APPROVES = Action(ActionKind.APPROVE, "platform", Role.PLATFORM)
PARTNER_ACCEPTS = Action(ActionKind.ACCEPT, "globex-uk", Role.RECIPIENT)


def run(contract: Contract, *actions: Action, now: dt.datetime = NOW) -> Status:
    status = Status()
    for action in actions:
        status = apply(contract, status, action, now)
    return status


def test_owner_approval_alone_does_not_approve(example: Contract) -> None:
    status = run(example, PROPOSE, OWNER_APPROVES)
    assert status.state is State.PROPOSED
    assert status.approvals == {"acme-cn"}


def test_owner_and_platform_approval_in_either_order_approves(example: Contract) -> None:
    assert run(example, PROPOSE, OWNER_APPROVES, PLATFORM_APPROVES).state is State.APPROVED
    assert run(example, PROPOSE, PLATFORM_APPROVES, OWNER_APPROVES).state is State.APPROVED


def test_recipient_acceptance_activates(example: Contract) -> None:
    status = run(example, PROPOSE, OWNER_APPROVES, PLATFORM_APPROVES, PARTNER_ACCEPTS)
    assert status.state is State.ACTIVE


def test_partner_cannot_accept_before_both_approvals(example: Contract) -> None:
    status = run(example, PROPOSE, OWNER_APPROVES)
    with pytest.raises(IllegalTransition) as caught:
        apply(example, status, PARTNER_ACCEPTS, NOW)
    assert caught.value.message == (
        "contract c-12 v1 is proposed, and a recipient cannot accept it now: allowed now: "
        "approve by owner or platform; revoke by owner or platform or recipient"
    )


def test_approving_twice_does_not_count_twice(example: Contract) -> None:
    status = run(example, PROPOSE, OWNER_APPROVES)
    with pytest.raises(IllegalTransition, match="acme-cn has already approved contract c-12 v1"):
        apply(example, status, OWNER_APPROVES, NOW)


def test_scientist_cannot_approve(example: Contract) -> None:
    status = run(example, PROPOSE)
    with pytest.raises(IllegalTransition, match="a scientist cannot approve it now"):
        apply(example, status, Action(ActionKind.APPROVE, "alice", Role.SCIENTIST), NOW)


def test_party_cannot_claim_a_role_it_does_not_hold(example: Contract) -> None:
    status = run(example, PROPOSE)
    with pytest.raises(RoleNotGranted) as caught:
        apply(example, status, Action(ActionKind.APPROVE, "globex-uk", Role.PLATFORM), NOW)
    assert caught.value.message == (
        "globex-uk does not hold the platform role in contract c-12 v1, so it cannot approve "
        "it: act as a party the contract names in that role"
    )


@pytest.mark.parametrize(
    "revoker",
    [
        Action(ActionKind.REVOKE, "acme-cn", Role.OWNER),
        Action(ActionKind.REVOKE, "platform", Role.PLATFORM),
        Action(ActionKind.REVOKE, "globex-uk", Role.RECIPIENT),
    ],
)
def test_any_party_can_revoke_an_active_contract_at_once(
    example: Contract, revoker: Action
) -> None:
    status = run(example, PROPOSE, OWNER_APPROVES, PLATFORM_APPROVES, PARTNER_ACCEPTS, revoker)
    assert status.state is State.REVOKED
    assert status.revoked_by == revoker.party
    assert status.revoked_at == NOW


def test_nothing_leaves_revoked(example: Contract) -> None:
    status = run(example, PROPOSE, Action(ActionKind.REVOKE, "platform", Role.PLATFORM))
    with pytest.raises(ContractRevoked, match="contract c-12 v1 was revoked by platform"):
        apply(example, status, OWNER_APPROVES, NOW)


def test_contract_expires_by_the_clock_without_anyone_acting(example: Contract) -> None:
    status = run(example, PROPOSE, OWNER_APPROVES, PLATFORM_APPROVES, PARTNER_ACCEPTS)
    shanghai = dt.timezone(dt.timedelta(hours=8))
    last_moment = dt.datetime(2027, 12, 31, 23, 59, 59, tzinfo=shanghai)
    assert effective_state(example, status, last_moment) is State.ACTIVE
    assert effective_state(example, status, last_moment + dt.timedelta(seconds=1)) is State.EXPIRED
    # Midnight in Shanghai is 16:00 UTC: the window is read in the contract's zone.
    assert effective_state(example, status, dt.datetime(2027, 12, 31, 16, tzinfo=dt.UTC)) is (
        State.EXPIRED
    )


def test_expired_contract_cannot_be_approved(example: Contract) -> None:
    status = run(example, PROPOSE)
    later = dt.datetime(2028, 1, 5, tzinfo=dt.UTC)
    with pytest.raises(ContractExpired) as caught:
        apply(example, status, OWNER_APPROVES, later)
    assert caught.value.message == (
        "contract c-12 v1 expired on 2027-12-31: ask the owner to propose a new version"
    )


def test_naive_now_is_a_caller_bug(example: Contract) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        apply(example, Status(), PROPOSE, dt.datetime(2026, 6, 1))


def test_two_recipients_must_both_accept(example_text: str) -> None:
    text = example_text.replace(
        "  - name: alice\n",
        "  - name: initech-de\n    roles: [recipient]\n  - name: alice\n",
    )
    contract = load_contract(text)
    first = Action(ActionKind.ACCEPT, "initech-de", Role.RECIPIENT)
    status = run(contract, PROPOSE, OWNER_APPROVES, PLATFORM_APPROVES, first)
    assert status.state is State.APPROVED
    assert apply(contract, status, PARTNER_ACCEPTS, NOW).state is State.ACTIVE


# The machine, explored at random.

CONTRACT = load_contract(EXAMPLE.read_text(encoding="utf-8"))
RECIPIENTS = frozenset(CONTRACT.holders(Role.RECIPIENT))
APPROVERS = frozenset(CONTRACT.required_approvers())
# Every step some party could legitimately try, plus anything at all (wrong roles,
# strangers), so that runs do reach ``active`` and also probe every refusal.
PLAUSIBLE = [
    Action(kind, party.name, role)
    for party in CONTRACT.parties
    for role in party.roles
    for kind in ActionKind
]
ANY_ACTION = st.sampled_from(PLAUSIBLE) | st.builds(
    Action,
    kind=st.sampled_from(ActionKind),
    party=st.sampled_from([p.name for p in CONTRACT.parties] + ["mallory"]),
    role=st.sampled_from(Role),
)
# Mostly small steps inside the window, sometimes a leap past its end.
TIME_STEP = st.integers(0, 99).map(
    lambda n: dt.timedelta(days=800) if n == 0 else dt.timedelta(days=n // 5)
)
WINDOW_OPENS = dt.datetime(2025, 12, 31, 16, tzinfo=dt.UTC)  # 2026-01-01 in Shanghai


class Lifecycle(RuleBasedStateMachine):
    """Any sequence of actions, by anyone, in any role, at any time."""

    def __init__(self) -> None:
        super().__init__()
        self.status = Status()
        self.latest = WINDOW_OPENS - dt.timedelta(days=10)
        self.was_revoked = False
        self.was_expired = False

    @rule(data=st.data(), step=TIME_STEP)
    def move_forward(self, data: st.DataObject, step: dt.timedelta) -> None:
        """A step some party would take next: keeps runs heading towards ``active``."""
        state = effective_state(CONTRACT, self.status, self.latest)
        done = self.status.approvals | self.status.acceptances
        forward = [
            a
            for a in PLAUSIBLE
            if a.kind is not ActionKind.REVOKE
            and a.party not in done
            and any(t.action is a.kind and t.role is a.role for t in transitions_from(state))
        ]
        if forward:
            self.act(data.draw(st.sampled_from(forward)), step)

    @rule(action=ANY_ACTION, step=TIME_STEP)
    def try_anything(self, action: Action, step: dt.timedelta) -> None:
        self.act(action, step)

    def act(self, action: Action, step: dt.timedelta) -> None:
        self.latest += step  # time only moves forward
        when = self.latest
        before = self.status
        try:
            self.status = apply(CONTRACT, self.status, action, when)
        except ContractError:
            assert self.status == before  # a refused step changes nothing
        if self.status.state is State.ACTIVE and before.state is not State.ACTIVE:
            assert action.kind is ActionKind.ACCEPT
            event("reached active")
        if self.status.state is State.REVOKED and before.state is not State.REVOKED:
            event(f"revoked from {before.state.value}")

    @invariant()
    def active_needs_both_approvals_and_every_acceptance(self) -> None:
        if self.status.state in (State.APPROVED, State.ACTIVE):
            assert self.status.approvals >= APPROVERS
        if self.status.state is State.ACTIVE:
            assert self.status.acceptances >= RECIPIENTS

    @invariant()
    def revoked_and_expired_are_final(self) -> None:
        state = effective_state(CONTRACT, self.status, self.latest)
        if self.was_revoked:
            assert state is State.REVOKED
        if self.was_expired:
            assert state is State.EXPIRED
        self.was_revoked = self.was_revoked or state is State.REVOKED
        self.was_expired = self.was_expired or state is State.EXPIRED

    @invariant()
    def only_named_parties_are_recorded(self) -> None:
        assert self.status.approvals <= APPROVERS
        assert self.status.acceptances <= RECIPIENTS


TestLifecycle = Lifecycle.TestCase
TestLifecycle.settings = settings(max_examples=100, stateful_step_count=20, deadline=None)
