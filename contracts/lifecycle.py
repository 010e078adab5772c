"""The contract lifecycle: a table of allowed steps, and ``apply`` to take one.

    draft -> proposed -> approved (every owner AND the platform) -> active (every
    recipient accepted) -> expired | revoked

The table (``TRANSITIONS``) is the single source: ``apply`` looks steps up in it
and ``render_mermaid`` draws ``docs/contracts.md``'s diagram from it. Expiry is
not a step anyone takes: it is read from the validity window against the
``now`` passed in, so a contract past its end date is expired even if nobody
touched it. ``revoked`` and ``expired`` are final.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import TYPE_CHECKING

from contracts.errors import (
    ContractExpired,
    ContractRevoked,
    IllegalTransition,
    RoleNotGranted,
)
from contracts.parties import Role

if TYPE_CHECKING:
    from contracts.model import Contract


class State(StrEnum):
    DRAFT = "draft"  # being written; nobody has committed to anything
    PROPOSED = "proposed"  # frozen for approval; its hash is what gets signed
    APPROVED = "approved"  # every owner and the platform approved (dual authorisation)
    ACTIVE = "active"  # every recipient accepted: jobs may run
    EXPIRED = "expired"  # past the validity window (derived from the clock, final)
    REVOKED = "revoked"  # a party pulled the kill switch (final)


FINAL_STATES = frozenset({State.EXPIRED, State.REVOKED})


class ActionKind(StrEnum):
    PROPOSE = "propose"
    APPROVE = "approve"
    ACCEPT = "accept"
    REVOKE = "revoke"


class Completion(StrEnum):
    """A step that only moves on once everyone in a group has taken it."""

    ALL_APPROVED = "every owner and the platform approved"
    ALL_ACCEPTED = "every recipient accepted"


@dataclass(frozen=True)
class Transition:
    source: State
    action: ActionKind
    role: Role
    target: State
    # When set, the state moves to ``target`` only once the group is complete;
    # until then the step is recorded and the state stays at ``source``.
    completes: Completion | None = None


def _revocations() -> tuple[Transition, ...]:
    # The kill switch: any party with a stake can stop the contract at once.
    return tuple(
        Transition(source, ActionKind.REVOKE, role, State.REVOKED)
        for source in (State.DRAFT, State.PROPOSED, State.APPROVED, State.ACTIVE)
        for role in (Role.OWNER, Role.PLATFORM, Role.RECIPIENT)
    )


TRANSITIONS: tuple[Transition, ...] = (
    Transition(State.DRAFT, ActionKind.PROPOSE, Role.OWNER, State.PROPOSED),
    Transition(State.DRAFT, ActionKind.PROPOSE, Role.PLATFORM, State.PROPOSED),
    Transition(
        State.PROPOSED, ActionKind.APPROVE, Role.OWNER, State.APPROVED, Completion.ALL_APPROVED
    ),
    Transition(
        State.PROPOSED, ActionKind.APPROVE, Role.PLATFORM, State.APPROVED, Completion.ALL_APPROVED
    ),
    Transition(
        State.APPROVED, ActionKind.ACCEPT, Role.RECIPIENT, State.ACTIVE, Completion.ALL_ACCEPTED
    ),
    *_revocations(),
)

#: States that become ``expired`` once the validity window has ended.
EXPIRES_FROM = (State.DRAFT, State.PROPOSED, State.APPROVED, State.ACTIVE)


@dataclass(frozen=True)
class Action:
    """One party taking one step in one of its roles."""

    kind: ActionKind
    party: str
    role: Role


@dataclass(frozen=True)
class Status:
    """Everything the lifecycle knows about one contract version; pure data."""

    state: State = State.DRAFT
    approvals: frozenset[str] = field(default_factory=frozenset)
    acceptances: frozenset[str] = field(default_factory=frozenset)
    revoked_by: str | None = None
    revoked_at: dt.datetime | None = None


def effective_state(contract: Contract, status: Status, now: dt.datetime) -> State:
    """The state at ``now``: the recorded one, unless the validity window has ended."""
    if status.state is State.REVOKED:
        return State.REVOKED
    if contract.validity.has_ended(now):
        return State.EXPIRED
    return status.state


def transitions_from(state: State) -> tuple[Transition, ...]:
    return tuple(t for t in TRANSITIONS if t.source is state)


def apply(contract: Contract, status: Status, action: Action, now: dt.datetime) -> Status:
    """Take ``action`` on ``contract`` at ``now``, or raise why it cannot be taken."""
    ref = contract.ref
    party = contract.party(action.party)
    if party is None or action.role not in party.roles:
        raise RoleNotGranted(
            f"{action.party} does not hold the {action.role.value} role in {ref}, so it "
            f"cannot {action.kind.value} it: act as a party the contract names in that role"
        )
    state = effective_state(contract, status, now)
    if state is State.REVOKED:
        raise ContractRevoked(
            f"{ref} was revoked by {status.revoked_by}; nothing can change a revoked "
            "contract: ask the owner to propose a new version"
        )
    if state is State.EXPIRED:
        raise ContractExpired(
            f"{ref} expired on {contract.validity.end}: ask the owner to propose a new version"
        )
    step = next(
        (t for t in transitions_from(state) if t.action is action.kind and t.role is action.role),
        None,
    )
    if step is None:
        raise IllegalTransition(
            f"{ref} is {state.value}, and a {action.role.value} cannot {action.kind.value} "
            f"it now: {_allowed_text(state)}"
        )
    return _record(contract, status, step, action, now)


def _record(
    contract: Contract, status: Status, step: Transition, action: Action, now: dt.datetime
) -> Status:
    ref = contract.ref
    if step.action is ActionKind.REVOKE:
        return replace(status, state=State.REVOKED, revoked_by=action.party, revoked_at=now)
    if step.completes is Completion.ALL_APPROVED:
        if action.party in status.approvals:
            raise IllegalTransition(
                f"{action.party} has already approved {ref}: wait for the other approvals"
            )
        approvals = status.approvals | {action.party}
        done = set(contract.required_approvers()) <= approvals
        return replace(status, approvals=approvals, state=step.target if done else step.source)
    if step.completes is Completion.ALL_ACCEPTED:
        if action.party in status.acceptances:
            raise IllegalTransition(
                f"{action.party} has already accepted {ref}: wait for the other recipients"
            )
        acceptances = status.acceptances | {action.party}
        done = set(contract.holders(Role.RECIPIENT)) <= acceptances
        return replace(status, acceptances=acceptances, state=step.target if done else step.source)
    return replace(status, state=step.target)


def _allowed_text(state: State) -> str:
    steps = transitions_from(state)
    if not steps:
        return "no further steps are possible"
    grouped: dict[ActionKind, list[str]] = {}
    for t in steps:
        grouped.setdefault(t.action, []).append(t.role.value)
    return "allowed now: " + "; ".join(
        f"{action.value} by {' or '.join(roles)}" for action, roles in grouped.items()
    )


def render_mermaid() -> str:
    """The lifecycle as a Mermaid state diagram, drawn from ``TRANSITIONS``."""
    lines = ["stateDiagram-v2", f"    [*] --> {State.DRAFT.value}"]
    edges: dict[tuple[State, State, ActionKind, Completion | None], list[str]] = {}
    for t in TRANSITIONS:
        edges.setdefault((t.source, t.target, t.action, t.completes), []).append(t.role.value)
    for (source, target, action, completes), roles in edges.items():
        label = f"{action.value} by {' or '.join(roles)}"
        if completes is not None:
            label += f", once {completes.value}"
        lines.append(f"    {source.value} --> {target.value} : {label}")
    for source in EXPIRES_FROM:
        lines.append(f"    {source.value} --> {State.EXPIRED.value} : validity window ends")
    lines.extend(f"    {state.value} --> [*]" for state in sorted(FINAL_STATES))
    return "\n".join(lines) + "\n"
