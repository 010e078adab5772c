"""Keys the service holds itself: the platform's signing and sealing pair.

The platform signs audit tree heads and co-signs approvals while no person is at
the keyboard, so its private half lives with the service, wrapped under the
master key like every data key and never written in clear.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from kms import (
    PartyKeyPair,
    generate_party_keys,
    party_keys_from_material,
    private_key_material,
)
from sealroom.errors import NotFound
from sealroom.service.context import Sealroom
from sealroom.service.parties import insert_party
from sealroom.store.models import ServiceKeyRecord


def _context(party: str) -> bytes:
    return f"sealroom/service-key/{party}".encode()


def create_service_key(session: Session, room: Sealroom, party: str, now: datetime) -> PartyKeyPair:
    keys = generate_party_keys()
    insert_party(
        session,
        name=party,
        kind="organisation",
        organisation=None,
        display_name="Platform operator",
        is_admin=False,
        public=keys.public,
        key_origin="issued",
        created_at=now,
    )
    master = room.keyring().current()
    session.add(
        ServiceKeyRecord(
            party=party,
            master_key_id=master.key_id,
            wrapped_private=master.wrap(private_key_material(keys), _context(party)),
            created_at=now,
        )
    )
    session.flush()
    return keys


def load_service_key(session: Session, room: Sealroom, party: str) -> PartyKeyPair:
    rec = session.get(ServiceKeyRecord, party)
    if rec is None:
        raise NotFound("service key for", party, "run `sealroom init`")
    master = room.keyring().get(rec.master_key_id)
    return party_keys_from_material(master.unwrap(rec.wrapped_private, _context(party)))


def rewrap_service_keys(session: Session, room: Sealroom) -> int:
    keyring = room.keyring()
    current = keyring.current()
    records = session.query(ServiceKeyRecord).all()
    for rec in records:
        secret = keyring.get(rec.master_key_id).unwrap(rec.wrapped_private, _context(rec.party))
        rec.wrapped_private = current.wrap(secret, _context(rec.party))
        rec.master_key_id = current.key_id
    return len(records)
