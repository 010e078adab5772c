"""A worker SIGKILLed at every job state leaves no plaintext of the data anywhere.

The dataset is generated for this test: random 11-digit mobiles and e-mail
tokens carrying a random tag, so none of them exists anywhere else on the
machine. A real `sealroom worker` process is killed by SIGKILL at each state
(queued, claimed, decrypting inputs, running in the sandbox, checking outputs,
storing outputs), a real worker is started again (it sweeps and recovers), and
then the filesystem is searched for the identifiers: they may exist only in the
encrypted store.

The search is scoped, so it runs in seconds on a shared host: the worker's work
root (a directory of this test's own under /tmp), /tmp (which holds the store,
the PostgreSQL data directory and pytest's directories), /var/tmp, /dev/shm and
the Docker Engine's containers and volumes directories (the jobs' containers
are removed with their runs). Only the store's
blob directory, where every blob is encrypted, is left out. The positive control:
while the killed run's volume is still in place, the same search finds the
identifiers there.
"""

from __future__ import annotations

import os
import random
import re
import signal
import stat
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from contracts import ActionKind, RunMode
from jobs import JobState
from kms import load_party_key_file
from sandbox import default_work_root
from sandbox.mounts import detach, mounts_under
from sandbox.tree_removal import remove_tree
from sealroom.data import customers_parquet
from sealroom.service.actors import Actor
from sealroom.service.context import Sealroom
from sealroom.service.contracts import propose_contract, take_step
from sealroom.service.datasets import register_dataset
from sealroom.service.jobs import job_status, submit_job
from sealroom.service.parties import IssueKeys, RegisterKeys, add_party
from tests.fixtures.deciding import approve_signed

from .conftest import ADMIN, CONTRACT, OWNER, PARTNER, PASSPHRASE

pytestmark = [pytest.mark.integration, pytest.mark.postgres]
SCIENTIST = Actor("alice", False, "acme-cn")
SEARCHED = (Path("/tmp"), Path("/var/tmp"), Path("/dev/shm"),
            Path("/var/lib/docker/containers"), Path("/var/lib/docker/volumes"))  # fmt: skip
LARGEST_SEARCHED_FILE = 256 * 1024 * 1024
STATES = ("queued", "claimed", "decrypting", "running", "checking", "storing")

# Copies every identifier to /outputs and to the sandbox's own /tmp, then lingers.
JOB = b"""\
import time
import pyarrow.csv as csv
import pyarrow.parquet as pq
table = pq.read_table("/inputs/customers.parquet")
csv.write_csv(table, "/outputs/copy.csv")
csv.write_csv(table, "/tmp/scratch.csv")
time.sleep(2)
"""

# A real worker that kills itself (SIGKILL, as `kill -9` would) at one job state.
KILLED_WORKER = """
import os, signal, sys, time
from pathlib import Path

def die():
    os.kill(os.getpid(), signal.SIGKILL)

import jobs
import sandbox.runner as sandbox_runner
import sealroom.service.job_runner as job_runner

state = sys.argv[1]
real_claim, real_store = job_runner._claim, job_runner.store_outputs
if state == "queued":
    job_runner._claim = lambda *args, **kwargs: die()
elif state == "claimed":
    job_runner._claim = lambda *args, **kwargs: (real_claim(*args, **kwargs), die())
elif state == "decrypting":
    def copy_a_part_then_die(source, target, length=0):
        target.write(source.read(1 << 16))
        target.flush()
        die()
    job_runner.shutil.copyfileobj = copy_a_part_then_die
elif state == "running":
    def die_once_the_job_wrote(backend, space, stop=None):
        deadline = time.monotonic() + 60
        while not (space.outputs_dir / "copy.csv").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)
        die()
    sandbox_runner._supervise = die_once_the_job_wrote
elif state == "checking":
    jobs.check_outputs = lambda *args, **kwargs: die()
elif state == "storing":
    job_runner.store_outputs = lambda *args, **kwargs: (real_store(*args, **kwargs), die())

from sealroom.cli.app import app
sys.argv = ["sealroom", "worker", "--once"]
app()
"""


@pytest.fixture
def database_url(postgres_url: str) -> str:
    return postgres_url


class Identifiers:
    """The generated dataset's identifiers, and a scanner for any of them in bytes."""

    def __init__(self, rows: int) -> None:
        rng = random.SystemRandom()
        self.tag = f"zq{os.urandom(6).hex()}"
        self.mobiles: set[str] = set()
        while len(self.mobiles) < rows:
            self.mobiles.add(f"1{rng.randrange(10**9, 10**10)}")
        self.tokens = [f"{self.tag}{number:05d}" for number in range(rows)]
        self._mobile = re.compile(rb"1[0-9]{10}")
        self._wanted = {mobile.encode() for mobile in self.mobiles}

    def found_in(self, data: bytes) -> bool:
        if self.tag.encode() in data:
            return True
        return any(match in self._wanted for match in self._mobile.findall(data))


def _generated_dataset(directory: Path, identifiers: Identifiers) -> Path:
    table = pq.read_table(customers_parquet())
    rows = table.num_rows
    mobiles = sorted(identifiers.mobiles)[:rows]
    emails = [f"{token}@example.com" for token in identifiers.tokens[:rows]]
    table = table.set_column(table.schema.get_field_index("mobile"), "mobile", pa.array(mobiles))
    table = table.set_column(table.schema.get_field_index("email"), "email", pa.array(emails))
    path = directory / "customers.parquet"
    pq.write_table(table, path)
    return path


@pytest.fixture
def generated(
    room: Sealroom,
    isolated_home: Path,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[tuple[Sealroom, Identifiers]]:
    backend = str(request.param)
    monkeypatch.setenv("SEALROOM_SANDBOX_BACKEND", backend)
    # this test's own work root, so other runs on the host stay out of its checks
    work_root = Path(tempfile.gettempdir()) / f"sealroom-plaintext-test-{os.urandom(6).hex()}"
    monkeypatch.setenv("SEALROOM_SANDBOX_WORK_DIR", str(work_root))
    room = replace(room, settings=replace(room.settings, sandbox_backend=backend))  # type: ignore[arg-type]
    identifiers = Identifiers(pq.read_metadata(customers_parquet()).num_rows)
    source = _generated_dataset(tmp_path, identifiers)
    add_party(room, ADMIN, name="globex-uk", kind="organisation",
              keys=RegisterKeys(load_party_key_file(isolated_home / "acme-cn.key",
                                                    PASSPHRASE).public))  # fmt: skip
    add_party(room, ADMIN, name="alice", kind="person", organisation="acme-cn",
              keys=IssueKeys(isolated_home / "alice.key", PASSPHRASE))  # fmt: skip
    register_dataset(room, OWNER, source, owner="acme-cn", name="customers")
    source.unlink()  # from here on, the plaintext exists only inside the store
    propose_contract(room, OWNER, CONTRACT.read_text("utf-8"), CONTRACT.name)
    owner_keys = load_party_key_file(isolated_home / "acme-cn.key", PASSPHRASE)
    take_step(room, OWNER, "c-12", ActionKind.APPROVE, keys=owner_keys)
    take_step(room, ADMIN, "c-12", ActionKind.APPROVE, keys=None)
    take_step(room, PARTNER, "c-12", ActionKind.ACCEPT, keys=owner_keys)
    approve_signed(room, OWNER, "c-12", JOB, "copy.py")
    approve_signed(room, ADMIN, "c-12", JOB, "copy.py")
    try:
        yield room, identifiers
    finally:
        for mount in mounts_under(work_root):
            detach(mount.point)  # only if the test failed midway
        remove_tree(work_root)


def _worker(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *arguments], capture_output=True, text=True, check=False, timeout=300
    )


def _files_holding(identifiers: Identifiers, roots: tuple[Path, ...], skip: Path) -> list[str]:
    """Regular files under ``roots`` (never following links) whose bytes hold an identifier."""
    found: list[str] = []
    pending = [root for root in roots if root.exists()]
    while pending:
        directory = pending.pop()
        if directory == skip:
            continue
        try:
            with os.scandir(directory) as listing:
                entries = list(listing)
        except OSError:
            continue
        for entry in entries:
            try:
                info = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            if stat.S_ISDIR(info.st_mode):
                pending.append(Path(entry.path))
            elif stat.S_ISREG(info.st_mode) and 0 < info.st_size <= LARGEST_SEARCHED_FILE:
                try:
                    data = Path(entry.path).read_bytes()
                except OSError:
                    continue
                if identifiers.found_in(data):
                    found.append(entry.path)
    return found


@pytest.mark.parametrize(
    "generated",
    [
        pytest.param("bwrap", marks=pytest.mark.bwrap),
        pytest.param("docker", marks=pytest.mark.docker),
    ],
    indirect=True,
)
def test_no_identifier_survives_a_worker_killed_at_any_state(
    generated: tuple[Sealroom, Identifiers],
) -> None:
    room, identifiers = generated
    work_root = default_work_root()
    store = room.settings.blob_dir
    for state in STATES:
        job = submit_job(room, SCIENTIST, "c-12", JOB, "copy.py", RunMode.REAL).job_id
        killed = _worker("-c", textwrap.dedent(KILLED_WORKER), state)
        if killed.returncode != -signal.SIGKILL:
            from sealroom.service.job_records import load_job

            with room.sessions() as session:
                print("DEBUG", load_job(session, job).run_record)
        assert killed.returncode == -signal.SIGKILL, (state, killed.stderr[-2000:])
        if state in ("decrypting", "running", "checking"):
            # the control: the killed run's plaintext is there, and the search sees it
            assert _files_holding(identifiers, (work_root,), store), state
        restarted = _worker("-m", "sealroom", "worker", "--once")
        assert restarted.returncode == 0, (state, restarted.stdout, restarted.stderr[-2000:])
        assert job_status(room, ADMIN, job).state not in (JobState.QUEUED, JobState.RUNNING)
        assert mounts_under(work_root) == [], state
        assert list(work_root.iterdir()) == [], state
    leaks = _files_holding(identifiers, (work_root, *SEARCHED), store)
    assert leaks == [], f"plaintext identifiers outside the encrypted store: {leaks}"
