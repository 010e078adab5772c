"""Who is acting: every command acts as one registered party."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

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
