"""An initialised Sealroom on each database: SQLite and the real PostgreSQL server."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from contracts import ActionKind
from kms import PartyKeyPair, generate_party_keys, load_party_key_file
from sealroom.config import load_settings
from sealroom.data import customers_parquet
from sealroom.service.actors import Actor
from sealroom.service.context import Sealroom
from sealroom.service.contracts import propose_contract, take_step
from sealroom.service.datasets import register_dataset
from sealroom.service.parties import IssueKeys, RegisterKeys, add_party
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


ROOT = Path(__file__).resolve().parents[3]
CONTRACT = ROOT / "examples" / "contracts" / "customer-insights.yaml"
OWNER = Actor("acme-cn", False, None)
PARTNER = Actor("globex-uk", False, None)


def add_story_parties(room: Sealroom, home: Path) -> PartyKeyPair:
    """The partner (its keys returned) and the scientist alice, a person of acme-cn."""
    partner = generate_party_keys()
    add_party(room, ADMIN, name="globex-uk", kind="organisation", keys=RegisterKeys(partner.public))
    add_party(
        room,
        ADMIN,
        name="alice",
        kind="person",
        organisation="acme-cn",
        keys=IssueKeys(home / "alice.key", PASSPHRASE),
    )
    return partner


@pytest.fixture(
    params=[
        pytest.param("bwrap", marks=pytest.mark.bwrap),
        pytest.param("docker", marks=pytest.mark.docker),
    ]
)
def active(
    request: pytest.FixtureRequest,
    room: Sealroom,
    isolated_home: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> tuple[Sealroom, PartyKeyPair]:
    """Story 1's contract, active, with the scientist and the partner registered."""
    monkeypatch.setenv("SEALROOM_SANDBOX_BACKEND", request.param)
    room = replace(room, settings=replace(room.settings, sandbox_backend=request.param))
    partner = add_story_parties(room, isolated_home)
    register_dataset(room, OWNER, customers_parquet(), owner="acme-cn", name="customers")
    propose_contract(room, OWNER, CONTRACT.read_text("utf-8"), CONTRACT.name)
    owner_keys = load_party_key_file(isolated_home / "acme-cn.key", PASSPHRASE)
    take_step(room, OWNER, "c-12", ActionKind.APPROVE, keys=owner_keys)
    take_step(room, ADMIN, "c-12", ActionKind.APPROVE, keys=None)
    take_step(room, PARTNER, "c-12", ActionKind.ACCEPT, keys=partner)
    return room, partner
