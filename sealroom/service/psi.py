"""PSI and PSI-sum as contract operations: the owner's side, run next to the data.

The partner's client (abroad) opens a run, then exchanges protocol messages; only
those messages' bytes cross the border. Every run is a job: it passes the gate
(active contract, the partner a recipient, the kind allowed, the quota, the
minimum partner set size), its final owner message is held as the job's output,
and it reaches the partner only through the same review and sealed release as any
job. Each run's leakage (set sizes, claimed intersection size, what aggregate)
goes to the audit log and the contract's leakage ledger.

Owner-side protocol state lives in this process only: a server restarted mid-run
fails the run cleanly (``recover_jobs``), and the partner starts again.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from uuid import uuid4

import pyarrow.parquet as pq
from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from contracts import (
    ContractError,
    JobKind,
    JobKindNotAllowed,
    PsiEngineKind,
    PsiRevealMode,
    PsiRules,
    PsiSumRules,
    Role,
    RunMode,
    State,
    check_psi_request,
)
from jobs import JobEvent, JobState, Submission, code_hash, decide
from jobs.psi import (
    IdentifierKind,
    MalformedMessage,
    MaskedSums,
    NormalisedIds,
    OpenMinedEngine,
    OwnerValues,
    PartnerHello,
    PsiAbort,
    PsiLimits,
    PsiRequest,
    PsiSumOwner,
    blind_owner_set,
    distinct_ids,
    prepare_records,
)
from jobs.psi.normalise_column import normalise_column
from jobs.psi.secretflow import StagedSet
from sealroom.errors import NotFound, PermissionDenied, WrongState
from sealroom.service.actors import Actor
from sealroom.service.blobs import new_data_key, sha256, write_blob
from sealroom.service.context import Sealroom
from sealroom.service.contracts import acting_party, list_contracts, show_contract
from sealroom.service.datasets import open_dataset_reader, show_dataset
from sealroom.service.jobs import runs_used, transition
from sealroom.service.psi_ahead import PsiAhead, ShareKey, ShareMaker, share_from
from sealroom.service.psi_prepare import drop_prepared, prepare_in_background, take_prepared
from sealroom.service.psi_runners import psi_runner
from sealroom.service.psi_secretflow import abandon as abandon_secretflow
from sealroom.service.psi_secretflow import secretflow_step
from sealroom.store.database import transaction
from sealroom.store.job_records import JobOutputRecord, JobRecord

DETECTOR_KINDS = {
    "mobile_cn": IdentifierKind.MOBILE,
    "email": IdentifierKind.EMAIL,
    "resident_id_cn": IdentifierKind.CN_RESIDENT_ID,
}
PSI_OUTPUTS = {
    JobKind.PSI: ("psi-setup.bin", "psi-response.bin"),
    JobKind.PSI_SUM: ("psi-sum-totals.bin",),
}
OWNER_SET_CAP = 10_000_000
# A partner silent this long between its messages has gone: its run fails, and the
# owner-side state it held (PSI-sum keys and ciphertexts) is dropped.
PSI_STALL = timedelta(minutes=10)

# Owner-side PSI-sum parties (and the partner's set size) between the partner's two
# messages, by job id.
_SESSIONS: dict[str, tuple[PsiSumOwner, int]] = {}
# The share to make ahead for the run after each open one (``psi_ahead``), by job id.
_NEXT_SHARES: dict[str, tuple[PsiAhead, ShareKey, ShareMaker]] = {}


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


def _rules(room: Sealroom, contract_id: str, kind: JobKind) -> tuple[Any, PsiRules | PsiSumRules]:
    view = show_contract(room, contract_id)
    rules = view.contract.job_kinds.rules_for(kind)
    if not isinstance(rules, PsiRules | PsiSumRules):
        raise JobKindNotAllowed(
            f"{view.ref} does not allow {kind.value} runs: ask the owner "
            "to propose a version that does"
        )
    return view, rules


def _identifier_kind(dataset: str, column: str, room: Sealroom) -> IdentifierKind:
    for c in show_dataset(room, dataset).columns:
        if c.name == column:
            return DETECTOR_KINDS.get(c.detector or "", IdentifierKind.PLAIN)
    raise NotFound("column", f"{dataset}.{column}")


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
    view, rules = _rules(room, contract_id, kind)
    partner, _ = acting_party(actor, view.contract, (Role.RECIPIENT,))
    dataset, column = rules.key_columns[0].split(".", 1)
    values = tuple(rules.value_columns) if isinstance(rules, PsiSumRules) else ()
    job_id = f"j-{uuid4().hex[:10]}"
    now = room.clock()
    protocol = f"{kind.value}:{mode.value if mode else 'sum'}:{rules.key_columns[0]}".encode()
    with transaction(room.sessions) as session:
        rec = JobRecord(
            job_id=job_id,
            contract_id=view.contract.id,
            contract_version=view.contract.version,
            kind=kind.value,
            mode=RunMode.REAL.value,
            submitter=partner,
            code_name=f"{kind.value}-protocol",
            interpreter="none",
            code=protocol,
            code_hash=code_hash(protocol),
            state=JobState.SUBMITTED.value,
            created_at=now,
            updated_at=now,
        )
        session.add(rec)
        session.flush()
        decision = decide(
            view.contract,
            view.status,
            Submission(job_id, partner, kind, RunMode.REAL, rec.code_hash),
            now=now,
            runs_used={kind: runs_used(session, view.contract.id, kind, RunMode.REAL) - 1},
            approved_code_hashes=frozenset(),
        )
        refusal: Exception | None = decision.refusal
        if refusal is None:
            try:
                # A tiny partner set turns PSI into a membership query: part of the gate.
                check_psi_request(
                    view.contract,
                    kind=kind,
                    partner_set_size=partner_set_size,
                    reveal=mode if kind is JobKind.PSI else None,
                )
            except ContractError as error:
                refusal = error
        event = JobEvent.GATE_PASSED if refusal is None else JobEvent.GATE_REFUSED
        transition(
            session,
            room,
            rec,
            event,
            actor=actor.name,
            role="recipient",
            reason="" if refusal is None else str(refusal),
            detail={"partner_set_size": partner_set_size, "mode": mode.value if mode else "sum"},
        )
        if refusal is None:
            rec.attempts = 1
            transition(session, room, rec, JobEvent.STARTED, actor="sealroom", role="psi")
    if refusal is not None:
        raise refusal
    # The owner's share of the run (its set blinded, its records encrypted, or its key
    # column staged) is made while the partner works, or was made ahead.
    maker = _share_maker(room, rules)
    made = None
    share_key = _share_key(room, view.contract, kind, dataset) if room.psi_ahead else None
    if room.psi_ahead is not None and share_key is not None:
        made = room.psi_ahead.take(share_key)
        # A share serves one run only: the next run's is made once this run's owner
        # work is over (``_start_next_share``), so the two never compete.
        _NEXT_SHARES[job_id] = (room.psi_ahead, share_key, maker)

    def prepare() -> Any:
        # The runner is made now, even for a share made ahead, so its workers are up
        # when the partner's set arrives; a cluster that cannot be reached fails the
        # run at its next message, like any failed preparation.
        runner = psi_runner(room)
        return _for_run(rules, share_from(made) or maker(runner))

    prepare_in_background(job_id, prepare)
    return PsiOpened(
        job_id,
        kind.value,
        mode.value if mode else None,
        f"{dataset}.{column}",
        _identifier_kind(dataset, column, room),
        values,
        rules.min_partner_set_size,
        rules.min_intersection_size,
        *_engine_of(rules),
    )


def _engine_of(rules: PsiRules | PsiSumRules) -> tuple[str, str | None]:
    if isinstance(rules, PsiRules) and rules.engine is PsiEngineKind.SECRETFLOW:
        return rules.engine.value, rules.secretflow_protocol.value
    return PsiEngineKind.OPENMINED.value, None


def _owner_table(room: Sealroom, dataset: str, columns: list[str]) -> Any:
    view = show_dataset(room, dataset)
    reader, blob = open_dataset_reader(room, view)
    try:
        return pq.read_table(io.BytesIO(reader.read()), columns=columns)
    finally:
        blob.close()


def exchange_psi(room: Sealroom, actor: Actor, job_id: str, message: bytes) -> PsiReply:
    """Takes the partner's next protocol message and answers it (or holds the result)."""
    with room.sessions() as session:
        rec = _running(session, job_id)
        kind, contract_ref = JobKind(rec.kind), (rec.contract_id, rec.contract_version)
    view = show_contract(room, *contract_ref)
    party, _ = acting_party(actor, view.contract, (Role.RECIPIENT,))
    if party != rec.submitter:
        raise PermissionDenied(f"{job_id} belongs to {rec.submitter}, not {party}")
    rules = view.contract.job_kinds.rules_for(kind)
    assert isinstance(rules, PsiRules | PsiSumRules)
    if PsiAbort.is_abort(message):
        return _abort(room, job_id, PsiAbort.from_bytes(message))
    try:
        if isinstance(rules, PsiRules) and rules.engine is PsiEngineKind.SECRETFLOW:
            reply, link_leakage = secretflow_step(
                job_id,
                rules,
                message,
                lambda: take_prepared(job_id) or _owner_ids(room, rules).ids,
            )
            if link_leakage is None:
                _touch(room, job_id)
                return PsiReply(job_id, JobState.RUNNING, reply)
            return _hold(
                room, job_id, {"psi-link-report.json": _report(link_leakage)}, link_leakage
            )
        if kind is JobKind.PSI:
            request = PsiRequest.from_bytes(message)
            # The gate saw the size the partner announced; this is the set it sent.
            check_psi_request(
                view.contract, kind=kind, partner_set_size=request.size, reveal=request.mode
            )
            owner = OpenMinedEngine(psi_runner(room)).owner_session(
                job_id, PsiLimits.from_rules(rules)
            )
            blinded = take_prepared(job_id) or _share_maker(room, rules)(psi_runner(room))
            setup = owner.setup(blinded, request.size, request.mode)
            response = owner.process_request(request)
            leakage: dict[str, Any] = {
                "owner_set_size": setup.owner_set_size,
                "partner_set_size": request.size,
                "mode": request.mode.value,
                "partner_learns": "intersection size and owner set size"
                + (
                    ", and which of its rows match"
                    if request.mode is PsiRevealMode.INTERSECTION
                    else ""
                ),
                "owner_learns": "the partner set size",
            }
            return _hold(
                room,
                job_id,
                {"psi-setup.bin": setup.to_bytes(), "psi-response.bin": response.to_bytes()},
                leakage,
            )
        if job_id not in _SESSIONS:
            hello = PartnerHello.from_bytes(message)
            check_psi_request(view.contract, kind=kind, partner_set_size=len(hello.points))
            owner_sum = PsiSumOwner(
                job_id,
                PsiLimits.from_rules(rules),
                take_prepared(job_id) or _owner_values(room, rules),
                runner=psi_runner(room),
            )
            reply = owner_sum.reply(hello).to_bytes()
            _SESSIONS[job_id] = (owner_sum, len(hello.points))
            _touch(room, job_id)  # the stall clock restarts from the owner's reply
            return PsiReply(job_id, JobState.RUNNING, reply)
        owner_sum, partner_size = _SESSIONS.pop(job_id)
        totals = owner_sum.reveal(MaskedSums.from_bytes(message))
        assert isinstance(rules, PsiSumRules)
        leakage = {
            "partner_set_size": partner_size,
            "claimed_intersection_size": owner_sum.claimed_intersection_size,
            "aggregate": [f"{s.value}({c})" for s in rules.statistics for c in rules.value_columns],
            "partner_learns": "sum, count and mean over the intersection, owner set size",
            "owner_learns": "the intersection size the partner claims",
        }
        return _hold(room, job_id, {"psi-sum-totals.bin": totals.to_bytes()}, leakage)
    except Exception as error:
        _forget(job_id)
        _fail(room, job_id, f"the protocol stopped: {error}")
        raise


def _owner_ids(room: Sealroom, rules: PsiRules | PsiSumRules) -> NormalisedIds:
    """The owner's key column, decrypted and normalised: the set it brings to the run."""
    dataset, column, identifier_kind = _owner_ids_column(room, rules)
    table = _owner_table(room, dataset, [column])
    return distinct_ids(
        normalise_column(
            table.column(column), identifier_kind, cap=OWNER_SET_CAP, label=f"{dataset}.{column}"
        )
    )


def _report(leakage: dict[str, Any]) -> bytes:
    # The partner already holds its result; the job's output is the run's record.
    return json.dumps(leakage, sort_keys=True).encode()


def _owner_ids_column(room: Sealroom, rules: PsiRules | PsiSumRules) -> tuple[str, str, Any]:
    dataset, column = rules.key_columns[0].split(".", 1)
    return dataset, column, _identifier_kind(dataset, column, room)


def _owner_values(room: Sealroom, rules: PsiRules | PsiSumRules) -> OwnerValues:
    """The owner's PSI-sum records: normalised keys with their value columns."""
    assert isinstance(rules, PsiSumRules)
    dataset, column, identifier_kind = _owner_ids_column(room, rules)
    value_columns = [ref.split(".", 1)[1] for ref in rules.value_columns]
    table = _owner_table(room, dataset, [column, *value_columns])
    keys = normalise_column(
        table.column(column), identifier_kind, cap=OWNER_SET_CAP, label=f"{dataset}.{column}"
    )
    return OwnerValues.from_columns(
        keys.keys, {name: table.column(name).to_pylist() for name in value_columns}
    )


def _share_maker(room: Sealroom, rules: PsiRules | PsiSumRules) -> ShareMaker:
    """What makes the owner's share of a run under these rules (``psi_ahead``)."""
    if isinstance(rules, PsiSumRules):
        return lambda runner: prepare_records(_owner_values(room, rules), runner)
    if rules.engine is PsiEngineKind.SECRETFLOW:
        return lambda _: _owner_ids(room, rules).ids
    return lambda runner: blind_owner_set(_owner_ids(room, rules).ids, runner)


def _for_run(rules: PsiRules | PsiSumRules, share: Any) -> Any:
    """What the run takes from its share: secretflow's set written out for its party.

    A share made ahead stays in memory: the owner's identifiers reach the disk, for
    spu to read, only once a run is open, like a job's decrypted inputs.
    """
    if isinstance(rules, PsiRules) and rules.engine is PsiEngineKind.SECRETFLOW:
        return StagedSet(share)
    return share


def _share_key(room: Sealroom, contract: Any, kind: JobKind, dataset: str) -> ShareKey | None:
    """The key of a share made ahead; None for a dataset too large to keep one of.

    A PSI-sum share of a million records is a million Paillier ciphertexts, about a
    gigabyte held until its run comes: ``psi_ahead_max_rows`` bounds that.
    """
    view = show_dataset(room, dataset)
    if view.row_count > room.settings.psi_ahead_max_rows:
        return None
    return ShareKey(contract.id, contract.version, kind.value, dataset, view.version)


def _running(session: Session, job_id: str) -> JobRecord:
    rec = session.get(JobRecord, job_id)
    if rec is None:
        raise NotFound("PSI run", job_id, "open one with `sealroom psi run`")
    if rec.kind not in (JobKind.PSI.value, JobKind.PSI_SUM.value):
        raise PermissionDenied(f"{job_id} is a {rec.kind} job, not a PSI run")
    if rec.state != JobState.RUNNING.value:
        raise WrongState(
            job_id, rec.state, "running", "a PSI run takes each message once; start a new run"
        )
    return rec


def _forget(job_id: str) -> None:
    """Drops every piece of owner-side state a run holds: keys, ciphertexts, processes."""
    _SESSIONS.pop(job_id, None)
    drop_prepared(job_id)
    abandon_secretflow(job_id)
    _start_next_share(job_id)


def _start_next_share(job_id: str) -> None:
    """The run's owner work is over (done or failed): the next run's share may start."""
    following = _NEXT_SHARES.pop(job_id, None)
    if following is not None:
        ahead, key, maker = following
        ahead.make(key, maker)


def _abort(room: Sealroom, job_id: str, abort: PsiAbort) -> PsiReply:
    if abort.session_id != job_id:
        raise MalformedMessage(PsiAbort.KIND, f"it names run {abort.session_id}, not {job_id}")
    _forget(job_id)
    _fail(room, job_id, f"the partner stopped the run: {abort.reason}")
    return PsiReply(job_id, JobState.FAILED, None)


def _touch(room: Sealroom, job_id: str) -> None:
    with transaction(room.sessions) as session:
        rec = session.get(JobRecord, job_id)
        if rec is not None:
            rec.updated_at = room.clock()


def _hold(
    room: Sealroom, job_id: str, files: dict[str, bytes], leakage: dict[str, Any]
) -> PsiReply:
    """Stores the owner's final message as the job's output; it waits for review."""
    _start_next_share(job_id)
    with transaction(room.sessions) as session:
        rec = session.get(JobRecord, job_id)
        assert rec is not None
        key = new_data_key(session, room, f"sealroom/job-outputs/{job_id}")
        session.flush()
        rec.output_key_id = key.key_id
        for name, data in files.items():
            session.add(
                JobOutputRecord(
                    job_id=job_id,
                    name=name,
                    sha256=sha256(data),
                    size=len(data),
                    blob_name=write_blob(room, key, f"{job_id}/{name}", data, f"out-{job_id}"),
                    releasable=True,
                )
            )
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
            transition(
                session,
                room,
                rec,
                JobEvent.RUN_FAILED,
                actor="sealroom",
                role="psi",
                reason=reason[:500],
            )


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
    """At server start: PSI runs whose owner-side state died with the previous process."""
    return _fail_running(
        room,
        "the server restarted during the protocol: run it again",
        JobRecord.job_id.not_in(list(_SESSIONS)),
    )


def _fail_running(room: Sealroom, reason: str, *where: ColumnElement[bool]) -> list[str]:
    """Fails the running PSI runs that ``where`` picks, dropping their owner-side state."""
    failed = []
    with transaction(room.sessions) as session:
        for rec in session.scalars(
            select(JobRecord).where(
                JobRecord.state == JobState.RUNNING.value,
                JobRecord.kind.in_([JobKind.PSI.value, JobKind.PSI_SUM.value]),
                *where,
            )
        ):
            _forget(rec.job_id)
            transition(
                session,
                room,
                rec,
                JobEvent.RUN_FAILED,
                actor="sealroom",
                role="psi",
                reason=reason,
            )
            failed.append(rec.job_id)
    return failed


def make_shares_ahead(
    room: Sealroom,
    *,
    contract_id: str | None = None,
    kinds: tuple[JobKind, ...] = (JobKind.PSI, JobKind.PSI_SUM),
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
            rules = view.contract.job_kinds.rules_for(kind)
            if not isinstance(rules, PsiRules | PsiSumRules):
                continue
            dataset = rules.key_columns[0].split(".", 1)[0]
            key = _share_key(room, view.contract, kind, dataset)
            if key is not None:
                ahead.make(key, _share_maker(room, rules))
                started += 1
    return started
