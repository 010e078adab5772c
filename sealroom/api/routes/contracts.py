"""Contracts: propose, read, and record the lifecycle steps parties sign themselves.

A party signs its step on its own machine (``sealroom.client`` does it with the
party's key file) over the contract it downloaded; the server only verifies the
signature against the key pinned in the contract. The platform's own steps are
signed with the service's key when its staff ask for them.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request, Response
from starlette.concurrency import run_in_threadpool

from contracts import (
    ActionKind,
    Approval,
    Role,
    dump_signed_contract,
    signed_contract,
)
from sealroom.api.convert import contract_info
from sealroom.api.routing import CurrentPrincipal, Room, RouteTable
from sealroom.api.rules import AnyParty, ContractRole, Proposer, roles_in
from sealroom.client.models import ContractInfo, PlatformStep, SignedStep
from sealroom.errors import ConfigError
from sealroom.service.contracts import (
    list_contracts,
    propose_contract,
    record_step,
    show_contract,
    take_step,
)

SIGNING_ROLES = (Role.OWNER, Role.PLATFORM, Role.RECIPIENT)
YAML_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/yaml": {"schema": {"type": "string"}}},
    }
}
VersionQuery = Annotated[int | None, Query(ge=1, le=1_000_000)]


def add_routes(table: RouteTable) -> None:
    @table.route(
        "GET",
        "/v1/contracts",
        rule=AnyParty("read"),
        tag="contracts",
        summary="The contracts this party takes part in (latest version of each)",
        response_model=list[ContractInfo],
    )
    def contracts(room: Room, principal: CurrentPrincipal) -> list[ContractInfo]:
        actor = principal.actor
        return [
            contract_info(v)
            for v in list_contracts(room)
            if actor.is_admin or roles_in(v.contract, actor)
        ]

    @table.route(
        "POST",
        "/v1/contracts",
        rule=Proposer(),
        body="yaml",
        tag="contracts",
        status_code=201,
        response_model=ContractInfo,
        openapi_extra=YAML_BODY,
        summary="Propose a contract (its owner or platform); the parties' keys are pinned",
    )
    async def propose(request: Request, room: Room, principal: CurrentPrincipal) -> ContractInfo:
        """The service admits only a party the document names as owner or platform."""
        try:
            text = (await request.body()).decode("utf-8")
        except UnicodeDecodeError:
            raise ConfigError("the contract is not UTF-8 text: save it as UTF-8") from None
        view = await run_in_threadpool(
            propose_contract, room, principal.actor, text, "the request body"
        )
        return contract_info(view)

    @table.route(
        "GET",
        "/v1/contracts/{contract_id}",
        rule=ContractRole("read"),
        tag="contracts",
        summary="Parties, state, signatures and the pinned document",
        response_model=ContractInfo,
    )
    def contract(room: Room, contract_id: str, version: VersionQuery = None) -> ContractInfo:
        return contract_info(show_contract(room, contract_id, version))

    @table.route(
        "GET",
        "/v1/contracts/{contract_id}/signed",
        rule=ContractRole("read"),
        tag="contracts",
        summary="The contract with every signature, for `sealroom contract verify` offline",
    )
    def signed(room: Room, contract_id: str, version: VersionQuery = None) -> Response:
        view = show_contract(room, contract_id, version)
        text = dump_signed_contract(signed_contract(view.contract, view.steps))
        return Response(text, media_type="application/json")

    @table.route(
        "POST",
        "/v1/contracts/{contract_id}/steps",
        rule=ContractRole("write", SIGNING_ROLES),
        body="json",
        tag="contracts",
        status_code=201,
        response_model=ContractInfo,
        summary="Record an approval, acceptance or revocation the party signed itself",
    )
    def step(
        room: Room, principal: CurrentPrincipal, contract_id: str, signed_step: SignedStep
    ) -> ContractInfo:
        a = signed_step.approval
        approval = Approval(
            party=a.party,
            role=Role(a.role),
            action=ActionKind(a.action),
            signed_at=a.signed_at,
            signature=a.signature,
        )
        return contract_info(
            record_step(room, principal.actor, contract_id, signed_step.version, approval)
        )

    @table.route(
        "POST",
        "/v1/contracts/{contract_id}/platform-steps",
        rule=ContractRole("write", (Role.PLATFORM,)),
        body="json",
        tag="contracts",
        status_code=201,
        response_model=ContractInfo,
        summary="Approve or revoke as the platform, signed with the service's key",
    )
    def platform_step(
        room: Room, principal: CurrentPrincipal, contract_id: str, request_step: PlatformStep
    ) -> ContractInfo:
        view = take_step(
            room,
            principal.actor,
            contract_id,
            ActionKind(request_step.action),
            keys=None,
            version=request_step.version,
        )
        return contract_info(view)
