"""The one client a command gets: the server's API with ``--server``, else the local store.

This is the only place that looks at the choice of server. A command asks for
its client here and takes one path with it; where the two sides differ, the
client says so (``sealroom.client.protocol``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sealroom.cli.remote import chosen_server, connected
from sealroom.cli.session import console, err_console, open_store
from sealroom.client.protocol import SealroomClient


@contextmanager
def client_for(as_party: str | None = None) -> Iterator[SealroomClient]:
    """The command's client, closed when the command ends.

    With ``--server``: the SDK acting with the caller's token, ``--as`` checked
    against it. Without: the local store, acting as ``--as``.
    """
    server = chosen_server()
    if server is not None:
        with connected(server, as_party) as client:
            yield client
        return
    # The service and the store load only for the local path.
    from sealroom.local import LocalClient

    with LocalClient(open_store, as_party, console=console) as local:
        yield local


def note_runs_locally() -> None:
    """For commands that need no store: they run here, whatever the server."""
    server = chosen_server()
    if server is not None:
        err_console.print(
            f"note: `{server.command}` runs on this machine; --server {server.url} is not used"
        )
