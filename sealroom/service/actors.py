"""Who is acting: every command acts as one registered party, or for its organisation."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from contracts import Contract, Role
from sealroom.errors import NotFound, PermissionDenied
from sealroom.store.models import PartyRecord


@dataclass(frozen=True)
class Actor:
    name: str
    is_admin: bool
    organisation: str | None

    @property
    def role(self) -> str:
        return "admin" if self.is_admin else "party"

    @property
    def parties(self) -> tuple[str, ...]:
        """The parties the actor speaks for: itself, then the organisation it belongs to."""
        return (self.name, self.organisation) if self.organisation else (self.name,)

    def speaks_for(self, party: str) -> bool:
        """Does the actor act for ``party``: is it that party, or a person of it?"""
        return party in self.parties


def resolve_actor(session: Session, name: str | None) -> Actor:
    if not name:
        raise PermissionDenied(
            "no acting party: pass --as NAME or set SEALROOM_PARTY to the party you act for"
        )
    record = session.get(PartyRecord, name)
    if record is None:
        raise NotFound("party", name, "list the parties with `sealroom party list`")
    return Actor(record.name, record.is_admin, record.organisation)


def require_admin(actor: Actor, doing: str) -> None:
    if not actor.is_admin:
        raise PermissionDenied(
            f"{actor.name} may not {doing}: only the system administrator manages parties "
            "and keys; act with --as ADMIN"
        )


def party_in_role(
    actor: Actor, contract: Contract, roles: tuple[Role, ...]
) -> tuple[str, Role] | None:
    """The contract party the actor speaks for in one of ``roles``, if it speaks for any."""
    for name in actor.parties:
        party = contract.party(name)
        if party is None:
            continue
        for role in roles:
            if party.has_role(role):
                return party.name, role
    return None


def acting_party(actor: Actor, contract: Contract, roles: tuple[Role, ...]) -> tuple[str, Role]:
    """The contract party the actor speaks for in one of ``roles``: itself or its organisation."""
    found = party_in_role(actor, contract, roles)
    if found is None:
        wanted = " or ".join(r.value for r in roles)
        raise PermissionDenied(
            f"{actor.name} acts for no {wanted} of {contract.ref}: act as a party the contract "
            f"names in that role"
        )
    return found
