"""Health and identity."""

from __future__ import annotations

from sealroom import __version__
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
        actor = principal.actor
        return WhoAmI(
            party=actor.name,
            organisation=actor.organisation,
            is_admin=actor.is_admin,
            token_id=principal.token_id,
            scopes=sorted(principal.scopes),
        )
