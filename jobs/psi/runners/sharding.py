"""Running the heavy, per-element half of a protocol step over shards.

Every expensive PSI step (hash and blind a list, re-blind a list, encrypt values)
is independent per element, so a step splits its list into chunks and maps a
top-level function over them. Where the chunks run is the runner's business: in
this process, in a pool of local processes, or (later) as Ray tasks. The function
receives the session's key bytes with each chunk; runners are therefore always on
the side that owns the key (the owner's machine or the partner's), never shared.

Chunks bound memory: the C++ and big-integer work on one chunk is all a worker
holds at once, and results come back in chunk order.
"""

from __future__ import annotations

import functools
import math
import multiprocessing
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import CancelledError, Executor, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import suppress
from types import TracebackType
from typing import Protocol, TypeVar

T = TypeVar("T")
R = TypeVar("R")
K = TypeVar("K")

DEFAULT_CHUNK = 16_384


class ShardRunner(Protocol):
    """Maps a picklable top-level function over chunks, keeping their order."""

    @property
    def workers(self) -> int: ...

    def map(self, fn: Callable[[T], R], chunks: Sequence[T]) -> list[R]: ...


class InlineRunner:
    """Everything in this process: the reference every parallel runner must agree with."""

    @property
    def workers(self) -> int:
        return 1

    def map(self, fn: Callable[[T], R], chunks: Sequence[T]) -> list[R]:
        return [fn(chunk) for chunk in chunks]


class ProcessRunner:
    """A pool of local worker processes; use as a context manager to shut it down.

    ``forkserver`` rather than ``fork``: the owner's side runs inside a threaded
    server, and forking a threaded process can copy a held lock into the child.
    """

    def __init__(self, workers: int | None = None, *, nice: int = 0) -> None:
        """``nice`` > 0 lowers the workers' CPU priority, for work that must yield."""
        self._workers = workers or os.cpu_count() or 1
        self._pool: Executor = ProcessPoolExecutor(
            max_workers=self._workers,
            mp_context=multiprocessing.get_context("forkserver"),
            initializer=functools.partial(os.nice, nice) if nice else None,
        )

    @property
    def workers(self) -> int:
        return self._workers

    def map(self, fn: Callable[[T], R], chunks: Sequence[T]) -> list[R]:
        return list(self._pool.map(fn, chunks))

    def start(self) -> None:
        """Starts the workers in the background; a first ``map`` then finds them ready.

        Starting costs seconds (the fork server imports the program's main module),
        which a caller can overlap with its own work, or with the other party's.
        """
        threading.Thread(target=self._warm, name="psi-pool-start", daemon=True).start()

    def _warm(self) -> None:
        # Closed or broken meanwhile: the next real map says so itself.
        with suppress(CancelledError, BrokenProcessPool, RuntimeError):
            self.map(len, [[0]] * self._workers)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> ProcessRunner:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def chunked(items: Sequence[T], runner: ShardRunner, limit: int = DEFAULT_CHUNK) -> list[list[T]]:
    """Split into at least one chunk per worker and none larger than ``limit``."""
    if not items:
        return []
    pieces = max(runner.workers, math.ceil(len(items) / limit))
    size = math.ceil(len(items) / pieces)
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


def map_keyed(
    runner: ShardRunner,
    fn: Callable[[tuple[K, list[T]]], list[R]],
    key: K,
    items: Sequence[T],
) -> list[R]:
    """Run ``fn((key, chunk))`` over the chunks of ``items`` and join the results in order."""
    jobs = [(key, chunk) for chunk in chunked(items, runner)]
    return [result for shard in runner.map(fn, jobs) for result in shard]
