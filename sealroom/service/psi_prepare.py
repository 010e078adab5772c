"""The owner's share of one PSI run, made in the background while the partner works.

Nothing the owner computes first depends on the partner's message: openmined's
setup (the owner's set blinded under a fresh key) needs only its own data, so do
PSI-sum's records. So a run starts that work when it opens, and the partner's
first message finds it done (or waits for it). A failed preparation raises where
the run takes it, and fails the run there.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any


class PreparedShare:
    """One run's share, being made in a thread of its own; taken once, or dropped."""

    def __init__(self, make: Callable[[], Any], name: str = "psi-prepare") -> None:
        self._future: Future[Any] | None = Future()
        self._lock = threading.Lock()
        threading.Thread(
            target=self._run, args=(self._future, make), name=name, daemon=True
        ).start()

    @staticmethod
    def _run(future: Future[Any], make: Callable[[], Any]) -> None:
        try:
            future.set_result(make())
        except Exception as error:  # handed to the run, which fails with it
            future.set_exception(error)

    def take(self) -> Any:
        """The share, waiting for it; a second take finds nothing to take."""
        with self._lock:
            future, self._future = self._future, None
        if future is None:
            raise RuntimeError("this run's share was taken or dropped already")
        return future.result()

    def drop(self) -> None:
        """Forgets a share not taken; a share still being made ends unused.

        What it made is closed if it can be (a secretflow set written to disk is
        removed), now or as soon as it is made. Idempotent.
        """
        with self._lock:
            future, self._future = self._future, None
        if future is not None:
            future.add_done_callback(_close_result)


def _close_result(future: Future[Any]) -> None:
    if future.exception() is None:
        close = getattr(future.result(), "close", None)
        if close is not None:
            close()
