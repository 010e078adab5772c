"""Several workers and servers on one store: jobs and PSI runs are held by leases.

A live holder's work is never recovered by another process; a killed worker's
job goes on elsewhere at once (its holder is a dead process of this machine) or,
for a holder on another machine, once its lease lapses. No job runs twice.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from contracts import JobKind, RunMode
from jobs import JobState
from kms import PartyKeyPair
from sealroom.audit.records import AuditEventRecord
from sealroom.service.actors import Actor
from sealroom.service.context import Sealroom
from sealroom.service.job_runner import recover_jobs, run_next_job
from sealroom.service.jobs import job_status, submit_job
from sealroom.service.leases import LEASE
from sealroom.service.psi import open_psi
from sealroom.store.database import transaction
from sealroom.store.job_records import JobRecord

from .conftest import ADMIN, ROOT

pytestmark = pytest.mark.integration
SCIENTIST = Actor("alice", False, "acme-cn")
PARTNER = Actor("globex-uk", False, None)
GOOD = ROOT / "examples" / "jobs" / "spend_by_segment.py"
JOBS = 30


def _process(*args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "sealroom", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _events(room: Sealroom, action: str) -> Counter[str]:
    with room.sessions() as session:
        rows = session.scalars(
            select(AuditEventRecord.job_id).where(AuditEventRecord.action == action)
        ).all()
    return Counter(job for job in rows if job)


def _holders(room: Sealroom, jobs: list[str]) -> dict[str, str | None]:
    with room.sessions() as session:
        rows = session.execute(
            select(JobRecord.job_id, JobRecord.lease_owner).where(JobRecord.job_id.in_(jobs))
        ).all()
    return {job: owner for job, owner in rows}


def _stop(process: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
    if process.poll() is None:
        os.killpg(process.pid, sig)
    process.wait(timeout=60)


@pytest.mark.bwrap
def test_three_workers_and_two_servers_run_thirty_jobs_once_with_one_worker_killed(
    active: tuple[Sealroom, PartyKeyPair],
) -> None:
    room, _ = active
    if room.settings.sandbox_backend != "bwrap":
        pytest.skip("the leases are the store's: one sandbox backend shows them")
    code = GOOD.read_bytes()
    jobs = [
        submit_job(room, SCIENTIST, "c-12", code, GOOD.name, RunMode.DEBUG).job_id
        for _ in range(JOBS)
    ]
    workers = [_process("worker", "--poll", "0.2") for _ in range(3)]
    servers: list[subprocess.Popen[bytes]] = []
    try:
        # The first worker to hold a job is killed while it runs it.
        deadline = time.monotonic() + 300
        victim_job: str | None = None
        victim: subprocess.Popen[bytes] | None = None
        while victim is None:
            assert time.monotonic() < deadline, "no worker took a job"
            for job, owner in _holders(room, jobs).items():
                pid = int(owner.split(":")[1]) if owner else None
                match = [w for w in workers if w.pid == pid]
                if match and job_status(room, ADMIN, job).state is JobState.RUNNING:
                    victim_job, victim = job, match[0]
                    break
            time.sleep(0.05)
        # Two servers start on the same store while the workers run: they must not
        # mark the workers' live jobs lost.
        servers = [_process("serve", "--port", str(_free_port())) for _ in range(2)]
        assert victim_job is not None
        _stop(victim, signal.SIGKILL)
        deadline = time.monotonic() + 900
        while True:
            states = Counter(job_status(room, ADMIN, j).state for j in jobs)
            if states[JobState.COMPLETED] == JOBS:
                break
            assert not states[JobState.FAILED], f"jobs failed: {states}"
            assert time.monotonic() < deadline, f"the queue stalled: {states}"
            time.sleep(0.5)
        assert all(w.poll() is None for w in workers if w is not victim), "a worker died"
    finally:
        for process in [*workers, *servers]:
            _stop(process)
    started, succeeded = _events(room, "job.started"), _events(room, "job.run_succeeded")
    lost = _events(room, "job.worker_lost")
    assert all(succeeded[job] == 1 for job in jobs), "a job's outcome was written twice"
    assert lost == Counter({victim_job: 1}), "only the killed worker's job was recovered"
    assert started[victim_job] == 2
    assert all(started[job] == 1 for job in jobs if job != victim_job), "a job ran twice"


def test_a_live_holder_elsewhere_keeps_its_job_until_its_lease_lapses(
    active: tuple[Sealroom, PartyKeyPair],
) -> None:
    room, _ = active
    if room.settings.sandbox_backend != "bwrap":
        pytest.skip("no sandbox involved: once is enough")
    job = submit_job(room, SCIENTIST, "c-12", GOOD.read_bytes(), GOOD.name, RunMode.DEBUG).job_id
    other = "another-machine:4242:cafe0000"
    with transaction(room.sessions) as session:
        rec = session.get(JobRecord, job)
        assert rec is not None
        rec.state, rec.attempts = JobState.RUNNING.value, 1
        rec.lease_owner, rec.lease_expires_at = other, room.clock() + LEASE

    assert recover_jobs(room) == []  # its holder may well be alive: hands off
    assert job_status(room, ADMIN, job).state is JobState.RUNNING
    assert run_next_job(room) is None  # and nobody else runs it meanwhile

    later = replace(room, clock=lambda: room.clock() + LEASE + timedelta(seconds=1))
    assert [r.job_id for r in recover_jobs(later)] == [job]
    assert job_status(room, ADMIN, job).state is JobState.QUEUED


def test_a_second_server_leaves_the_first_ones_psi_run_alone(
    active: tuple[Sealroom, PartyKeyPair],
) -> None:
    room, _ = active
    if room.settings.sandbox_backend != "bwrap":
        pytest.skip("no sandbox involved: once is enough")
    run = open_psi(room, PARTNER, "c-12", JobKind.PSI_SUM, partner_set_size=500).job_id
    port = _free_port()
    server = _process("serve", "--port", str(port))
    try:
        # The server sweeps abandoned runs before it listens: once it answers, it has.
        deadline = time.monotonic() + 120
        while not _listening(port):
            assert server.poll() is None, "the second server did not start"
            assert time.monotonic() < deadline, "the second server never listened"
            time.sleep(0.2)
    finally:
        _stop(server)
    assert job_status(room, ADMIN, run).state is JobState.RUNNING


def test_one_broken_job_fails_alone_and_the_worker_takes_the_next(
    active: tuple[Sealroom, PartyKeyPair],
) -> None:
    room, _ = active
    if room.settings.sandbox_backend != "bwrap":
        pytest.skip("the worker's resilience is the backend's either way")
    code = GOOD.read_bytes()
    broken = submit_job(room, SCIENTIST, "c-12", code, GOOD.name, RunMode.DEBUG).job_id
    honest = submit_job(room, SCIENTIST, "c-12", code, GOOD.name, RunMode.DEBUG).job_id
    # The broken job's record is corrupted in the store: no interpreter of that name.
    with transaction(room.sessions) as session:
        rec = session.get(JobRecord, broken)
        assert rec is not None
        rec.interpreter = "cobol"
    worker = _process("worker", "--poll", "0.2")
    try:
        deadline = time.monotonic() + 300
        while job_status(room, ADMIN, honest).state is not JobState.COMPLETED:
            assert time.monotonic() < deadline, "the worker never took the next job"
            assert worker.poll() is None, "one job's error killed the worker"
            time.sleep(0.3)
    finally:
        _stop(worker)
    failed = job_status(room, ADMIN, broken)
    assert failed.state is JobState.FAILED
    assert failed.reason


def _descendants(root: int) -> dict[int, str]:
    """Every live process under ``root``, by pid, with its start time (pids are reused)."""
    parents: dict[int, int] = {}
    started: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rpartition(")")[2].split()
        parents[int(entry.name)], started[int(entry.name)] = int(fields[1]), fields[19]
    found: dict[int, str] = {}
    frontier = [root]
    while frontier:
        parent = frontier.pop()
        for pid, ppid in parents.items():
            if ppid == parent and pid not in found:
                found[pid] = started[pid]
                frontier.append(pid)
    return found


def _still_running(processes: dict[int, str]) -> list[int]:
    alive = []
    for pid, start in processes.items():
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        if fields[19] == start and fields[0] != "Z":
            alive.append(pid)
    return alive


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_stopping_a_server_ends_every_process_it_started(
    active: tuple[Sealroom, PartyKeyPair], sig: signal.Signals
) -> None:
    room, _ = active
    if room.settings.sandbox_backend != "bwrap":
        pytest.skip("no sandbox involved: once is enough")
    port = _free_port()
    server = _process("serve", "--port", str(port))
    try:
        deadline = time.monotonic() + 120
        while not _listening(port):
            assert server.poll() is None, "the server did not start"
            assert time.monotonic() < deadline, "the server never listened"
            time.sleep(0.2)
        # Its PSI worker pool starts with it; the share made ahead starts another.
        while len(children := _descendants(server.pid)) < 2:
            assert time.monotonic() < deadline, f"the server started no pool: {children}"
            time.sleep(0.2)
        time.sleep(1)
        children = _descendants(server.pid)
        os.kill(server.pid, sig)  # the server alone, as an init system or a shell would
        server.wait(timeout=120)
    finally:
        _stop(server, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while left := _still_running(children):
        assert time.monotonic() < deadline, f"processes the server started outlived it: {left}"
        time.sleep(0.2)
