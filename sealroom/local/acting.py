"""The store on this machine, opened on first use, and the party acting on it.

Both wait for first use, so a command asks for the master passphrase only once
it needs the store, and a command that acts for nobody (``party list``) needs
no ``--as``.
"""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Self

from rich.console import Console

from sealroom.service.actors import Actor, resolve_actor
from sealroom.service.context import Sealroom


class ActingOnStore:
    """The local store and the acting party, each opened or resolved when first asked for."""

    def __init__(
        self,
        open_store: Callable[[], Sealroom],
        as_party: str | None,
        *,
        console: Console | None = None,
    ) -> None:
        self._open_store = open_store
        self._as_party = as_party
        self._console = console or Console(stderr=True)
        self._room: Sealroom | None = None
        self._actor: Actor | None = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}(as {self._as_party or 'nobody'})"

    @property
    def room(self) -> Sealroom:
        if self._room is None:
            self._room = self._open_store()
        return self._room

    @property
    def actor(self) -> Actor:
        if self._actor is None:
            with self.room.sessions() as session:
                self._actor = resolve_actor(session, self._as_party)
        return self._actor

    def close(self) -> None:
        if self._room is not None:
            self._room.close()
            self._room = None

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
