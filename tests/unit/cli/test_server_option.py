"""`--server URL` and `--token`: how the global options are read, checked and kept quiet."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sealroom.cli.app import app
from sealroom.cli.remote import (
    NoRemoteForm,
    Server,
    check_acting_party,
    choose_server,
    chosen_server,
    invoked_command,
    parse_server_url,
)
from sealroom.client.errors import ServerUnreachable
from sealroom.client.models import WhoAmI
from sealroom.errors import ConfigError

SECRET = "srt_tok123_a-secret-that-must-never-be-printed"


@pytest.fixture(autouse=True)
def no_server_afterwards() -> Iterator[None]:
    # The choice is process-wide: later tests that call a sub-app directly must see none.
    yield
    choose_server(None, None)


def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, BaseException | None]:
    result = CliRunner().invoke(app, list(args), env=env)
    return result.exit_code, result.output, result.exception


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("http://127.0.0.1:8737", "http://127.0.0.1:8737"),
        ("https://sealroom.example/", "https://sealroom.example"),
        (" https://sealroom.example:8443/api/ ", "https://sealroom.example:8443/api"),
        ("http://[::1]:8737", "http://[::1]:8737"),
    ],
)
def test_a_server_url_is_kept_as_typed_without_a_trailing_slash(typed: str, kept: str) -> None:
    assert parse_server_url(typed) == kept


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("127.0.0.1:8737", "not a server URL"),
        ("ftp://sealroom.example", "not a server URL"),
        ("http://", "not a server URL"),
        ("https://user:pw@sealroom.example", "leave out credentials"),
        ("https://sealroom.example/?token=x", "leave out credentials"),
    ],
)
def test_a_malformed_server_url_is_refused_with_what_to_write(typed: str, says: str) -> None:
    with pytest.raises(ConfigError, match=says):
        parse_server_url(typed)


def test_the_option_and_the_environment_choose_the_server(tmp_path: Path) -> None:
    code, _, _ = run("--server", "http://127.0.0.1:1", "--token", SECRET, "keys", "--help")
    assert code == 0
    assert chosen_server() == Server("http://127.0.0.1:1", SECRET, "sealroom keys")
    env = {"SEALROOM_SERVER": "https://sealroom.example", "SEALROOM_TOKEN": SECRET}
    run("party", "--help", env=env)
    chosen = chosen_server()
    assert chosen is not None and chosen.url == "https://sealroom.example"
    run("party", "--help", env={"SEALROOM_SERVER": "", "SEALROOM_TOKEN": ""})
    assert chosen_server() is None


def test_the_token_is_never_printed() -> None:
    code, output, _ = run("--help")
    assert code == 0 and "--server" in output and "SEALROOM_TOKEN" in output
    _, helped, _ = run("--help", env={"SEALROOM_TOKEN": SECRET})
    assert SECRET not in helped
    assert SECRET not in repr(Server("http://127.0.0.1:1", SECRET))
    code, output, error = run("--server", "http://127.0.0.1:1", "--token", SECRET, "party", "list")
    assert isinstance(error, ServerUnreachable) and SECRET not in str(error) + output


def test_a_command_without_a_remote_form_refuses_before_opening_a_store(
    isolated_home: Path,
) -> None:
    _, _, error = run("--server", "http://127.0.0.1:1", "ledger", "show")
    assert isinstance(error, NoRemoteForm)
    assert "`sealroom ledger show`" in str(error) and "without --server" in str(error)
    assert not isolated_home.exists()  # no store was created or opened here
    _, _, error = run("--server", "http://127.0.0.1:1", "init")
    assert isinstance(error, NoRemoteForm) and not isolated_home.exists()


def test_a_remote_command_needs_a_token() -> None:
    _, _, error = run("--server", "http://127.0.0.1:1", "dataset", "list")
    assert isinstance(error, ConfigError) and "SEALROOM_TOKEN" in str(error)


def test_a_remote_job_list_names_its_contract() -> None:
    _, _, error = run("--server", "http://127.0.0.1:1", "--token", SECRET, "job", "list")
    assert isinstance(error, ConfigError) and "--contract" in str(error)


def test_as_must_agree_with_the_tokens_party() -> None:
    who = WhoAmI(party="alice", organisation="acme-cn", is_admin=False, token_id="t", scopes=[])
    check_acting_party(who, None)
    check_acting_party(who, "alice")
    with pytest.raises(ConfigError, match="acts for alice: drop --as"):
        check_acting_party(who, "acme-cn")


@pytest.mark.parametrize(
    ("first", "argv", "group", "named"),
    [
        (
            "job",
            ["--server", "http://h", "job", "logs", "j-1", "--as", "x"],
            True,
            "sealroom job logs",
        ),
        ("audit", ["audit", "--help"], True, "sealroom audit"),
        ("worker", ["--server", "http://h", "worker", "--poll", "2"], False, "sealroom worker"),
        ("init", [], False, "sealroom init"),
        (None, [], False, "sealroom"),
    ],
)
def test_the_invoked_command_is_named_as_typed(
    first: str | None, argv: list[str], group: bool, named: str
) -> None:
    assert invoked_command(first, argv, group=group) == named
