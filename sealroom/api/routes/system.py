"""Health and identity."""

from __future__ import annotations

from sealroom import __version__
from sealroom.api.convert import who_am_i
from sealroom.api.routing import CurrentPrincipal, RouteTable
from sealroom.api.rules import Authenticated, Public
from sealroom.client.models import Health, WhoAmI


def add_routes(table: RouteTable) -> None:
    @table.route(
        "GET",
        "/v1/health",
        rule=Public(),
        summary="Is the server up",
        tag="system",
        response_model=Health,
    )
    def health() -> Health:
        return Health(status="ok", version=__version__)

    @table.route(
        "GET",
        "/v1/me",
        rule=Authenticated(),
        summary="Who this token acts for",
        tag="system",
        response_model=WhoAmI,
    )
    def me(principal: CurrentPrincipal) -> WhoAmI:
        return who_am_i(principal.actor, token_id=principal.token_id, scopes=principal.scopes)
