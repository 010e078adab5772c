"""Policy evaluation: pure questions a gate asks of a contract.

Each function takes the contract, whatever state it needs (its ``Status``, the
``now`` of the question, counts of runs used) and either returns or raises a
typed ``ContractError`` whose message says what to do next. Nothing here reads
a clock, a database or a file.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from contracts.datasets import ColumnPolicy
from contracts.errors import (
    ColumnNotAllowed,
    ContractExpired,
    ContractNotActive,
    ContractNotYetValid,
    ContractRevoked,
    JobKindNotAllowed,
    PlacementNotAllowed,
    PsiSetTooLarge,
    PsiSetTooSmall,
    QuotaExhausted,
    RoleNotGranted,
    SelfReviewForbidden,
)
from contracts.job_kinds import (
    JobKind,
    KindRules,
    PsiRevealMode,
    PsiRules,
    PsiSumRules,
    ScriptRules,
)
from contracts.lifecycle import State, Status, effective_state
from contracts.masking import Masking, default_masking
from contracts.model import Contract
from contracts.parties import Role
from contracts.review import OutputClass

_NEW_VERSION = "ask the owner to propose a new version"


class RunMode(StrEnum):
    REAL = "real"  # full data; outputs go through checks and review
    DEBUG = "debug"  # masked sample; outputs come straight back to the scientist


def check_active(contract: Contract, status: Status, now: dt.datetime) -> None:
    """Return if the contract is in force at ``now``; otherwise say why not."""
    ref = contract.ref
    state = effective_state(contract, status, now)
    if state is State.REVOKED:
        when = f" on {status.revoked_at.date()}" if status.revoked_at else ""
        raise ContractRevoked(
            f"{ref} was revoked by {status.revoked_by}{when}, so nothing may run under it: "
            f"{_NEW_VERSION}"
        )
    if state is State.EXPIRED:
        raise ContractExpired(f"{ref} expired on {contract.validity.end}: {_NEW_VERSION}")
    if state is not State.ACTIVE:
        waiting = _waiting_for(contract, status)
        raise ContractNotActive(f"{ref} is {state.value}, not active: {waiting}")
    if not contract.validity.has_started(now):
        raise ContractNotYetValid(
            f"{ref} is valid from {contract.validity.start} "
            f"({contract.validity.timezone}): try again on or after that date"
        )


def _waiting_for(contract: Contract, status: Status) -> str:
    if status.state is State.DRAFT:
        return "it must first be proposed by the owner or the platform"
    if status.state is State.PROPOSED:
        missing = [p for p in contract.required_approvers() if p not in status.approvals]
        return f"waiting for approval by {', '.join(missing)}"
    missing = [p for p in contract.holders(Role.RECIPIENT) if p not in status.acceptances]
    return f"waiting for acceptance by {', '.join(missing)}"


def check_may_submit(
    contract: Contract,
    status: Status,
    *,
    party: str,
    kind: JobKind,
    now: dt.datetime,
    runs_used: Mapping[JobKind, int],
    mode: RunMode = RunMode.REAL,
) -> KindRules:
    """May ``party`` submit a ``kind`` job in ``mode`` now? Returns the kind's rules.

    ``runs_used`` counts the runs of this ``mode`` already made under this
    contract version, per kind.
    """
    check_active(contract, status, now)
    ref = contract.ref
    rules = contract.job_kinds.rules_for(kind)
    if rules is None:
        allowed = ", ".join(k.value for k in contract.job_kinds.allowed())
        raise JobKindNotAllowed(
            f"{ref} does not allow {kind.value} jobs (it allows {allowed}): "
            f"{_NEW_VERSION} that allows them"
        )
    holder = contract.party(party)
    roles = set(holder.roles) if holder else set()
    if not roles & set(rules.submitters):
        by = " or ".join(r.value for r in rules.submitters)
        raise RoleNotGranted(
            f"{party} may not submit {kind.value} jobs under {ref}: only a {by} may; "
            "ask a party in that role to submit it"
        )
    if mode is RunMode.DEBUG and not isinstance(rules, ScriptRules):
        raise JobKindNotAllowed(
            f"{kind.value} jobs have no debug mode under {ref}: submit a real run"
        )
    limit = (
        rules.max_debug_runs
        if mode is RunMode.DEBUG and isinstance(rules, ScriptRules)
        else rules.max_runs
    )
    used = runs_used.get(kind, 0)
    if limit is not None and used >= limit:
        raise QuotaExhausted(
            f"{ref} allows {limit} {mode.value} {kind.value} runs and {used} are used: "
            f"{_NEW_VERSION} with a larger quota"
        )
    return rules


def check_psi_request(
    contract: Contract,
    *,
    kind: JobKind,
    partner_set_size: int,
    reveal: PsiRevealMode | None = None,
) -> PsiRules | PsiSumRules:
    """Is this PSI request within the contract: reveal mode and the partner's set size?"""
    ref = contract.ref
    rules = contract.job_kinds.rules_for(kind)
    if not isinstance(rules, PsiRules | PsiSumRules):
        raise JobKindNotAllowed(f"{ref} does not allow {kind.value} jobs: {_NEW_VERSION}")
    if isinstance(rules, PsiRules):
        if reveal is None:
            raise JobKindNotAllowed(f"a psi job under {ref} must name its reveal mode")
        if reveal not in rules.reveal:
            allowed = ", ".join(m.value for m in rules.reveal)
            raise JobKindNotAllowed(
                f"{ref} allows psi in {allowed} mode only, not {reveal.value}: "
                "ask for an allowed mode"
            )
    if partner_set_size > rules.max_partner_set_size:
        raise PsiSetTooLarge(
            f"{ref} takes at most {rules.max_partner_set_size:,} partner identifiers per run, "
            f"got {partner_set_size:,}: split the list into runs (each counts against the "
            "quota) or ask the owner for a contract with a higher cap"
        )
    # A tiny partner set turns PSI into a question about single people.
    if partner_set_size < rules.min_partner_set_size:
        raise PsiSetTooSmall(
            f"{ref} needs a partner set of at least {rules.min_partner_set_size} identifiers, "
            f"got {partner_set_size}: submit a larger set"
        )
    return rules


def check_intersection_size(contract: Contract, *, kind: JobKind, intersection_size: int) -> None:
    """Withhold a PSI result whose intersection is below the contract's minimum.

    The message does not repeat the size: it is the very thing being withheld.
    """
    rules = contract.job_kinds.rules_for(kind)
    if not isinstance(rules, PsiRules | PsiSumRules):
        raise JobKindNotAllowed(f"{contract.ref} does not allow {kind.value} jobs: {_NEW_VERSION}")
    if intersection_size < rules.min_intersection_size:
        raise PsiSetTooSmall(
            f"the intersection is smaller than the {rules.min_intersection_size} members "
            f"{contract.ref} requires, so the result is withheld: nothing to release"
        )


def column_output_policy(contract: Contract, column: str) -> ColumnPolicy:
    """How input column ``dataset.column`` may appear in an output: free or aggregated.

    Raises ``ColumnNotAllowed`` when it may not appear at all.
    """
    ref = contract.ref
    found = contract.column(column)
    if found is None:
        raise ColumnNotAllowed(
            f"{ref} names no column {column}: outputs may only use columns of its datasets"
        )
    if column in contract.output.forbidden_columns:
        raise ColumnNotAllowed(
            f"column {column} is forbidden in outputs by {ref}: remove it from the output"
        )
    if found.policy in (ColumnPolicy.JOIN_ONLY, ColumnPolicy.NEVER_OUTPUT):
        raise ColumnNotAllowed(
            f"column {column} is {found.policy.value} in {ref} and may not appear in any "
            "output: remove it from the output"
        )
    return found.policy


def check_output_columns(contract: Contract, names: Iterable[str]) -> None:
    """Check an output's column names against the contract.

    Names that repeat an input column which may not be output are refused (the
    cheap catch for ``df[["mobile", ...]].to_parquet``); with a declared output
    schema, undeclared columns and missing required ones are refused too.
    """
    ref = contract.ref
    names = list(names)
    schema = contract.output.output_schema
    declared = {c.name for c in schema} if schema is not None else set()
    for name in names:
        if name in declared:
            continue
        for dataset in contract.datasets:
            source = dataset.column(name)
            qualified = f"{dataset.name}.{name}"
            if source is not None and (
                source.policy in (ColumnPolicy.JOIN_ONLY, ColumnPolicy.NEVER_OUTPUT)
                or qualified in contract.output.forbidden_columns
            ):
                raise ColumnNotAllowed(
                    f"output column {name} repeats input column {qualified}, which may not "
                    f"appear in outputs under {ref}: remove or rename it to what it holds"
                )
        if schema is not None:
            raise ColumnNotAllowed(
                f"output column {name} is not in the output schema of {ref}: remove it, or "
                f"{_NEW_VERSION} that declares it"
            )
    if schema is not None:
        missing = [c.name for c in schema if c.required and c.name not in names]
        if missing:
            raise ColumnNotAllowed(
                f"the output lacks column(s) {', '.join(missing)} that the output schema of "
                f"{ref} requires: write them"
            )


@dataclass(frozen=True)
class ReviewQuorum:
    """``required`` approvals from ``reviewers`` release an output."""

    output_class: OutputClass
    reviewers: tuple[str, ...]
    required: int


def who_must_review(contract: Contract, output_class: OutputClass, submitter: str) -> ReviewQuorum:
    """The k-of-n quorum for ``output_class``, without the submitter and recipients.

    No party reviews its own job, and a recipient never counts towards releasing
    what it receives; if what is left cannot meet k, the job cannot be released
    and ``SelfReviewForbidden`` says so before it runs.
    """
    rule = contract.review.quorum_for(output_class)
    recipients = set(contract.holders(Role.RECIPIENT))
    eligible = tuple(
        r for r in dict.fromkeys(rule.reviewers) if r != submitter and r not in recipients
    )
    if len(eligible) < rule.required:
        raise SelfReviewForbidden(
            f"{submitter} may not review its own job, and without it the {output_class.value} "
            f"quorum of {contract.ref} has {len(eligible)} of the {rule.required} reviewers it "
            f"needs: ask another party to submit the job, or {_NEW_VERSION} with more reviewers"
        )
    return ReviewQuorum(output_class, eligible, rule.required)


def check_reviewer(
    contract: Contract, output_class: OutputClass, *, reviewer: str, submitter: str
) -> None:
    """May ``reviewer`` cast a vote on an output of a job ``submitter`` submitted?"""
    if reviewer == submitter:
        raise SelfReviewForbidden(
            f"{reviewer} submitted this job and may not review it under {contract.ref}: "
            "ask another reviewer"
        )
    quorum = who_must_review(contract, output_class, submitter)
    if reviewer not in quorum.reviewers:
        raise RoleNotGranted(
            f"{reviewer} is not a reviewer of {output_class.value} outputs under "
            f"{contract.ref}: the reviewers are {', '.join(quorum.reviewers)}"
        )


def check_may_receive(contract: Contract, status: Status, *, party: str, now: dt.datetime) -> None:
    """May ``party`` receive a released result under ``contract`` at ``now``?"""
    check_active(contract, status, now)
    if party not in contract.holders(Role.RECIPIENT):
        recipients = ", ".join(contract.holders(Role.RECIPIENT))
        raise RoleNotGranted(
            f"{party} is not a recipient of {contract.ref}; its results go to {recipients} "
            "only: ask the owner to add the party as a recipient in a new version"
        )


def check_may_run_on(contract: Contract, *, jurisdiction: str, labels: Mapping[str, str]) -> None:
    """May jobs of ``contract`` run on a node in ``jurisdiction`` carrying ``labels``?"""
    placement = contract.placement
    ref = contract.ref
    if jurisdiction not in placement.jurisdictions:
        raise PlacementNotAllowed(
            f"jobs of {ref} may run only in {', '.join(placement.jurisdictions)}, not in "
            f"{jurisdiction}: schedule them on a node there"
        )
    for key, value in placement.node_labels.items():
        if labels.get(key) != value:
            raise PlacementNotAllowed(
                f"jobs of {ref} need a node labelled {key}={value}: schedule them on one"
            )


def masking_for(contract: Contract, column: str) -> Masking:
    """How ``dataset.column`` is masked in debug samples: as listed, else by classification."""
    listed = contract.debug_sample.masking.get(column)
    if listed is not None:
        return listed
    found = contract.column(column)
    if found is None:
        raise ColumnNotAllowed(f"{contract.ref} names no column {column}")
    return default_masking(found.classification)
