"""The worker: takes queued jobs, runs them in the sandbox, checks real outputs.

Each step is persisted before its effect: ``running`` (with the attempt counted)
is committed before the sandbox starts, and the outcome is committed only after
the outputs are stored. A worker killed at any point leaves a job that
``recover_jobs`` re-queues (or fails, after too many attempts); nothing is ever
released here: release needs the review quorum (``reviews``).
"""

from __future__ import annotations

import logging
import os
import shutil
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
from sqlalchemy import select, update

from contracts import Contract, JobKind, RunMode
from jobs import (
    JobEvent,
    JobState,
    recover,
)
from sandbox import (
    Interpreter,
    JobSpec,
    Leftovers,
    Limits,
    Mode,
    RunRecord,
    RunVolume,
    close_volume,
    default_work_root,
    open_volume,
    owner_tag,
    reap_run,
    run_job,
    select_backend,
    sweep_leftovers,
)
from sealroom.service.code_approvals import code_refusal
from sealroom.service.context import Sealroom
from sealroom.service.contract_ending import RunWatch, cancel_if_ended, stop_job_if_ended
from sealroom.service.contract_keys import open_dataset_under
from sealroom.service.contracts import show_contract
from sealroom.service.datasets import show_dataset
from sealroom.service.job_records import load_job, store_outputs, transition
from sealroom.service.jobs import JobView, job_view
from sealroom.service.leases import (
    LeaseLost,
    check_held,
    holder_is_gone,
    let_go,
    seize,
    still_held,
    take,
)
from sealroom.service.samples import debug_sample_file
from sealroom.store.database import transaction
from sealroom.store.job_records import JobRecord

WORKER = "sealroom-worker"
_log = logging.getLogger(__name__)
CODE_BYTES_BOUND = 16 * 1024 * 1024


@dataclass(frozen=True)
class RecoveredJob:
    job_id: str
    event: str
    reason: str
    reaped: tuple[str, ...] = ()  # containers the lost attempt left running, now removed


def _claim(room: Sealroom, job_id: str | None) -> tuple[str, Contract] | None:
    """Marks one queued job running and held by this process (committed before anything
    runs) and returns it.

    The state is compared and set in one UPDATE: with several workers on one store
    (SQLite has no row locks to skip), the one whose UPDATE finds the job still
    queued has it; the others look again.
    """
    holder = room.leases().holder
    while True:
        with transaction(room.sessions) as session:
            query = select(JobRecord.job_id).where(
                JobRecord.state == JobState.QUEUED.value, JobRecord.kind == JobKind.SCRIPT.value
            )
            if job_id is not None:
                query = query.where(JobRecord.job_id == job_id)
            candidate = session.scalars(
                query.order_by(JobRecord.created_at).limit(1).with_for_update(skip_locked=True)
            ).first()
            if candidate is None:
                return None
            taken = session.execute(
                update(JobRecord)
                .where(JobRecord.job_id == candidate, JobRecord.state == JobState.QUEUED.value)
                .values(lease_owner=holder)
            )
            if not getattr(taken, "rowcount", 0):
                continue  # another worker took it between our look and our write
            rec = load_job(session, candidate)
            if cancel_if_ended(session, room, rec) is not None:
                continue  # its contract is revoked or expired: cancelled, never started
            rec.attempts += 1
            take(rec, holder, room.clock())
            transition(
                session,
                room,
                rec,
                JobEvent.STARTED,
                actor=WORKER,
                role="worker",
                detail={"attempt": rec.attempts, "holder": holder},
            )
            claimed = rec.job_id
            contract_ref = (rec.contract_id, rec.contract_version)
        room.leases().hold(claimed)
        try:
            contract = show_contract(room, *contract_ref).contract
        except Exception as error:  # a contract the store cannot give: that job fails
            room.leases().drop(claimed)
            _fail_held(room, claimed, f"its contract could not be read: {_describe(error)}")
            return None
        return claimed, contract


def run_next_job(room: Sealroom, job_id: str | None = None) -> JobView | None:
    """Runs the oldest queued job (or ``job_id``) to its next resting state.

    Whatever goes wrong in one job (an unreadable output, a corrupted blob, a
    hostile tree, a missing image) fails that job with its reason; the worker
    goes on to the next. A job whose lease this process lost is left to its new
    holder.
    """
    try:
        claimed = _claim(room, job_id)
    except Exception:
        # The store failed under the claim: nothing was taken (the claim commits whole).
        _log.exception("claiming a job failed")
        return None
    if claimed is None:
        return None
    job, contract = claimed
    # Decrypted inputs live only for the run, in memory, at a path nobody can guess;
    # a worker killed before closing it leaves it to `sweep_work_dir` at the next start.
    try:
        volume = open_volume(
            default_work_root(), run_volume_bytes(room, contract), owner_tag=store_tag(room)
        )
    except Exception as error:  # no volume, no run: the job fails, the worker goes on
        room.leases().drop(job)
        _log.exception("job %s: its run's volume could not be made", job)
        return _fail_held(
            room, job, f"the run's memory volume could not be made: {_describe(error)}"
        )
    try:
        return _run(room, job, contract, volume)
    except LeaseLost as lost:
        _log.warning("%s", lost)
        return None
    except Exception as error:  # one job's failure is that job's, never the worker's
        _log.exception("job %s failed in the worker", job)
        return _fail_held(room, job, f"the worker could not finish the run: {_describe(error)}")
    except BaseException:
        # Stopped (SIGTERM, Ctrl-C): the sandbox is already gone; the job goes back to
        # the queue now, not a lease later.
        _give_back(room, job)
        raise
    finally:
        room.leases().drop(job)
        close_volume(volume)


def _give_back(room: Sealroom, job: str) -> None:
    with transaction(room.sessions) as session:
        rec = load_job(session, job)
        if not still_held(rec, room.leases().holder):
            return
        step = recover(JobState(rec.state), attempts=rec.attempts)
        let_go(rec)
        if step.event is not None:
            reason = f"the worker was stopped: {step.reason}"
            transition(session, room, rec, step.event, actor=WORKER, role="worker", reason=reason)


def _describe(error: Exception) -> str:
    message = getattr(error, "message", None) or str(error) or type(error).__name__
    return f"{type(error).__name__}: {message}"[:500]


def _fail_held(room: Sealroom, job: str, reason: str) -> JobView | None:
    with transaction(room.sessions) as session:
        rec = load_job(session, job)
        if not still_held(rec, room.leases().holder):
            return None
        let_go(rec)
        transition(
            session, room, rec, JobEvent.RUN_FAILED, actor=WORKER, role="worker", reason=reason
        )
        return job_view(session, rec)


def run_volume_bytes(room: Sealroom, contract: Contract) -> int:
    """The run's tmpfs bound: its datasets twice (a debug sample never outgrows its
    dataset, but masking may widen a column), the collected outputs, and the code."""
    inputs = sum(show_dataset(room, dataset.name).stored_bytes for dataset in contract.datasets)
    return 2 * inputs + Limits().output_bytes + CODE_BYTES_BOUND


def store_tag(room: Sealroom) -> str:
    """Marks this store's runs on a host other stores may share (for the sweep)."""
    return owner_tag(str(room.settings.home.resolve()))


def sweep_work_dir(room: Sealroom) -> Leftovers:
    """At worker start: remove what runs of this store's killed workers left behind."""
    return sweep_leftovers(default_work_root(), owner_tag=store_tag(room))


def _run(room: Sealroom, job: str, contract: Contract, volume: RunVolume) -> JobView | None:
    work = volume.path
    with room.sessions() as session:
        rec = load_job(session, job)
        mode, code, code_name, interpreter = rec.mode, rec.code, rec.code_name, rec.interpreter
        attempt = rec.attempts
        refusal = code_refusal(session, room, rec, contract)
    if refusal is not None:
        return _fail_held(room, job, refusal)
    code_path = work / code_name
    code_path.write_bytes(code)
    inputs, drift = _prepare_inputs(room, contract, RunMode(mode), work / "inputs")
    backend = select_backend(room.settings.sandbox_backend)
    spec = JobSpec(
        code=code_path,
        interpreter=Interpreter(interpreter),
        inputs=inputs,
        mode=Mode(mode),
        limits=Limits(),
    )
    if (stopped := stop_job_if_ended(room, job)) is not None:
        return stopped  # the contract ended while the inputs were prepared
    # One run id per attempt: a sandbox left behind by a killed worker never collides.
    run = run_job(
        spec,
        backend,
        work / "outputs",
        run_id=f"{job}-{attempt}",
        now=room.clock(),
        run_volume=volume,
        stop=RunWatch(room, job),  # a revoked contract's run is terminated, not waited for
    )
    described = backend.describe()
    run_record = {"backend": described, "run": _jsonable(run.as_dict()), "sample_drift": drift}
    if not run.succeeded:
        with transaction(room.sessions) as session:
            rec = load_job(session, job)
            check_held(rec, room.leases().holder)
            let_go(rec)
            rec.run_record, rec.backend = run_record, described["backend"]
            transition(
                session,
                room,
                rec,
                JobEvent.RUN_FAILED,
                actor=WORKER,
                role="worker",
                reason=run.reason,
            )
            return job_view(session, rec)
    files = {o.name: (work / "outputs" / o.name).read_bytes() for o in run.outputs}
    if mode == RunMode.DEBUG.value:
        return _finish(room, job, run, run_record, files, releasable=set(files), report=None)
    from jobs import (
        OutputCheckPolicy,
        apply_noise,
        build_sensitive_index,
        check_logs,
        check_outputs,
    )

    tables = {name: pq.read_table(path) for name, path in inputs.items()}
    index = build_sensitive_index(contract, tables, key=os.urandom(32))
    policy = OutputCheckPolicy.from_contract(contract)
    checked = check_outputs(files, policy, index, inputs=tables)
    # Noise once, here, so reviewers approve the very bytes that are released.
    noised = apply_noise(checked, contract, tables)
    report = noised.report_json()
    # What it printed came from the full data too: checked line by line for the reviewers.
    streams = {"stdout": run.stdout.text, "stderr": run.stderr.text}
    report["logs"] = [r.to_json() for r in check_logs(streams, index)]
    return _finish(
        room,
        job,
        run,
        run_record,
        dict(noised.releasable),
        releasable=set(noised.releasable),
        report=report,
    )


def _finish(
    room: Sealroom,
    job: str,
    run: RunRecord,
    run_record: dict[str, Any],
    files: dict[str, bytes],
    *,
    releasable: set[str],
    report: dict[str, Any] | None,
) -> JobView:
    with transaction(room.sessions) as session:
        rec = load_job(session, job)
        check_held(rec, room.leases().holder)
        let_go(rec)
        store_outputs(session, room, rec, files, releasable=releasable)
        rec.run_record, rec.check_report, rec.backend = (
            run_record,
            report,
            run_record["backend"]["backend"],
        )
        blocked = report is not None and not releasable
        event = JobEvent.OUTPUTS_BLOCKED if blocked else JobEvent.RUN_SUCCEEDED
        reason = "the disclosure checks blocked every output" if blocked else run.reason
        transition(
            session,
            room,
            rec,
            event,
            actor=WORKER,
            role="worker",
            reason=reason,
            # Counts, not names: the log is read by auditors of the contract, the
            # scientist among them, and a job chooses its file names.
            detail={"outputs": len(files), "releasable": len(releasable)},
        )
        return job_view(session, rec)


def _prepare_inputs(
    room: Sealroom, contract: Contract, mode: RunMode, into: Path
) -> tuple[dict[str, Path], dict[str, Any]]:
    """Decrypts each dataset (real) or its masked sample (debug) for this run only.

    For debug runs it also returns each sample's schema-drift report (shape only).
    """
    into.mkdir(mode=0o700)
    inputs = {}
    drift: dict[str, Any] = {}
    for dataset in contract.datasets:
        target = into / f"{dataset.name}.parquet"
        if mode is RunMode.DEBUG:
            drift[dataset.name] = debug_sample_file(room, contract, dataset.name, target).drift
        else:
            view = show_dataset(room, dataset.name)
            # Through the contract's grant: a revoked contract's runs cannot open the data.
            reader, blob = open_dataset_under(
                room, show_contract(room, contract.id, contract.version), view
            )
            try:
                with target.open("xb") as out:
                    shutil.copyfileobj(reader, out, 1 << 20)
            finally:
                blob.close()
        inputs[dataset.name] = target
    return inputs, drift


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, int | float | str | bool) or value is None:
        return value
    return str(value)


def recover_jobs(room: Sealroom) -> list[RecoveredJob]:
    """Jobs whose holder is gone (their lease lapsed): re-queue or fail each.

    Run at worker start and whenever a worker finds the queue empty, so a killed
    worker's jobs go on elsewhere; a live worker's jobs (their lease renewed) are
    never touched, nor their sandboxes reaped.
    """
    recovered = []
    lost_runs: dict[str, str] = {}
    with transaction(room.sessions) as session:
        for rec in session.scalars(
            # PSI runs belong to the server process that holds their protocol state.
            select(JobRecord).where(
                JobRecord.state == JobState.RUNNING.value,
                JobRecord.kind == JobKind.SCRIPT.value,
            )
        ):
            if not holder_is_gone(rec, room.clock()) or not seize(session, rec):
                continue
            step = recover(JobState(rec.state), attempts=rec.attempts)
            if step.event is None:
                continue
            transition(
                session, room, rec, step.event, actor=WORKER, role="worker", reason=step.reason
            )
            lost_runs[rec.job_id] = f"{rec.job_id}-{rec.attempts}"
            recovered.append(RecoveredJob(rec.job_id, step.event.value, step.reason))
    # After the commit: a container that outlived its worker must not run on (it could
    # still be writing outputs nobody will collect), whatever happens to the job next.
    return [replace(item, reaped=reap_run(lost_runs[item.job_id])) for item in recovered]
