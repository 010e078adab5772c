"""An initialised Sealroom on each database: SQLite and the real PostgreSQL server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sealroom.config import load_settings
from sealroom.service.actors import Actor
from sealroom.service.context import Sealroom
from sealroom.service.parties import IssueKeys, add_party
from sealroom.service.setup import initialise

PASSPHRASE = "test-passphrase"
ADMIN = Actor("admin", True, "platform")


@pytest.fixture
def room(
    isolated_home: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Sealroom]:
    monkeypatch.setenv("SEALROOM_DATABASE_URL", database_url)
    settings = load_settings()
    initialise(
        settings,
        lambda: PASSPHRASE,
        admin="admin",
        admin_key_file=isolated_home / "admin.key",
        admin_key_passphrase=PASSPHRASE,
    )
    opened = Sealroom.open(settings, lambda: PASSPHRASE)
    add_party(
        opened,
        ADMIN,
        name="acme-cn",
        kind="organisation",
        keys=IssueKeys(isolated_home / "acme-cn.key", PASSPHRASE),
    )
    yield opened
    opened.close()
