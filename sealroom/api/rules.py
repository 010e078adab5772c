"""Authorisation rules: every route of the API declares exactly one.

A rule names the token scope it needs and the relation the acting party must
have to what the request touches (the contract in the path, the owner in the
query, ...). Roles are granted per contract, never globally, so the contract
rules read the roles from the latest version of that contract; a person acts
for itself or for its organisation, as in the service layer.

The authorisation-matrix test (``tests/api/test_authorisation_matrix.py``)
walks the route table and holds, for every rule ``name``, which of the
standard roles must be let through; a rule it does not know fails it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from contracts import Contract, OutputClass, Role, who_must_review
from sealroom.errors import NotFound, PermissionDenied
from sealroom.service.actors import Actor
from sealroom.service.context import Sealroom
from sealroom.service.contracts import list_contracts, show_contract
from sealroom.service.datasets import show_dataset
from sealroom.service.duties import may_review
from sealroom.service.tokens import Principal
from sealroom.store.job_records import JobRecord

Params = Mapping[str, str]


def roles_in(contract: Contract, actor: Actor) -> set[Role]:
    roles: set[Role] = set()
    for name in actor.parties:
        party = contract.party(name)
        if party is not None:
            roles.update(party.roles)
    return roles


def counterparties(room: Sealroom, actor: Actor) -> set[str] | None:
    """The parties ``actor`` may see: itself, its organisation, and the parties of the
    contracts it has a role in. ``None``: the administrator sees every party."""
    if actor.is_admin:
        return None
    seen = set(actor.parties)
    for view in list_contracts(room):
        if roles_in(view.contract, actor):
            seen.update(party.name for party in view.contract.parties)
    return seen


def visible_contracts(room: Sealroom, actor: Actor) -> set[str] | None:
    """The contracts ``actor`` has a role in; ``None`` for the administrator (all)."""
    if actor.is_admin:
        return None
    return {view.contract.id for view in list_contracts(room) if roles_in(view.contract, actor)}


def _need_scope(principal: Principal, scope: str) -> None:
    if not principal.has_scope(scope):
        raise PermissionDenied(
            f"API token {principal.token_id} of {principal.actor.name} lacks the {scope!r} "
            f"scope this request needs: ask the administrator for a token with it"
        )


@dataclass(frozen=True)
class Public:
    """No token: health checks and the OpenAPI document."""

    name: str = "public"
    scope: str | None = None

    def check(self, room: Sealroom, principal: Principal, params: Params) -> None:
        return None


@dataclass(frozen=True)
class Authenticated:
    """Any valid token, whatever its scopes (who am I?)."""

    name: str = "authenticated"
    scope: str | None = None

    def check(self, room: Sealroom, principal: Principal, params: Params) -> None:
        return None


@dataclass(frozen=True)
class AnyParty:
    """Any party holding a valid token with ``scope``."""

    scope: str

    @property
    def name(self) -> str:
        return f"any-party:{self.scope}"

    def check(self, room: Sealroom, principal: Principal, params: Params) -> None:
        _need_scope(principal, self.scope)


@dataclass(frozen=True)
class Auditor:
    """A token with an audit scope; ``whole_log`` only with ``audit:all`` (or the admin's).

    The export is the whole log, every contract's: a party auditing its own
    contracts reads their timeline instead.
    """

    whole_log: bool = False
    scope: str | None = "audit"

    @property
    def name(self) -> str:
        return "auditor:whole-log" if self.whole_log else "auditor"

    def check(self, room: Sealroom, principal: Principal, params: Params) -> None:
        _need_scope(principal, "audit")
        if self.whole_log and not principal.audits_everything:
            raise PermissionDenied(
                f"API token {principal.token_id} reads the history of some contracts, not the "
                "whole log: read them with `sealroom audit show --contract ID`, or ask the "
                "administrator for a token with the audit:all scope"
            )


@dataclass(frozen=True)
class Proposer:
    """A party the proposed document names as owner or platform.

    The document is in the body, so the rule checks the scope here and the service
    checks the role once it has read the document (``propose_contract``).
    """

    name: str = "proposer:write"
    scope: str | None = "write"

    def check(self, room: Sealroom, principal: Principal, params: Params) -> None:
        _need_scope(principal, "write")


@dataclass(frozen=True)
class AdminOnly:
    """The system administrator, with an admin-scoped token."""

    name: str = "admin"
    scope: str | None = "admin"

    def check(self, room: Sealroom, principal: Principal, params: Params) -> None:
        _need_scope(principal, "admin")
        if not principal.actor.is_admin:
            raise PermissionDenied(
                f"{principal.actor.name} may not do this: only the system administrator "
                "manages parties and tokens"
            )


@dataclass(frozen=True)
class ContractRole:
    """A party the contract in the path names in one of ``roles`` (any role if empty)."""

    scope: str
    roles: tuple[Role, ...] = ()
    param: str = "contract_id"

    @property
    def name(self) -> str:
        held = ",".join(r.value for r in self.roles) or "any"
        return f"contract-role:{held}:{self.scope}"

    def check(self, room: Sealroom, principal: Principal, params: Params) -> None:
        _need_scope(principal, self.scope)
        contract = show_contract(room, params[self.param]).contract
        held = roles_in(contract, principal.actor)
        if held and (not self.roles or held.intersection(self.roles)):
            return
        wanted = " or ".join(r.value for r in self.roles) or "party"
        raise PermissionDenied(
            f"{principal.actor.name} is no {wanted} of {contract.ref}: only the parties the "
            "contract names in that role may do this"
        )


@dataclass(frozen=True)
class JobRef:
    job_id: str
    contract_id: str
    contract_version: int
    submitter: str
    state: str


def find_job(room: Sealroom, job_id: str) -> JobRef:
    with room.sessions() as session:
        rec = session.get(JobRecord, job_id)
        if rec is None:
            raise NotFound("job", job_id, "list the jobs of a contract with `sealroom job list`")
        return JobRef(rec.job_id, rec.contract_id, rec.contract_version, rec.submitter, rec.state)


def _hide_from_stranger(held: set[Role], actor: Actor, job: JobRef) -> None:
    """A party with no part in the job's contract learns nothing of the job, not even
    that it exists: it gets the very answer a job id that was never issued gets."""
    if not held and not actor.speaks_for(job.submitter) and not actor.is_admin:
        raise NotFound("job", job.job_id, "list the jobs of a contract with `sealroom job list`")


@dataclass(frozen=True)
class JobRole:
    """A party the contract of the job in the path names in one of ``roles``.

    The service narrows further where it must (only the submitter cancels or sees
    debug outputs; only a recipient downloads a result).
    """

    scope: str
    roles: tuple[Role, ...]
    param: str = "job_id"
    # The party that submitted the job follows it whatever its role: a partner
    # watches its own PSI run before fetching the released result.
    or_submitter: bool = False

    @property
    def name(self) -> str:
        submitter = "+submitter" if self.or_submitter else ""
        return f"job-role:{','.join(r.value for r in self.roles)}{submitter}:{self.scope}"

    def check(self, room: Sealroom, principal: Principal, params: Params) -> None:
        _need_scope(principal, self.scope)
        job = find_job(room, params[self.param])
        contract = show_contract(room, job.contract_id, job.contract_version).contract
        held = roles_in(contract, principal.actor)
        if held.intersection(self.roles):
            return
        if self.or_submitter and principal.actor.speaks_for(job.submitter):
            return
        _hide_from_stranger(held, principal.actor, job)
        wanted = " or ".join(r.value for r in self.roles)
        if self.or_submitter:
            wanted += " or the submitter"
        raise PermissionDenied(
            f"{principal.actor.name} is no {wanted} of {contract.ref}, under which job "
            f"{params[self.param]} runs: only those parties may do this"
        )


@dataclass(frozen=True)
class OnReviewQuorum:
    """A party on the review quorum: of the job in the path, or of the contract in it.

    The quorum, not the reviewer role, decides: a contract may name reviewers who
    review only some output classes, and a submitter never reviews its own job.
    """

    scope: str
    param: str = "job_id"

    @property
    def name(self) -> str:
        return f"review-quorum:{'job' if self.param == 'job_id' else 'contract'}:{self.scope}"

    def check(self, room: Sealroom, principal: Principal, params: Params) -> None:
        _need_scope(principal, self.scope)
        if self.param == "job_id":
            job = find_job(room, params[self.param])
            contract = show_contract(room, job.contract_id, job.contract_version).contract
            _hide_from_stranger(roles_in(contract, principal.actor), principal.actor, job)
            submitter, subject = job.submitter, f"job {job.job_id}"
        else:
            contract = show_contract(room, params[self.param]).contract
            submitter, subject = "", contract.ref
        if may_review(principal.actor, contract, submitter or None):
            return
        quorum = who_must_review(contract, OutputClass.TABLE, submitter=submitter)
        raise PermissionDenied(
            f"{principal.actor.name} is not on the review quorum of {subject} "
            f"({', '.join(quorum.reviewers)}), or wrote or submitted what it decides: only "
            "the others review it"
        )


@dataclass(frozen=True)
class DatasetReader:
    """The dataset's owner, the administrator, or a party of a contract naming it."""

    scope: str = "read"
    param: str = "name"

    @property
    def name(self) -> str:
        return f"dataset-reader:{self.scope}"

    def check(self, room: Sealroom, principal: Principal, params: Params) -> None:
        _need_scope(principal, self.scope)
        view = show_dataset(room, params[self.param])
        if not may_see_dataset(room, principal.actor, view.name, view.owner):
            raise PermissionDenied(
                f"{principal.actor.name} may not see dataset {view.name}: only its owner and "
                "the parties of a contract that names it may"
            )


def may_see_dataset(room: Sealroom, actor: Actor, name: str, owner: str) -> bool:
    if actor.is_admin or actor.speaks_for(owner):
        return True
    return any(
        view.contract.dataset(name) is not None and roles_in(view.contract, actor)
        for view in list_contracts(room)
    )


@dataclass(frozen=True)
class ActsForOwner:
    """A party acting for the owner named in the query (or the administrator)."""

    scope: str = "write"
    param: str = "owner"

    @property
    def name(self) -> str:
        return f"acts-for-owner:{self.scope}"

    def check(self, room: Sealroom, principal: Principal, params: Params) -> None:
        _need_scope(principal, self.scope)
        owner = params.get(self.param, "")
        if principal.actor.is_admin or principal.actor.speaks_for(owner):
            return
        raise PermissionDenied(
            f"{principal.actor.name} does not act for {owner or 'the named owner'} and may not "
            "register its data: act as the owner or one of its people"
        )


Rule = (
    Public
    | Authenticated
    | AnyParty
    | Auditor
    | Proposer
    | AdminOnly
    | ContractRole
    | DatasetReader
    | ActsForOwner
    | JobRole
    | OnReviewQuorum
)
