"""API tokens in the store: hashed, scoped, expiring, revocable, audited."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from kms import generate_party_keys
from sealroom.audit.records import AuditEventRecord
from sealroom.cli.token_commands import token_app
from sealroom.errors import ConfigError, PermissionDenied
from sealroom.service.actors import Actor
from sealroom.service.context import Sealroom
from sealroom.service.parties import RegisterKeys, add_party
from sealroom.service.tokens import (
    TokenRejected,
    authenticate,
    issue_token,
    list_tokens,
    revoke_token,
)
from sealroom.store.token_records import ApiTokenRecord
from tests.fixtures.world import ADMIN, open_room

pytestmark = pytest.mark.integration
PARTNER = Actor("globex-uk", False, None)


@pytest.fixture
def room(isolated_home: Path, database_url: str) -> Iterator[Sealroom]:
    opened = open_room(isolated_home, database_url)
    add_party(
        opened,
        ADMIN,
        name="globex-uk",
        kind="organisation",
        keys=RegisterKeys(generate_party_keys().public),
    )
    yield opened
    opened.close()


def test_a_token_authenticates_its_party_with_its_scopes_and_only_its_hash_is_stored(
    room: Sealroom,
) -> None:
    issued = issue_token(room, ADMIN, party="globex-uk", scopes=["read"], label="laptop")
    assert issued.token.startswith(f"srt_{issued.view.token_id}_")
    principal = authenticate(room, issued.token)
    assert principal.actor == PARTNER and principal.scopes == {"read"}
    secret = issued.token.split("_", 2)[2]
    with room.sessions() as session:
        rec = session.get(ApiTokenRecord, issued.view.token_id)
        assert rec is not None and rec.last_used_at is not None
        assert secret not in repr(vars(rec)) and secret not in rec.secret_sha256


def test_a_wrong_secret_and_garbage_are_refused_alike(room: Sealroom) -> None:
    issued = issue_token(room, ADMIN, party="globex-uk")
    forged = issued.token[:-4] + ("AAAA" if not issued.token.endswith("AAAA") else "BBBB")
    for presented in (forged, "srt_nope", "hello", "srt__x", f"srt_{'a' * 40}_x"):
        with pytest.raises(TokenRejected, match="the API token is not valid"):
            authenticate(room, presented)


def test_an_expired_token_is_refused_saying_so(room: Sealroom) -> None:
    issued = issue_token(room, ADMIN, party="globex-uk", lifetime=timedelta(days=1))
    later = room.clock() + timedelta(days=1, seconds=1)
    room.clock = lambda: later
    with pytest.raises(TokenRejected, match=r"expired at .*ask the administrator"):
        authenticate(room, issued.token)


def test_a_revoked_token_is_refused_and_revoking_twice_changes_nothing(room: Sealroom) -> None:
    issued = issue_token(room, ADMIN, party="globex-uk")
    first = revoke_token(room, ADMIN, issued.view.token_id)
    again = revoke_token(room, ADMIN, issued.view.token_id)
    assert first.revoked_at == again.revoked_at is not None
    with pytest.raises(TokenRejected, match="was revoked"):
        authenticate(room, issued.token)
    assert [t.state(room.clock()) for t in list_tokens(room, ADMIN)] == ["revoked"]
    with room.sessions() as session:
        actions = session.scalars(select(AuditEventRecord.action)).all()
    assert actions.count("token.issue") == 1 and actions.count("token.revoke") == 1


def test_only_the_administrator_manages_tokens_and_only_it_holds_the_admin_scope(
    room: Sealroom,
) -> None:
    with pytest.raises(PermissionDenied, match="only the system administrator"):
        issue_token(room, PARTNER, party="globex-uk")
    with pytest.raises(PermissionDenied, match="admin scope"):
        issue_token(room, ADMIN, party="globex-uk", scopes=["admin"])
    with pytest.raises(ConfigError, match="unknown token scope 'root'"):
        issue_token(room, ADMIN, party="globex-uk", scopes=["read", "root"])
    with pytest.raises(ConfigError, match="366 days"):
        issue_token(room, ADMIN, party="globex-uk", lifetime=timedelta(days=400))
    assert list_tokens(room, ADMIN) == []


def test_the_cli_issues_lists_and_revokes_tokens(room: Sealroom, database_url: str) -> None:
    runner = CliRunner()
    env = {"SEALROOM_DATABASE_URL": database_url, "SEALROOM_PARTY": "admin"}
    issued = runner.invoke(
        token_app, ["issue", "globex-uk", "--scope", "read", "--label", "cli"], env=env
    )
    assert issued.exit_code == 0, issued.output
    token = next(line for line in issued.output.splitlines() if line.startswith("srt_"))
    assert authenticate(room, token).actor.name == "globex-uk"
    listed = runner.invoke(token_app, ["list"], env=env)
    assert "globex-uk" in listed.output and token.split("_", 2)[2] not in listed.output
    token_id = token.split("_")[1]
    assert runner.invoke(token_app, ["revoke", token_id], env=env).exit_code == 0
    with pytest.raises(TokenRejected):
        authenticate(room, token)
