"""Keep the head of a job's stdout or stderr without ever buffering a flood."""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator

from sandbox.record import StreamCapture

READ_SIZE = 65536


class StreamKeeper:
    """Drains a pipe in a thread, keeping at most ``limit`` bytes and counting the rest.

    Draining (rather than letting the pipe fill) keeps a flooding job from
    blocking on write and hiding in a wait until the wall clock; the bytes past
    the limit are dropped so a flood costs the host CPU, never memory or disk.
    """

    def __init__(self, fd: int, limit: int) -> None:
        self._fd = fd
        self._limit = limit
        self._head = bytearray()
        self._total = 0
        self._thread = threading.Thread(target=self._drain, daemon=True)
        self._thread.start()

    def _drain(self) -> None:
        try:
            while True:
                chunk = os.read(self._fd, READ_SIZE)
                if not chunk:
                    break
                self._total += len(chunk)
                room = self._limit - len(self._head)
                if room > 0:
                    self._head.extend(chunk[:room])
        finally:
            os.close(self._fd)

    def finish(self, timeout_seconds: float = 5.0) -> StreamCapture:
        self._thread.join(timeout_seconds)
        return capture(bytes(self._head), self._total)


def capture(head: bytes, total: int) -> StreamCapture:
    return StreamCapture(
        text=head.decode("utf-8", errors="replace"), total_bytes=total, kept_bytes=len(head)
    )


class DemuxKeeper:
    """The same keeping for an engine's multiplexed stream of (stdout, stderr) chunks."""

    def __init__(self, chunks: Iterator[tuple[bytes | None, bytes | None]], limit: int) -> None:
        self._chunks = chunks
        self._limit = limit
        self._heads = (bytearray(), bytearray())
        self._totals = [0, 0]
        self._thread = threading.Thread(target=self._drain, daemon=True)
        self._thread.start()

    def _drain(self) -> None:
        with contextlib.suppress(Exception):  # the engine closing the stream ends the job's logs
            for pair in self._chunks:
                for index, chunk in enumerate(pair):
                    if not chunk:
                        continue
                    self._totals[index] += len(chunk)
                    room = self._limit - len(self._heads[index])
                    if room > 0:
                        self._heads[index].extend(chunk[:room])

    def finish(self, timeout_seconds: float = 5.0) -> tuple[StreamCapture, StreamCapture]:
        self._thread.join(timeout_seconds)
        return (
            capture(bytes(self._heads[0]), self._totals[0]),
            capture(bytes(self._heads[1]), self._totals[1]),
        )
