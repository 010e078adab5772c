"""Leases: which process holds a running job or PSI run, and until when.

Workers and servers share one store. A process takes a job by writing its
holder id and an expiry in the transaction that marks the job running, and a
heartbeat renews the expiry while the process lives. Another process recovers a
running job only once its lease has expired: a live holder is never overtaken,
so no job runs twice and no live sandbox is reaped. A holder that lost its lease
(it stalled past the expiry and the job was recovered) must not write the job's
outcome: ``still_held`` is checked in the transaction that would.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from jobs import JobState
from sealroom.errors import SealroomError
from sealroom.store.database import transaction
from sealroom.store.job_records import JobRecord

_log = logging.getLogger(__name__)

#: A holder silent this long is gone; its running jobs may be recovered.
LEASE = timedelta(seconds=60)
#: Renewals per lease: a holder must miss several in a row before it is overtaken.
RENEWALS_PER_LEASE = 4


class LeaseLost(SealroomError):
    """This process no longer holds the job: another recovered it after the lease lapsed."""

    def __init__(self, job_id: str, holder: str) -> None:
        super().__init__(
            f"{job_id} is no longer held by {holder}: its lease lapsed and another process "
            "recovered it; this attempt's outcome is dropped, the job goes on there"
        )
        self.job_id = job_id


def new_holder_id() -> str:
    """Unique per process and room: host, pid and a random tag (pids are reused)."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(4)}"


def take(rec: JobRecord, holder: str, now: datetime) -> None:
    """Marks ``rec`` held by ``holder``, in the caller's transaction."""
    rec.lease_owner = holder
    rec.lease_expires_at = now + LEASE


def let_go(rec: JobRecord) -> None:
    """A job at rest is held by nobody."""
    rec.lease_owner = None
    rec.lease_expires_at = None


def holder_is_gone(rec: JobRecord, now: datetime) -> bool:
    """The job's holder is gone: its lease expired, it never had one, or it was a
    process of this machine that no longer exists (a killed worker's jobs are then
    recovered at once, not a lease later). A reused pid only delays recovery."""
    if rec.lease_owner is None or rec.lease_expires_at is None:
        return True
    if rec.lease_expires_at < now:
        return True
    host, _, rest = rec.lease_owner.partition(":")
    pid = rest.partition(":")[0]
    return host == socket.gethostname()[:40] and pid.isdigit() and not _alive(int(pid))


def _alive(pid: int) -> bool:
    return Path(f"/proc/{pid}").exists()


def seize(session: Session, rec: JobRecord) -> bool:
    """Takes a running job away from its gone holder, if no other process did first.

    Compared and set in one UPDATE (SQLite has no row locks): of several processes
    recovering the same job, exactly one sees it still held by the holder they all
    found gone.
    """
    owner = rec.lease_owner
    same_owner = (
        JobRecord.lease_owner.is_(None) if owner is None else JobRecord.lease_owner == owner
    )
    result = session.execute(
        update(JobRecord)
        .where(
            JobRecord.job_id == rec.job_id,
            JobRecord.state == JobState.RUNNING.value,
            same_owner,
        )
        .values(lease_owner=None, lease_expires_at=None)
        .execution_options(synchronize_session=False)
    )
    if not getattr(result, "rowcount", 0):
        return False
    session.refresh(rec)
    return True


def still_held(rec: JobRecord, holder: str) -> bool:
    return rec.state == JobState.RUNNING.value and rec.lease_owner == holder


def check_held(rec: JobRecord, holder: str) -> None:
    if not still_held(rec, holder):
        raise LeaseLost(rec.job_id, holder)


class Heartbeat:
    """Renews this process's leases on the jobs it holds, until closed.

    One thread per room, started on first use: a worker's job (``hold``/``drop``)
    and a server's open PSI runs (``also``) are renewed together, each renewal one
    UPDATE scoped to this holder.
    """

    def __init__(
        self,
        sessions: sessionmaker[Session],
        clock: Callable[[], datetime],
        also: Callable[[], Iterable[str]] = tuple,
        holder: str | None = None,
    ) -> None:
        self.holder = holder or new_holder_id()
        self._sessions = sessions
        self._clock = clock
        self._also = also
        self._jobs: set[str] = set()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def hold(self, job_id: str) -> None:
        with self._lock:
            self._jobs.add(job_id)
        self.start()

    def drop(self, job_id: str) -> None:
        with self._lock:
            self._jobs.discard(job_id)

    def start(self) -> None:
        with self._lock:
            if self._thread is None and not self._stop.is_set():
                self._thread = threading.Thread(
                    target=self._beat, name="sealroom-lease-heartbeat", daemon=True
                )
                self._thread.start()

    def renew(self) -> int:
        """Pushes the expiry of every job held here; returns how many were renewed."""
        with self._lock:
            ids = sorted(self._jobs.union(self._also()))
        if not ids:
            return 0
        with transaction(self._sessions) as session:
            result = session.execute(
                update(JobRecord)
                .where(
                    JobRecord.job_id.in_(ids),
                    JobRecord.lease_owner == self.holder,
                    JobRecord.state == JobState.RUNNING.value,
                )
                .values(lease_expires_at=self._clock() + LEASE)
            )
            return int(getattr(result, "rowcount", 0) or 0)

    def _beat(self) -> None:
        interval = LEASE.total_seconds() / RENEWALS_PER_LEASE
        while not self._stop.wait(interval):
            try:
                self.renew()
            except Exception:  # a store hiccup must not end the heartbeat; the next may do
                _log.warning("renewing the leases of %s failed", self.holder, exc_info=True)

    def close(self) -> None:
        self._stop.set()
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout=5)
