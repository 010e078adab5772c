from __future__ import annotations

from pathlib import Path

import pytest

from kms import generate_party_keys, load_party_key_file
from sealroom.errors import AlreadyExists, ConfigError, NotFound, PermissionDenied
from sealroom.service.actors import Actor
from sealroom.service.context import Sealroom
from sealroom.service.parties import IssueKeys, RegisterKeys, add_party, list_parties, show_party

from .conftest import ADMIN, PASSPHRASE

pytestmark = pytest.mark.integration


def test_init_creates_the_platform_and_the_administrator(room: Sealroom) -> None:
    names = {p.name: p for p in list_parties(room)}
    assert names["admin"].is_admin
    assert names["platform"].kind == "organisation"
    assert not names["acme-cn"].is_admin


def test_issued_keys_are_handed_out_once_and_only_the_public_half_is_stored(
    room: Sealroom, tmp_path: Path
) -> None:
    key_file = tmp_path / "alice.key"
    view = add_party(
        room,
        ADMIN,
        name="alice",
        kind="person",
        organisation="acme-cn",
        keys=IssueKeys(key_file, PASSPHRASE),
    )
    handed_out = load_party_key_file(key_file, PASSPHRASE)
    assert handed_out.public == view.public_keys
    assert view.key_origin == "issued"
    assert show_party(room, "alice").organisation == "acme-cn"


def test_a_partner_registers_only_its_public_keys(room: Sealroom) -> None:
    own = generate_party_keys()
    view = add_party(
        room, ADMIN, name="globex-uk", kind="organisation", keys=RegisterKeys(own.public)
    )
    assert view.key_origin == "registered"
    assert show_party(room, "globex-uk").public_keys == own.public


def test_only_the_administrator_adds_parties(room: Sealroom, tmp_path: Path) -> None:
    outsider = Actor("acme-cn", False, None)
    with pytest.raises(PermissionDenied, match="only the system administrator"):
        add_party(
            room,
            outsider,
            name="mallory",
            kind="person",
            keys=RegisterKeys(generate_party_keys().public),
        )
    assert "mallory" not in {p.name for p in list_parties(room)}


def test_a_failed_add_leaves_no_party_and_no_key_file(room: Sealroom, tmp_path: Path) -> None:
    key_file = tmp_path / "dup.key"
    with pytest.raises(AlreadyExists):
        add_party(
            room, ADMIN, name="acme-cn", kind="organisation", keys=IssueKeys(key_file, PASSPHRASE)
        )
    assert not key_file.exists()


def test_a_person_must_act_for_an_existing_organisation(room: Sealroom) -> None:
    with pytest.raises(NotFound, match="organisation"):
        add_party(
            room,
            ADMIN,
            name="bob",
            kind="person",
            organisation="nowhere",
            keys=RegisterKeys(generate_party_keys().public),
        )


def test_party_names_are_checked(room: Sealroom) -> None:
    with pytest.raises(ConfigError, match="lower-case letters"):
        add_party(
            room,
            ADMIN,
            name="../etc",
            kind="organisation",
            keys=RegisterKeys(generate_party_keys().public),
        )
