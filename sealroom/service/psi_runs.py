"""The owner's open PSI runs in this process, by job id: held by the room, closed with it.

Each open run is an ``OwnerRun`` (its keys, ciphertexts, staged set or party
process) and, with ``psi_ahead``, the share to make for the contract's next run
once this run's owner work is over (done or failed), so the two never compete.
Owner-side state lives in this process only: a server restarted mid-run fails
the run cleanly (``psi.fail_abandoned_runs``), and the partner starts again.
"""

from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sealroom.errors import WrongState

if TYPE_CHECKING:
    from jobs.psi.owner import Finished, OwnerRun
    from sealroom.service.psi_ahead import PsiAhead, ShareKey, ShareMaker


class MessageInFlight(WrongState):
    """A partner message arrived while the run was still answering the previous one."""

    def __init__(self, job_id: str) -> None:
        super().__init__(
            job_id,
            "answering a message",
            "waiting for one",
            "send each protocol message once, and the next only after the owner's reply",
        )


@dataclass(frozen=True)
class NextShare:
    """The share a run starts for the contract's next run when its own work is over."""

    ahead: PsiAhead
    key: ShareKey
    maker: ShareMaker

    def start(self) -> None:
        self.ahead.make(self.key, self.maker)


@dataclass
class _OpenRun:
    run: OwnerRun
    next_share: NextShare | None
    # The owner answered a message and waits for the partner's next: mid-protocol.
    mid_protocol: bool = False
    # One message at a time: a run's steps change its state and are not reentrant.
    stepping: threading.Lock = field(default_factory=threading.Lock)


class PsiRuns:
    """Thread-safe: request threads open, step and end runs side by side."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._runs: dict[str, _OpenRun] = {}
        self._closed = False

    def add(self, job_id: str, run: OwnerRun, next_share: NextShare | None = None) -> OwnerRun:
        """Holds a newly opened run and returns the run held for ``job_id``.

        The first run opened for a job is the one held: a second, opened by a request
        racing the first, is closed at once (its keys and staged set with it), as is
        any run opened after the room closed.
        """
        with self._lock:
            held = self._runs.get(job_id)
            if held is None and not self._closed:
                self._runs[job_id] = _OpenRun(run, next_share)
                return run
        run.close()
        if held is None:
            raise WrongState(job_id, "closing", "open", "the server is stopping; run it again")
        return held.run

    def step(self, job_id: str, message: bytes) -> bytes | Finished:
        """The held run's answer to one partner message, one message at a time.

        A message that arrives while the run is answering another is refused, not
        queued: the partner sends each message once, the next after the owner's reply.
        """
        with self._lock:
            held = self._runs.get(job_id)
        if held is None:
            raise WrongState(job_id, "not open here", "open", "open a new run")
        if not held.stepping.acquire(blocking=False):
            raise MessageInFlight(job_id)
        try:
            return held.run.step(message)
        finally:
            held.stepping.release()

    def get(self, job_id: str) -> OwnerRun | None:
        with self._lock:
            held = self._runs.get(job_id)
        return None if held is None else held.run

    def job_ids(self) -> list[str]:
        """The runs held open here (their leases are this process's to renew)."""
        with self._lock:
            return list(self._runs)

    def __contains__(self, job_id: object) -> bool:
        with self._lock:
            return job_id in self._runs

    def answered(self, job_id: str) -> None:
        """The run sent its reply and now holds state until the partner's next message."""
        with self._lock:
            held = self._runs.get(job_id)
            if held is not None:
                held.mid_protocol = True

    def mid_protocol(self) -> list[str]:
        """Runs whose owner answered and waits: the ones whose state is alive here."""
        with self._lock:
            return [job_id for job_id, held in self._runs.items() if held.mid_protocol]

    def next_share(self, job_id: str) -> ShareKey | None:
        """The key of the share this run starts when it ends, if any."""
        with self._lock:
            held = self._runs.get(job_id)
        return None if held is None or held.next_share is None else held.next_share.key

    def end(self, job_id: str) -> None:
        """The run's owner work is over (done, failed or stopped): its state is dropped
        and the next run's share may start. Idempotent."""
        with self._lock:
            held = self._runs.pop(job_id, None)
        if held is None:
            return
        try:
            held.run.close()
        finally:
            if held.next_share is not None:
                held.next_share.start()

    def close(self) -> None:
        """Drops every run's state with the room; no next share is started."""
        with self._lock:
            self._closed = True
            held, self._runs = list(self._runs.values()), {}
        for each in held:
            # One run failing to close must not leave another's keys or party behind.
            with contextlib.suppress(Exception):
                each.run.close()
