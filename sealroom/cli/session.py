"""What every command shares: the console, the passphrase prompt, the opened store."""

from __future__ import annotations

import getpass
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.console import Console

from sealroom.cli.remote import refuse_remote
from sealroom.config import Settings, load_settings
from sealroom.errors import ConfigError
from sealroom.service.actors import Actor, resolve_actor
from sealroom.service.context import Sealroom

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)

ActingParty = Annotated[
    str | None,
    typer.Option(
        "--as",
        envvar="SEALROOM_PARTY",
        help="The registered party you act for (or set SEALROOM_PARTY).",
        show_default=False,
    ),
]


def read_secret(env_var: str, prompt: str) -> str:
    """A secret from the environment, or a prompt when a person is at the terminal."""
    value = os.environ.get(env_var)
    if value:
        return value
    if not sys.stdin.isatty():
        raise ConfigError(f"{prompt.lower()} needed: set {env_var} or run in a terminal")
    return getpass.getpass(f"{prompt}: ")


def master_passphrase() -> str:
    return read_secret("SEALROOM_PASSPHRASE", "Master key passphrase")


def settings() -> Settings:
    return load_settings()


def open_store() -> Sealroom:
    return Sealroom.open(settings(), master_passphrase)


@contextmanager
def opened() -> Iterator[Sealroom]:
    """The local store, for commands that work only on it."""
    refuse_remote()  # with --server, nothing may fall back to a local store unnoticed
    room = open_store()
    try:
        yield room
    finally:
        room.close()


def acting(room: Sealroom, name: str | None) -> Actor:
    with room.sessions() as session:
        return resolve_actor(session, name)
