"""`--server URL`: the commands that have an API endpoint go through the SDK instead.

The choice is made once, in the app's callback, and read by the chooser
(``sealroom.cli.clients``) alone: with a server, a command talks HTTP with the
caller's own token and never opens a local store (``opened`` refuses), so a
partner abroad needs no data directory.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sealroom.client import Client
from sealroom.client.models import WhoAmI
from sealroom.errors import ConfigError, SealroomError
from sealroom.service.actors import Actor


class NoRemoteForm(SealroomError):
    """A command that only works on the local store was given ``--server``."""


@dataclass(frozen=True)
class Server:
    url: str
    token: str = ""
    command: str = "this command"

    def __repr__(self) -> str:
        return f"Server({self.url})"  # never the token


_chosen: Server | None = None


def parse_server_url(url: str) -> str:
    """The URL as the SDK needs it: http(s), a host, nothing after the path."""
    parts = urllib.parse.urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(
            f"--server {url!r} is not a server URL: write it as http://HOST:PORT or "
            "https://HOST, as `sealroom serve` printed it"
        )
    if parts.query or parts.fragment or parts.username or parts.password:
        raise ConfigError(
            f"--server {parts.scheme}://{parts.hostname}…: leave out credentials, query and "
            "fragment; the token goes in SEALROOM_TOKEN"
        )
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))


def invoked_command(first: str | None, argv: list[str], *, group: bool) -> str:
    """`sealroom GROUP COMMAND` as typed, for messages.

    Typer tells the callback only the first word; a group's command is the next
    word typed after it (a command's options come after its name).
    """
    if not first or not group:
        return f"sealroom {first}" if first else "sealroom"
    words = argv[argv.index(first) + 1 :] if first in argv else []
    second = next((w for w in words if not w.startswith("-")), None)
    return f"sealroom {first} {second}" if second else f"sealroom {first}"


def choose_server(url: str | None, token: str | None, command: str = "this command") -> None:
    """Called by the app's callback for every invocation (so tests start clean)."""
    global _chosen  # noqa: PLW0603 (one choice per process, made before any command runs)
    _chosen = Server(parse_server_url(url), token or "", command) if url else None


def chosen_server() -> Server | None:
    return _chosen


def refuse_remote() -> None:
    """For commands that work only on the local store: say so when given a server."""
    if _chosen is not None:
        raise NoRemoteForm(
            f"`{_chosen.command}` works on the server's own store and has no API form: run it "
            f"on the server's machine without --server (and without SEALROOM_SERVER)"
        )


def check_acting_party(who: WhoAmI, as_party: str | None) -> None:
    """``--as`` is redundant remotely (the token names the party) but must not contradict it."""
    if as_party is not None and as_party != who.party:
        raise ConfigError(
            f"--as {as_party} (or SEALROOM_PARTY) but the API token acts for {who.party}: drop "
            f"--as, or use a token issued to {as_party}"
        )


def actor_of(who: WhoAmI) -> Actor:
    return Actor(who.party, who.is_admin, who.organisation)


@contextmanager
def connected(server: Server, as_party: str | None = None) -> Iterator[Client]:
    """A client acting with the caller's token; ``--as`` is checked against ``/v1/me``."""
    if not server.token:
        raise ConfigError(
            f"--server {server.url} needs an API token: set SEALROOM_TOKEN (or pass --token) "
            "to the token the administrator issued you with `sealroom token issue`"
        )
    with Client(server.url, server.token, progress=True) as client:
        if as_party is not None:
            check_acting_party(client.me(), as_party)
        yield client
