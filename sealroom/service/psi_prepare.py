"""The owner's side of a PSI run, prepared in the background while the partner works.

Nothing the owner computes first depends on the partner's message: openmined's
setup (the owner's set blinded under a fresh key) needs only the announced set
size and mode, PSI-sum's records only the owner's own data. So a run starts that
work when it opens, and the partner's first message finds it done (or waits for
it). Kept per run in this process only, like the rest of the owner's state; a
failed preparation raises where the run takes it, and fails the run there.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

_lock = threading.Lock()
_PREPARING: dict[str, Future[Any]] = {}


def prepare_in_background(job_id: str, make: Callable[[], Any]) -> None:
    future: Future[Any] = Future()

    def run() -> None:
        try:
            future.set_result(make())
        except Exception as error:  # handed to the run, which fails with it
            future.set_exception(error)

    with _lock:
        _PREPARING[job_id] = future
    threading.Thread(target=run, name=f"psi-prepare-{job_id}", daemon=True).start()


def take_prepared(job_id: str) -> Any | None:
    """The run's prepared owner side (waiting for it), once; None if none was started."""
    with _lock:
        future = _PREPARING.pop(job_id, None)
    return None if future is None else future.result()


def drop_prepared(job_id: str) -> None:
    """Forgets a run's preparation (failed or stopped run); a running one ends unused.

    What it made is closed if it can be (a secretflow set written to disk is
    removed), now or as soon as it is made.
    """
    with _lock:
        future = _PREPARING.pop(job_id, None)
    if future is not None:
        future.add_done_callback(_close_result)


def _close_result(future: Future[Any]) -> None:
    if future.exception() is None:
        close = getattr(future.result(), "close", None)
        if close is not None:
            close()
