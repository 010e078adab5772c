"""When a contract stops being in force, the work under it stops, and its key goes.

A contract ends when a party revokes it (``contracts.record_step`` calls
``stop_work_under`` as soon as the revocation is committed) or when its
validity window closes (nobody acts then: ``sweep_ended_contracts``, run by
every worker between jobs, notices it, and so does every later check, which
refuses through ``contract_state.require_in_force``). Stopping the work means:

1. every job of the contract version not yet decided (submitted, queued,
   running, awaiting review) is cancelled, with the reason in its audit event;
   a running job loses its lease, so the worker running it drops its outcome
   (``leases.check_held`` refuses the write), and its container is removed;
   a PSI run held by this process is ended;
2. the contract's KEK is destroyed (``contract_keys.shred_contract_key``), so its
   stored outputs and dataset grants can never be decrypted again.

Both steps are idempotent: sweeping an ended contract twice changes nothing.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from contracts import JobKind, State
from jobs import JobEvent, JobState
from sandbox import reap_run
from sealroom.service.context import Sealroom
from sealroom.service.contract_keys import kek_id_for, shred_contract_key
from sealroom.service.contract_state import why_not_in_force
from sealroom.service.contracts import show_contract
from sealroom.service.job_records import load_job, transition
from sealroom.service.jobs import JobView, job_view
from sealroom.service.leases import let_go, still_held
from sealroom.service.recording import record
from sealroom.store.contract_records import ContractRecord
from sealroom.store.database import transaction
from sealroom.store.job_records import JobRecord

SWEEPER = "sealroom-contract-sweep"
#: Jobs with nothing decided yet: these stop when their contract ends.
UNDECIDED = (
    JobState.SUBMITTED,
    JobState.QUEUED,
    JobState.RUNNING,
    JobState.AWAITING_REVIEW,
)
_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StoppedWork:
    contract_id: str
    version: int
    reason: str
    cancelled: tuple[str, ...]  # job ids, oldest first
    key_destroyed: bool
    reaped: tuple[str, ...] = ()  # containers of cancelled running jobs, removed

    @property
    def changed(self) -> bool:
        return bool(self.cancelled or self.key_destroyed)


def stop_work_under(room: Sealroom, contract_id: str, version: int, *, reason: str) -> StoppedWork:
    """Cancels the undecided jobs of the contract version and destroys its KEK."""
    runs: list[str] = []
    cancelled: list[str] = []
    with transaction(room.sessions) as session:
        for rec in session.scalars(
            select(JobRecord)
            .where(
                JobRecord.contract_id == contract_id,
                JobRecord.contract_version == version,
                JobRecord.state.in_([state.value for state in UNDECIDED]),
            )
            .order_by(JobRecord.created_at)
        ):
            if rec.state == JobState.RUNNING.value and rec.kind == JobKind.SCRIPT.value:
                runs.append(f"{rec.job_id}-{rec.attempts}")
            let_go(rec)
            transition(
                session, room, rec, JobEvent.CANCEL, actor=SWEEPER, role="platform", reason=reason
            )
            cancelled.append(rec.job_id)
    for job_id in cancelled:
        room.psi_runs.end(job_id)  # a PSI run held by this process (a server) ends now
    key_destroyed = shred_contract_key(room, contract_id, version)
    stopped = StoppedWork(
        contract_id, version, reason, tuple(cancelled), key_destroyed, _reap(runs)
    )
    if stopped.changed:
        with transaction(room.sessions) as session:
            record(
                session,
                at=room.clock(),
                actor=SWEEPER,
                role="platform",
                action="contract.work_stopped",
                subject={"contract": contract_id, "version": str(version)},
                contract=contract_id,
                detail={
                    "reason": reason,
                    "cancelled": list(stopped.cancelled),
                    "key_destroyed": key_destroyed,
                    "kek": kek_id_for(contract_id, version),
                },
            )
    return stopped


def _reap(runs: list[str]) -> tuple[str, ...]:
    """Removes the containers of cancelled runs; a bubblewrap run is dropped by its worker."""
    reaped: list[str] = []
    for run_id in runs:
        try:
            reaped.extend(reap_run(run_id))
        except Exception:  # the engine failing must not undo the cancellation
            _log.warning("removing the container of %s failed", run_id, exc_info=True)
    return tuple(reaped)


def why_ended(room: Sealroom, contract_id: str, version: int) -> str | None:
    """Why the contract version has ended (revoked, or past its window); ``None`` if not.

    A contract not yet in force (waiting for approvals) has not ended: nothing under
    it ever started.
    """
    view = show_contract(room, contract_id, version)
    if view.state not in (State.REVOKED, State.EXPIRED):
        return None
    return why_not_in_force(view, room.clock())


def stop_if_ended(room: Sealroom, contract_id: str, version: int) -> StoppedWork | None:
    """Stops the work under the contract version if it has ended."""
    reason = why_ended(room, contract_id, version)
    if reason is None:
        return None
    return stop_work_under(room, contract_id, version, reason=reason)


def cancel_if_ended(session: Session, room: Sealroom, rec: JobRecord) -> str | None:
    """At claim: cancels ``rec`` in the caller's transaction if its contract has ended
    (or is otherwise not in force), and returns why; ``None`` means it may start.

    The rest of the contract's work stops at the next sweep (this transaction is the
    claim's own, so nothing else is written here).
    """
    view = show_contract(room, rec.contract_id, rec.contract_version)
    reason = why_not_in_force(view, room.clock())
    if reason is None:
        return None
    let_go(rec)
    transition(session, room, rec, JobEvent.CANCEL, actor=SWEEPER, role="platform", reason=reason)
    return reason


def stop_job_if_ended(room: Sealroom, job_id: str) -> JobView | None:
    """The worker's check between steps of a running job: if the job's contract has
    ended (or the job was cancelled meanwhile), the work under it stops and the
    job, now cancelled, is returned; ``None`` means go on."""
    with room.sessions() as session:
        rec = load_job(session, job_id)
        ref = (rec.contract_id, rec.contract_version)
    if stop_if_ended(room, *ref) is None:
        return None
    with room.sessions() as session:
        return job_view(session, load_job(session, job_id))


@dataclass
class RunWatch:
    """Asked by the sandbox supervisor while a job runs: should the run stop now?

    Yes once this worker no longer holds the job (the revocation cancelled it, or
    another process recovered it), or once its contract has ended (an expiry
    nobody swept yet: the work under it is stopped here). The store is asked at
    most every ``every`` seconds; the supervisor asks five times a second.
    """

    room: Sealroom
    job_id: str
    every: float = 1.0
    _next: float = field(default=0.0, repr=False)

    def __call__(self) -> bool:
        now = time.monotonic()
        if now < self._next:
            return False
        self._next = now + self.every
        with self.room.sessions() as session:
            rec = load_job(session, self.job_id)
            held = still_held(rec, self.room.leases().holder)
            ref = (rec.contract_id, rec.contract_version)
        if not held:
            return True
        return stop_if_ended(self.room, *ref) is not None


def sweep_ended_contracts(room: Sealroom) -> list[StoppedWork]:
    """Stops the work under every contract version that has ended (expired, or revoked
    without its work stopped, e.g. the revoking process died): run between jobs."""
    with room.sessions() as session:
        refs = session.execute(select(ContractRecord.contract_id, ContractRecord.version)).all()
    stopped = []
    for contract_id, version in sorted(refs):
        try:
            outcome = stop_if_ended(room, contract_id, version)
        except Exception:  # one unreadable contract must not stop the sweep of the others
            _log.exception("stopping the work under %s v%s failed", contract_id, version)
            continue
        if outcome is not None and outcome.changed:
            stopped.append(outcome)
    return stopped
