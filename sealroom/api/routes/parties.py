"""Parties: a party reads its counterparties in the registry; only the administrator adds.

Over the API a party registers only public keys it generated itself: the
platform never hands a private key out over HTTP.
"""

from __future__ import annotations

from kms import PartyPublicKeys
from sealroom.api.convert import party_info
from sealroom.api.routing import CurrentPrincipal, Room, RouteTable
from sealroom.api.rules import AdminOnly, AnyParty, counterparties
from sealroom.client.models import NewParty, PartyInfo
from sealroom.errors import NotFound
from sealroom.service.parties import RegisterKeys, add_party, list_parties, show_party


def add_routes(table: RouteTable) -> None:
    @table.route(
        "GET",
        "/v1/parties",
        rule=AnyParty("read"),
        summary="List the parties",
        tag="parties",
        response_model=list[PartyInfo],
    )
    def parties(room: Room, principal: CurrentPrincipal) -> list[PartyInfo]:
        """A party lists itself, its organisation and its contracts' parties, no others."""
        seen = counterparties(room, principal.actor)
        return [party_info(p) for p in list_parties(room) if seen is None or p.name in seen]

    @table.route(
        "GET",
        "/v1/parties/{name}",
        rule=AnyParty("read"),
        summary="One party and its keys",
        tag="parties",
        response_model=PartyInfo,
    )
    def party(room: Room, principal: CurrentPrincipal, name: str) -> PartyInfo:
        seen = counterparties(room, principal.actor)
        if seen is not None and name not in seen:
            # As for a name never registered: who else uses the platform is not its business.
            raise NotFound("party", name, "list the parties with `sealroom party list`")
        return party_info(show_party(room, name))

    @table.route(
        "POST",
        "/v1/parties",
        rule=AdminOnly(),
        body="json",
        tag="parties",
        status_code=201,
        summary="Register a party with the public keys it generated",
        response_model=PartyInfo,
    )
    def register(room: Room, principal: CurrentPrincipal, new: NewParty) -> PartyInfo:
        keys = PartyPublicKeys.from_json(new.public_keys.model_dump())
        view = add_party(
            room,
            principal.actor,
            name=new.name,
            kind=new.kind,
            keys=RegisterKeys(keys),
            organisation=new.organisation,
            display_name=new.display_name,
        )
        return party_info(view)
