"""The owner's share of a contract's next PSI run, made before the partner asks.

The owner's first step in a run needs only its own data and fresh keys:
openmined's blinded set, PSI-sum's blinded and encrypted records, secretflow's
normalised key column (written out for spu only once a run opens). A server that keeps one such
share ready per PSI contract answers a partner's first message without that wait
(seconds for 100,000 records, most of a PSI-sum run).

- Each share serves one run only: its keys never meet a second partner. A run
  that takes one starts making the next once its own owner work is over
  (``psi._start_next_share``), so the two never compete.
- The work runs at the lowest CPU priority, its per-element part in worker
  processes of its own, so it yields to any run under way.
- Shares live in this process's memory only; a restarted server makes them again.
- A share is keyed by contract version and dataset version: one made for older
  terms or older data is never used.

``sealroom serve`` turns this on (the ``psi_ahead`` setting) and fills a share for
every active contract that allows PSI; a room without it makes each share when
its run opens, as before.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from jobs.psi.runners import InlineRunner, ProcessRunner, ShardRunner

# What makes a share, given the runner for its per-element work.
ShareMaker = Callable[[ShardRunner], Any]
LOWEST_PRIORITY = 19


@dataclass(frozen=True)
class ShareKey:
    contract_id: str
    contract_version: int
    kind: str
    dataset: str
    dataset_version: int


class PsiAhead:
    """At most one share per key, made in the background at the lowest priority."""

    def __init__(self, workers: int) -> None:
        self._runner: ShardRunner = (
            ProcessRunner(workers, nice=LOWEST_PRIORITY) if workers > 1 else InlineRunner()
        )
        self._shares: dict[ShareKey, Future[Any]] = {}
        self._lock = threading.Lock()
        self._closed = False

    def take(self, key: ShareKey) -> Future[Any] | None:
        """The share made (or being made) for ``key``, removed: nobody else gets it."""
        with self._lock:
            return self._shares.pop(key, None)

    def make(self, key: ShareKey, maker: ShareMaker) -> None:
        """Starts making a share for ``key`` unless one is there already."""
        with self._lock:
            if self._closed or key in self._shares:
                return
            future: Future[Any] = Future()
            self._shares[key] = future
        threading.Thread(
            target=self._run, args=(future, maker), name="psi-ahead", daemon=True
        ).start()

    def _run(self, future: Future[Any], maker: ShareMaker) -> None:
        with contextlib.suppress(OSError):  # a thread's own niceness, Linux only
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), LOWEST_PRIORITY)
        try:
            future.set_result(maker(self._runner))
        except BaseException as error:  # kept for the run, which then makes its own
            future.set_exception(error)

    def ready(self, key: ShareKey) -> bool:
        with self._lock:
            future = self._shares.get(key)
        return future is not None and future.done() and future.exception() is None

    def wait(self, timeout: float | None = None) -> None:
        """Until every share under way is made (or failed)."""
        with self._lock:
            futures = list(self._shares.values())
        for future in futures:
            with contextlib.suppress(Exception):
                future.exception(timeout)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._shares.clear()
        close = getattr(self._runner, "close", None)
        if close is not None:
            close()


def share_from(future: Future[Any] | None) -> Any | None:
    """A taken share, waiting for it; None if there was none or making it failed."""
    if future is None:
        return None
    try:
        return future.result()
    except Exception:  # the run makes its own share, and fails there if it must
        return None
