"""Registering organisations and the people acting for them, with their public keys."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from kms import PartyKeyPair, PartyPublicKeys, generate_party_keys, save_party_key_file
from sealroom.errors import AlreadyExists, NotFound
from sealroom.service.actors import Actor, require_admin
from sealroom.service.context import Sealroom
from sealroom.service.names import validate_name
from sealroom.service.recording import record
from sealroom.store.database import transaction
from sealroom.store.models import PartyRecord

PartyKind = Literal["organisation", "person"]


@dataclass(frozen=True)
class IssueKeys:
    """The platform generates the pair and hands the private half out once, sealed."""

    key_file: Path
    passphrase: str


@dataclass(frozen=True)
class RegisterKeys:
    """The party generated its pair; only the public half ever reaches us."""

    public: PartyPublicKeys


@dataclass(frozen=True)
class PartyView:
    name: str
    kind: str
    organisation: str | None
    display_name: str
    is_admin: bool
    key_origin: str
    x25519_fingerprint: str
    ed25519_fingerprint: str
    public_keys: PartyPublicKeys

    @classmethod
    def of(cls, rec: PartyRecord) -> PartyView:
        keys = PartyPublicKeys(x25519=rec.x25519_public, ed25519=rec.ed25519_public)
        return cls(
            name=rec.name,
            kind=rec.kind,
            organisation=rec.organisation,
            display_name=rec.display_name,
            is_admin=rec.is_admin,
            key_origin=rec.key_origin,
            x25519_fingerprint=_fingerprint(rec.x25519_public),
            ed25519_fingerprint=_fingerprint(rec.ed25519_public),
            public_keys=keys,
        )


def _fingerprint(key: bytes) -> str:
    return "sha256:" + hashlib.sha256(key).hexdigest()[:16]


def insert_party(
    session: Session,
    *,
    name: str,
    kind: PartyKind,
    organisation: str | None,
    display_name: str,
    is_admin: bool,
    public: PartyPublicKeys,
    key_origin: str,
    created_at: datetime,
) -> PartyRecord:
    validate_name("party", name)
    if session.get(PartyRecord, name) is not None:
        raise AlreadyExists("party", name)
    if organisation is not None:
        org = session.get(PartyRecord, organisation)
        if org is None or org.kind != "organisation":
            raise NotFound(
                "organisation",
                organisation,
                "add it first with `sealroom party add NAME --kind organisation`",
            )
    rec = PartyRecord(
        name=name,
        kind=kind,
        organisation=organisation,
        display_name=display_name or name,
        is_admin=is_admin,
        x25519_public=public.x25519,
        ed25519_public=public.ed25519,
        key_origin=key_origin,
        created_at=created_at,
    )
    session.add(rec)
    session.flush()
    return rec


def add_party(
    room: Sealroom,
    actor: Actor,
    *,
    name: str,
    kind: PartyKind,
    keys: IssueKeys | RegisterKeys,
    organisation: str | None = None,
    display_name: str = "",
) -> PartyView:
    """Registers a party. Only the system administrator may do this."""
    require_admin(actor, "add parties")
    issued: PartyKeyPair | None = None
    if isinstance(keys, IssueKeys):
        issued = generate_party_keys()
        public = issued.public
        # Written before the commit and removed if the commit fails, so a key file
        # never exists for a party that does not.
        save_party_key_file(keys.key_file, issued, keys.passphrase)
    else:
        public = keys.public
    try:
        with transaction(room.sessions) as session:
            rec = insert_party(
                session,
                name=name,
                kind=kind,
                organisation=organisation,
                display_name=display_name,
                is_admin=False,
                public=public,
                key_origin="issued" if issued else "registered",
                created_at=room.clock(),
            )
            record(
                session,
                at=room.clock(),
                actor=actor.name,
                role=actor.role,
                action="party.add",
                subject={"party": name},
                detail={"kind": kind, "organisation": organisation, "key_origin": rec.key_origin},
            )
            view = PartyView.of(rec)
    except BaseException:
        if isinstance(keys, IssueKeys):
            keys.key_file.unlink(missing_ok=True)
        raise
    return view


def list_parties(room: Sealroom) -> list[PartyView]:
    with room.sessions() as session:
        rows = session.scalars(select(PartyRecord).order_by(PartyRecord.name))
        return [PartyView.of(rec) for rec in rows]


def show_party(room: Sealroom, name: str) -> PartyView:
    with room.sessions() as session:
        rec = session.get(PartyRecord, name)
        if rec is None:
            raise NotFound("party", name, "list the parties with `sealroom party list`")
        return PartyView.of(rec)
