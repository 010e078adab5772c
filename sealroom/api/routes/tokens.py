"""API tokens, managed by the administrator."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import Query

from sealroom.api.convert import token_info
from sealroom.api.routing import CurrentPrincipal, Room, RouteTable
from sealroom.api.rules import AdminOnly
from sealroom.client.models import IssuedTokenInfo, NewToken, TokenInfo
from sealroom.service.tokens import issue_token, list_tokens, revoke_token


def add_routes(table: RouteTable) -> None:
    @table.route(
        "GET",
        "/v1/tokens",
        rule=AdminOnly(),
        summary="List API tokens",
        tag="tokens",
        response_model=list[TokenInfo],
    )
    def tokens(
        room: Room,
        principal: CurrentPrincipal,
        party: Annotated[str | None, Query(max_length=63)] = None,
    ) -> list[TokenInfo]:
        now = room.clock()
        return [token_info(t, now) for t in list_tokens(room, principal.actor, party)]

    @table.route(
        "POST",
        "/v1/tokens",
        rule=AdminOnly(),
        body="json",
        tag="tokens",
        status_code=201,
        summary="Issue an API token (its secret is shown once)",
        response_model=IssuedTokenInfo,
    )
    def issue(room: Room, principal: CurrentPrincipal, new: NewToken) -> IssuedTokenInfo:
        issued = issue_token(
            room,
            principal.actor,
            party=new.party,
            scopes=new.scopes,
            label=new.label,
            lifetime=timedelta(days=new.days),
        )
        return IssuedTokenInfo(token=issued.token, info=token_info(issued.view, room.clock()))

    @table.route(
        "DELETE",
        "/v1/tokens/{token_id}",
        rule=AdminOnly(),
        tag="tokens",
        summary="Revoke an API token at once",
        response_model=TokenInfo,
    )
    def revoke(room: Room, principal: CurrentPrincipal, token_id: str) -> TokenInfo:
        return token_info(revoke_token(room, principal.actor, token_id), room.clock())
