"""A real uvicorn server on a free loopback port, in a thread of this process.

The demo, the end-to-end tests and the benchmarks need the API served for real
(sockets, HTTP parsing, the same middleware as `sealroom serve`) while the
owner's side keeps working in the same process. Loopback only: nothing here
ever listens beyond this machine.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from fastapi import FastAPI

from sealroom.errors import SealroomError

START_SECONDS = 15.0


class ServerDidNotStart(SealroomError):
    """uvicorn stopped or hung before it listened."""

    def __init__(self, port: int) -> None:
        super().__init__(
            f"the API server did not start on 127.0.0.1:{port} within {START_SECONDS:g} s: "
            "see the log lines above, or check that nothing else holds the port"
        )


def free_loopback_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serve_on_loopback(app: FastAPI, *, log_level: str = "warning") -> Iterator[str]:
    """Serves ``app`` until the block ends; yields its base URL."""
    port = free_loopback_port()
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_level=log_level,
        lifespan="off",
        access_log=False,
        server_header=False,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + START_SECONDS
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            server.should_exit = True
            raise ServerDidNotStart(port)
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
