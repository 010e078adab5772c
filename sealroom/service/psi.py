"""PSI and PSI-sum as contract operations: the owner's side, run next to the data.

The partner's client (abroad) opens a run, then exchanges protocol messages; only
those messages' bytes cross the border. Every run is a job: it passes the gate
(active contract, the partner a recipient, the kind allowed, the quota, the
minimum partner set size), its final owner message is held as the job's output,
and it reaches the partner only through the same review and sealed release as any
job. Each run's leakage (set sizes, claimed intersection size, what aggregate)
goes to the audit log and the contract's leakage ledger.

The protocol itself is the run's (``jobs.psi.owner``), held by the room while it is
open (``Sealroom.psi_runs``); this module admits runs, passes them the partner's
messages, and stores or fails what they end with.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.orm import Session

from contracts import JobKind, PsiRevealMode, Role, RunMode, State
from jobs import JobEvent, JobState, PsiAsk
from jobs.psi import Finished, IdentifierKind, MalformedMessage, PsiAbort, max_message_bytes
from sealroom.errors import NotFound, PermissionDenied, WrongState
from sealroom.service.actors import Actor, acting_party
from sealroom.service.admission import admit
from sealroom.service.context import Sealroom
from sealroom.service.contract_state import require_in_force
from sealroom.service.contracts import ContractView, list_contracts, show_contract
from sealroom.service.job_records import add_job, load_job, store_outputs, transition
from sealroom.service.leases import holder_is_gone, let_go, seize, take
from sealroom.service.psi_runs import MessageInFlight
from sealroom.service.psi_shares import RunShares
from sealroom.store.database import transaction
from sealroom.store.job_records import JobRecord

PSI_KINDS = (JobKind.PSI, JobKind.PSI_SUM)
# A partner silent this long between its messages has gone: its run fails, and the
# owner-side state it held (PSI-sum keys and ciphertexts) is dropped.
PSI_STALL = timedelta(minutes=10)


@dataclass(frozen=True)
class PsiOpened:
    job_id: str
    kind: str
    mode: str | None
    key_column: str
    identifier_kind: IdentifierKind
    value_columns: tuple[str, ...]
    min_partner_set_size: int
    min_intersection_size: int
    engine: str = "openmined"
    protocol: str | None = None  # the secretflow engine's protocol


@dataclass(frozen=True)
class PsiReply:
    job_id: str
    state: JobState
    message: bytes | None  # the owner's next message, if the protocol has one


def open_psi(
    room: Sealroom,
    actor: Actor,
    contract_id: str,
    kind: JobKind,
    *,
    partner_set_size: int,
    mode: PsiRevealMode | None = None,
) -> PsiOpened:
    """Opens a PSI or PSI-sum run for the partner, after the gate and the set-size rule."""
    fail_stalled_runs(room)
    fail_abandoned_runs(room)
    view = show_contract(room, contract_id)
    shares = RunShares(room, view.contract, kind)  # refuses a kind the contract lacks
    partner, _ = acting_party(actor, view.contract, (Role.RECIPIENT,))
    engine = shares.engine
    job_id = _admit_run(
        room,
        actor,
        view,
        partner,
        kind,
        engine.key_column,
        partner_set_size=partner_set_size,
        mode=mode,
    )
    # The owner's share of the run (its set blinded, its records encrypted, or its key
    # column staged) is made while the partner works, or was made ahead.
    shares.open_run(job_id, ahead=True)
    return PsiOpened(
        job_id,
        kind.value,
        mode.value if mode else None,
        engine.key_column,
        shares.data.identifier_kind(),
        engine.value_columns,
        engine.rules.min_partner_set_size,
        engine.rules.min_intersection_size,
        engine.name,
        engine.protocol,
    )


def _admit_run(
    room: Sealroom,
    actor: Actor,
    view: ContractView,
    partner: str,
    kind: JobKind,
    key_column: str,
    *,
    partner_set_size: int,
    mode: PsiRevealMode | None,
) -> str:
    """The gate, as for any job, with the partner's ask: the new run's job id, running.

    A refused run stays recorded (``rejected_by_gate``) and its refusal is raised.
    """
    protocol = f"{kind.value}:{mode.value if mode else 'sum'}:{key_column}".encode()
    with transaction(room.sessions) as session:
        rec = add_job(
            session,
            view.contract,
            kind=kind,
            mode=RunMode.REAL,
            submitter=partner,
            code_name=f"{kind.value}-protocol",
            interpreter="none",
            code=protocol,
            now=room.clock(),
        )
        decision = admit(
            session,
            room,
            rec,
            view,
            actor=actor.name,
            role="recipient",
            # A tiny partner set turns PSI into a membership query: the gate judges it.
            psi=PsiAsk(partner_set_size, mode if kind is JobKind.PSI else None),
            detail={"partner_set_size": partner_set_size, "mode": mode.value if mode else "sum"},
        )
        if decision.admitted:
            rec.attempts = 1
            take(rec, room.leases().holder, room.clock())
            # What the partner announced bounds what its messages may weigh.
            rec.run_record = {"psi_ask": {"partner_set_size": partner_set_size}}
            transition(session, room, rec, JobEvent.STARTED, actor="sealroom", role="psi")
        job_id = rec.job_id
    decision.raise_if_refused()
    return job_id


def exchange_psi(room: Sealroom, actor: Actor, job_id: str, message: bytes) -> PsiReply:
    """Takes the partner's next protocol message and answers it (or holds the result)."""
    view, kind = _check_caller(room, actor, job_id)
    if PsiAbort.is_abort(message):
        return _abort(room, job_id, PsiAbort.from_bytes(message))
    try:
        if job_id not in room.psi_runs:
            # A run this process did not open makes its share now, as it answers, and
            # this process holds it from now on.
            _hold(room, job_id)
            RunShares(room, view.contract, kind).open_run(job_id, ahead=False)
        outcome = room.psi_runs.step(job_id, message)
        if isinstance(outcome, Finished):
            room.psi_runs.end(job_id)  # the next run's share may start
            return _store_run_outputs(room, job_id, outcome.files, outcome.leakage)
        room.psi_runs.answered(job_id)
        _touch(room, job_id)  # the stall clock restarts from the owner's reply
        return PsiReply(job_id, JobState.RUNNING, outcome)
    except MessageInFlight:
        raise  # the run goes on with the message it is answering
    except Exception as error:
        room.psi_runs.end(job_id)
        _fail(room, job_id, f"the protocol stopped: {error}")
        raise


def psi_message_cap(room: Sealroom, actor: Actor, job_id: str) -> int | None:
    """The most the partner's next message may weigh, before a byte of it is read.

    ``None`` for a run opened without an announced set size (its messages are
    bounded by the server's limit alone). Checks the caller as ``exchange_psi`` does,
    so a stranger learns no more from this than from a refused message.
    """
    _check_caller(room, actor, job_id)
    with room.sessions() as session:
        ask = (_running(session, job_id).run_record or {}).get("psi_ask") or {}
    size = ask.get("partner_set_size")
    return max_message_bytes(size) if isinstance(size, int) else None


def _check_caller(room: Sealroom, actor: Actor, job_id: str) -> tuple[ContractView, JobKind]:
    """The running run's contract and kind, if the actor is the partner who opened it."""
    with room.sessions() as session:
        rec = _running(session, job_id)
        kind, contract_ref = JobKind(rec.kind), (rec.contract_id, rec.contract_version)
    view = show_contract(room, *contract_ref)
    require_in_force(view, room.clock(), doing=f"take a message of PSI run {job_id}")
    party, _ = acting_party(actor, view.contract, (Role.RECIPIENT,))
    if party != rec.submitter:
        raise PermissionDenied(f"{job_id} belongs to {rec.submitter}, not {party}")
    return view, kind


def _running(session: Session, job_id: str) -> JobRecord:
    rec = session.get(JobRecord, job_id)
    if rec is None:
        raise NotFound("PSI run", job_id, "open one with `sealroom psi run`")
    if rec.kind not in [kind.value for kind in PSI_KINDS]:
        raise PermissionDenied(f"{job_id} is a {rec.kind} job, not a PSI run")
    if rec.state != JobState.RUNNING.value:
        raise WrongState(
            job_id, rec.state, "running", "a PSI run takes each message once; start a new run"
        )
    return rec


def _abort(room: Sealroom, job_id: str, abort: PsiAbort) -> PsiReply:
    if abort.session_id != job_id:
        raise MalformedMessage(PsiAbort.KIND, f"it names run {abort.session_id}, not {job_id}")
    room.psi_runs.end(job_id)
    _fail(room, job_id, f"the partner stopped the run: {abort.reason}")
    return PsiReply(job_id, JobState.FAILED, None)


def _hold(room: Sealroom, job_id: str) -> None:
    with transaction(room.sessions) as session:
        take(_running(session, job_id), room.leases().holder, room.clock())


def _touch(room: Sealroom, job_id: str) -> None:
    with transaction(room.sessions) as session:
        rec = session.get(JobRecord, job_id)
        if rec is not None:
            rec.updated_at = room.clock()


def _store_run_outputs(
    room: Sealroom, job_id: str, files: dict[str, bytes], leakage: dict[str, Any]
) -> PsiReply:
    """Stores the owner's final message as the job's output; it waits for review."""
    with transaction(room.sessions) as session:
        rec = load_job(session, job_id)
        store_outputs(session, room, rec, files, releasable=set(files))
        let_go(rec)
        rec.check_report = {
            "format": "sealroom.psi-leakage/v1",
            "leakage": leakage,
            "files": [
                {"name": name, "outcome": "passed", "passed": ["protocol"], "failures": []}
                for name in files
            ],
        }
        transition(
            session,
            room,
            rec,
            JobEvent.RUN_SUCCEEDED,
            actor="sealroom",
            role="psi",
            reason="protocol finished; the result waits for review",
            detail={"leakage": {k: v for k, v in leakage.items() if v is not None}},
        )
        return PsiReply(job_id, JobState(rec.state), None)


def _fail(room: Sealroom, job_id: str, reason: str) -> None:
    with transaction(room.sessions) as session:
        rec = session.get(JobRecord, job_id)
        if rec is not None and rec.state == JobState.RUNNING.value:
            _failed(session, room, rec, reason[:500])


def _failed(session: Session, room: Sealroom, rec: JobRecord, reason: str) -> None:
    let_go(rec)
    transition(session, room, rec, JobEvent.RUN_FAILED, actor="sealroom", role="psi", reason=reason)


def fail_stalled_runs(room: Sealroom, stall: timedelta = PSI_STALL) -> list[str]:
    """PSI runs whose partner went quiet mid-protocol: failed, nothing released.

    Swept whenever a run opens, so a partner that aborts holds no owner-side state
    (and no quota-counted run in limbo) for longer than ``stall``.
    """
    minutes = stall.total_seconds() / 60
    return _fail_running(
        room,
        f"the partner sent nothing for {minutes:g} minutes mid-protocol: nothing was "
        "released; run it again",
        JobRecord.updated_at < room.clock() - stall,
    )


def fail_abandoned_runs(room: Sealroom) -> list[str]:
    """PSI runs whose server is gone (its lease lapsed, or it died on this machine): their
    owner-side state died with it. A live server's runs, on this store, are left alone.

    Called when a server starts and whenever a run opens.
    """
    now = room.clock()
    failed = []
    with transaction(room.sessions) as session:
        for rec in session.scalars(_running_runs()):
            if rec.job_id in room.psi_runs or not holder_is_gone(rec, now):
                continue
            if not seize(session, rec):
                continue  # another server took it up first
            room.psi_runs.end(rec.job_id)
            _failed(session, room, rec, "the server holding the run stopped: run it again")
            failed.append(rec.job_id)
    return failed


def _running_runs(*where: ColumnElement[bool]) -> Select[JobRecord]:
    return select(JobRecord).where(
        JobRecord.state == JobState.RUNNING.value,
        JobRecord.kind.in_([kind.value for kind in PSI_KINDS]),
        *where,
    )


def _fail_running(room: Sealroom, reason: str, *where: ColumnElement[bool]) -> list[str]:
    """Fails the running PSI runs that ``where`` picks, dropping their owner-side state."""
    failed = []
    with transaction(room.sessions) as session:
        for rec in session.scalars(_running_runs(*where)):
            room.psi_runs.end(rec.job_id)
            _failed(session, room, rec, reason)
            failed.append(rec.job_id)
    return failed


def make_shares_ahead(
    room: Sealroom,
    *,
    contract_id: str | None = None,
    kinds: tuple[JobKind, ...] = PSI_KINDS,
) -> int:
    """Starts the owner's share of the next run of every active PSI contract.

    Called when the server starts (``psi_ahead``); afterwards each run that takes a
    share starts the next. ``contract_id`` and ``kinds`` narrow it down. Returns
    how many were started.
    """
    ahead = room.psi_ahead
    if ahead is None:
        return 0
    started = 0
    for view in list_contracts(room):
        if view.state is not State.ACTIVE or contract_id not in (None, view.contract.id):
            continue
        for kind in kinds:
            if view.contract.job_kinds.rules_for(kind) is None:
                continue
            shares = RunShares(room, view.contract, kind)
            key = shares.key()
            if key is not None:
                ahead.make(key, shares.make)
                started += 1
    return started
