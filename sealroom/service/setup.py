"""`sealroom init`: a data directory, a master key, a migrated store, the first parties."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from kms import generate_party_keys, save_party_key_file
from sealroom.config import Settings
from sealroom.service.context import PassphraseSource, Sealroom, utc_now
from sealroom.service.context import open_keyring as open_or_create_keyring
from sealroom.service.parties import insert_party
from sealroom.service.recording import record
from sealroom.service.service_keys import create_service_key
from sealroom.store.database import create_store_engine, migrate, session_factory, transaction
from sealroom.store.models import PartyRecord

PLATFORM = "platform"


@dataclass(frozen=True)
class InitReport:
    home: Path
    database: str
    key_provider: str
    master_key_id: str
    created_admin: str | None
    admin_key_file: Path | None
    already_initialised: bool


def initialise(
    settings: Settings,
    passphrase: PassphraseSource,
    *,
    admin: str,
    admin_key_file: Path,
    admin_key_passphrase: str,
) -> InitReport:
    """Idempotent: a second run migrates the store and changes nothing else."""
    settings.home.mkdir(parents=True, exist_ok=True, mode=0o700)
    keyring = open_or_create_keyring(settings, passphrase, create=True)
    engine = create_store_engine(settings.database_url)
    migrate(engine)
    room = Sealroom(settings, engine, session_factory(engine), passphrase, utc_now, keyring)
    try:
        with room.sessions() as session:
            has_admin = session.scalar(select(PartyRecord).where(PartyRecord.is_admin)) is not None
        if has_admin:
            return InitReport(
                settings.home,
                str(engine.url.render_as_string(hide_password=True)),
                keyring.provider,
                keyring.current().key_id,
                None,
                None,
                True,
            )
        admin_keys = generate_party_keys()
        save_party_key_file(admin_key_file, admin_keys, admin_key_passphrase)
        try:
            with transaction(room.sessions) as session:
                now = room.clock()
                create_service_key(session, room, PLATFORM, now)
                insert_party(
                    session,
                    name=admin,
                    kind="person",
                    organisation=PLATFORM,
                    display_name="System administrator",
                    is_admin=True,
                    public=admin_keys.public,
                    key_origin="issued",
                    created_at=now,
                )
                record(
                    session,
                    at=room.clock(),
                    actor=admin,
                    role="admin",
                    action="store.init",
                    subject={"party": admin},
                    detail={"master_key": keyring.current().key_id, "provider": keyring.provider},
                )
        except BaseException:
            admin_key_file.unlink(missing_ok=True)
            raise
        return InitReport(
            settings.home,
            str(engine.url.render_as_string(hide_password=True)),
            keyring.provider,
            keyring.current().key_id,
            admin,
            admin_key_file,
            False,
        )
    finally:
        engine.dispose()
