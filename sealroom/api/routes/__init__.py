"""The API's endpoints, one module per concern; ``build_route_table`` adds them all."""

from __future__ import annotations

from sealroom.api.routes import audit, contracts, datasets, parties, system, tokens
from sealroom.api.routing import RouteTable

AREAS = (system, parties, tokens, datasets, contracts, audit)


def build_route_table() -> RouteTable:
    table = RouteTable()
    for area in AREAS:
        area.add_routes(table)
    return table
