"""A worker or server SIGKILLed at each job state: the job resumes or fails cleanly,
is never lost, never runs twice to a release, and is never released without the quorum."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from contracts import RunMode
from jobs import Decision, JobState
from kms import PartyKeyPair, load_party_key_file
from sandbox.docker_backend import LABEL
from sealroom.service.actors import Actor
from sealroom.service.context import Sealroom
from sealroom.service.job_runner import recover_jobs, run_next_job, sweep_work_dir
from sealroom.service.jobs import job_status, submit_job
from sealroom.service.reviews import vote
from sealroom.store.job_records import JobOutputRecord, ReleaseRecord, ReviewVoteRecord
from tests.fixtures.deciding import approve_code_as, vote_as

from .conftest import ADMIN, PASSPHRASE, ROOT

pytestmark = pytest.mark.integration
SCIENTIST = Actor("alice", False, "acme-cn")
SLOW = b"import time\ntime.sleep(120)\n"
GOOD = ROOT / "examples" / "jobs" / "spend_by_segment.py"


def state(room: Sealroom, job: str) -> JobState:
    return job_status(room, ADMIN, job).state


def wait_for(room: Sealroom, job: str, wanted: JobState, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while state(room, job) is not wanted:
        assert time.monotonic() < deadline, f"{job} never reached {wanted.value}"
        time.sleep(0.2)


def worker_process() -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "sealroom", "worker", "--poll", "0.2"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def running_containers(run_id: str) -> list[str]:
    """Containers of one run, as the Docker Engine lists them (none without an engine)."""
    listed = subprocess.run(
        ["docker", "ps", "-a", "--filter", f"label={LABEL}={run_id}", "--format", "{{.Names}}"],
        capture_output=True,
        text=True,
        check=False,
    )
    return listed.stdout.split()


def count(room: Sealroom, model: type, job: str) -> int:
    with room.sessions() as session:
        return (
            session.scalar(select(func.count()).select_from(model).where(model.job_id == job)) or 0
        )  # type: ignore[attr-defined]


def test_a_worker_killed_while_the_job_runs_leaves_it_to_be_rerun(
    active: tuple[Sealroom, PartyKeyPair],
) -> None:
    room, _ = active
    job = submit_job(room, SCIENTIST, "c-12", SLOW, "slow.py", RunMode.DEBUG).job_id
    docker = room.settings.sandbox_backend == "docker"
    worker = worker_process()
    try:
        wait_for(room, job, JobState.RUNNING)
        deadline = time.monotonic() + 60
        while docker and not running_containers(f"{job}-1"):
            assert time.monotonic() < deadline, "the worker never started the container"
            time.sleep(0.2)
    finally:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=30)
    assert state(room, job) is JobState.RUNNING  # as the dead worker left it
    assert count(room, JobOutputRecord, job) == 0
    if docker:  # the engine, not the dead worker, parents the container: it runs on
        assert running_containers(f"{job}-1") == [f"sealroom-job-{job}-1"]
    sweep_work_dir(room)  # what a restarted worker does first: its killed run's tmpfs
    recovered = recover_jobs(room)
    assert [(r.job_id, r.event) for r in recovered] == [(job, "worker_lost")]
    assert recovered[0].reaped == ((f"sealroom-job-{job}-1",) if docker else ())
    assert running_containers(f"{job}-1") == []
    assert state(room, job) is JobState.QUEUED
    assert job_status(room, ADMIN, job).attempts == 1


def test_a_job_that_keeps_killing_its_worker_fails_after_its_attempts(
    active: tuple[Sealroom, PartyKeyPair],
) -> None:
    room, _ = active
    job = submit_job(room, SCIENTIST, "c-12", SLOW, "slow.py", RunMode.DEBUG).job_id
    for _ in range(3):
        worker = worker_process()
        try:
            wait_for(room, job, JobState.RUNNING)
        finally:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(timeout=30)
        sweep_work_dir(room)
        recover_jobs(room)
    view = job_status(room, ADMIN, job)
    assert view.state is JobState.FAILED and view.attempts == 3
    assert "each of 3 runs" in view.reason


def test_a_queued_job_survives_a_killed_worker_and_runs_once_on_restart(
    active: tuple[Sealroom, PartyKeyPair],
) -> None:
    room, _ = active
    job = submit_job(room, SCIENTIST, "c-12", GOOD.read_bytes(), GOOD.name, RunMode.DEBUG).job_id
    assert state(room, job) is JobState.QUEUED
    recover_jobs(room)
    done = run_next_job(room)
    assert done is not None and done.job_id == job and done.state is JobState.COMPLETED
    assert job_status(room, ADMIN, job).attempts == 1
    assert run_next_job(room) is None  # nothing runs twice


KILLED_RELEASE = """
import os, signal, sys
import sealroom.service.release as release
import sealroom.service.reviews as reviews
from jobs import Decision
from sealroom.config import load_settings
from sandbox.docker_backend import LABEL
from sealroom.service.actors import Actor
from sealroom.service.context import Sealroom

real_write = release.write_plain_blob
def write_then_die(*args, **kwargs):
    name = real_write(*args, **kwargs)
    os.kill(os.getpid(), signal.SIGKILL)  # the sealed copy is on disk; nothing is committed
release.write_plain_blob = write_then_die
room = Sealroom.open(load_settings(), lambda: "test-passphrase")
reviews.vote(room, Actor("admin", True, "platform"), sys.argv[1], Decision.APPROVE)
"""


def test_a_server_killed_mid_release_releases_nothing_until_the_quorum_votes_again(
    active: tuple[Sealroom, PartyKeyPair], isolated_home: Path
) -> None:
    room, _ = active
    acme = load_party_key_file(isolated_home / "acme-cn.key", PASSPHRASE)
    approve_code_as(room, "acme-cn", GOOD, acme)
    approve_code_as(room, "admin", GOOD, None)
    job = submit_job(room, SCIENTIST, "c-12", GOOD.read_bytes(), GOOD.name, RunMode.REAL).job_id
    assert run_next_job(room, job) is not None
    vote_as(room, "acme-cn", job, acme)
    killed = subprocess.run(
        [sys.executable, "-c", KILLED_RELEASE, job], check=False, capture_output=True
    )
    assert killed.returncode == -signal.SIGKILL
    assert state(room, job) is JobState.AWAITING_REVIEW
    assert count(room, ReleaseRecord, job) == 0
    assert count(room, ReviewVoteRecord, job) == 1  # the platform's vote died with the process
    assert vote(room, ADMIN, job, Decision.APPROVE).state is JobState.RELEASED  # platform seat
    assert count(room, ReleaseRecord, job) == 1
