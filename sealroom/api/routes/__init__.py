"""The API's endpoints, one module per concern; ``build_route_table`` adds them all."""

from __future__ import annotations

from fastapi import APIRouter

from sealroom.api.routes import (
    audit,
    contracts,
    datasets,
    jobs,
    leakage,
    parties,
    psi,
    system,
    tokens,
)
from sealroom.api.routing import RouteTable

AREAS = (system, parties, tokens, datasets, contracts, leakage, jobs, psi, audit)


def build_route_table(router: APIRouter) -> RouteTable:
    """Adds every endpoint to ``router`` (the application's own, so that its route
    list is the complete list the authorisation-matrix test walks)."""
    table = RouteTable(router)
    for area in AREAS:
        area.add_routes(table)
    return table
