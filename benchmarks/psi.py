"""PSI engines through Sealroom, end to end over HTTP, against the same engines called raw.

    .venv/bin/python benchmarks/psi.py --rows 100000 --engines openmined,psi_sum
    .venv/bin/python benchmarks/psi.py --rows 1000000 --engines secretflow --repeat 5

"Through Sealroom" is the whole operation as two parties would run it: a real
uvicorn server on loopback serves the owner's store (the owner's dataset
encrypted at rest, the example contract active), with the owner's share of the
run made ahead and its workers started, as ``sealroom serve`` has them
(``--no-ahead``: made when the run opens). The partner is a separate program
(``psi_partner.py``, which loads only the light client) with its own worker pool.
It opens the run over the REST API and sends its protocol messages. It then waits
for the owner's review (a reviewer thread approves over HTTP within 0.2 s),
downloads the sealed result, and verifies and opens it. Its time runs from the
partner's first request to its answer. "Raw" is the same engine on
the same normalised sets in this process, no store, no HTTP: the library alone in
one process, and the engine over a local pool of the same size Sealroom uses.

Printed per engine: wall time, the ratio to each raw run, the peak RSS of each
side (the process and all its pool children, sampled), and the protocol bytes
each side sent (payloads, before HTTP framing and base64). With ``--repeat N``
the runs alternate (through, raw, through, ...) and the medians are compared: on
this machine a single run of either side varies by ±15 %.

Each engine is a name mapped to its raw runs and its through-Sealroom run
(``BenchEngine``). ``secretflow`` joins when its own environment exists
(``scripts/secretflow-env.sh``): through Sealroom under a second contract naming
that engine (intersection mode, the only one it keeps to), against two spu
processes on the same sets (``psi_secretflow.raw_on``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import private_set_intersection.python as psi  # type: ignore[import-untyped]
import pyarrow as pa
import pyarrow.parquet as pq
from psi_partner import partner_list  # beside this file: the partner's program
from stdnum.cn import ric

from contracts import ActionKind, JobKind, PsiRevealMode
from jobs.psi import (
    EngineEnvironmentMissing,
    IdentifierKind,
    OpenMinedEngine,
    OwnerValues,
    ProcessRunner,
    PsiLimits,
    PsiRequest,
    PsiResponse,
    PsiSetup,
    PsiSumOwner,
    PsiSumPartner,
    ShardRunner,
    normalise_ids,
    normalise_rows,
)
from jobs.psi.secretflow import engine_python
from kms import load_party_key_file
from sealroom.api import create_app
from sealroom.api.loopback import serve_on_loopback
from sealroom.client import Client
from sealroom.config import load_settings
from sealroom.datasets.synthetic import CUSTOMERS_SCHEMA
from sealroom.service.actors import Actor
from sealroom.service.audit_log import platform_public_keys
from sealroom.service.context import Sealroom
from sealroom.service.contracts import propose_contract, take_step
from sealroom.service.datasets import register_dataset
from sealroom.service.parties import IssueKeys, add_party
from sealroom.service.psi import make_shares_ahead
from sealroom.service.psi_ahead import PsiAhead
from sealroom.service.setup import initialise
from sealroom.service.tokens import issue_token

PASS = "benchmark"
ROOT = Path(__file__).resolve().parents[1]
CONTRACT = ROOT / "examples" / "contracts" / "customer-insights.yaml"
ADMIN, OWNER, PARTNER = (
    Actor("admin", True, "platform"),
    Actor("acme-cn", False, None),
    Actor("globex-uk", False, None),
)
MIB = 1024 * 1024
PARTNER_PROGRAM = Path(__file__).with_name("psi_partner.py")
SECRETFLOW_CONTRACT = "c-13"


# --- the owner's store --------------------------------------------------------------


def customers(rows: int) -> pa.Table:
    """A customers table in the bundled schema, fast enough for a million rows.

    Valid mainland mobile numbers and resident ID numbers (so the detectors see the
    same kinds as on real data); spend is a deterministic function of the row.
    """
    born = dt.date(1980, 1, 1)
    ids = []
    for i in range(rows):
        body = f"110101{born + dt.timedelta(days=i % 9000):%Y%m%d}{i % 1000:03d}"
        ids.append(body + ric.calc_check_digit(body + "0"))
    columns: dict[str, list[Any]] = {
        "customer_id": [f"C{i:07d}" for i in range(rows)],
        "name": [f"客户{i}" for i in range(rows)],
        "mobile": [f"138{i:08d}" for i in range(rows)],
        "id_number": ids,
        "email": [f"c{i}@example.cn" for i in range(rows)],
        "city": ["上海市"] * rows,
        "address": [f"上海市黄浦区南京路{i % 999 + 1}号" for i in range(rows)],
        "birth_date": [born + dt.timedelta(days=i % 9000) for i in range(rows)],
        "segment": ["retail"] * rows,
        "spend_cny": [(i % 100_000) / 100 for i in range(rows)],
    }
    return pa.table(columns, schema=CUSTOMERS_SCHEMA)


@dataclass
class Store:
    room: Sealroom
    home: Path
    owner_ids: list[str | None]
    spend: list[float]
    tokens: dict[str, str] = field(default_factory=dict)


def build_store(home: Path, rows: int, workers: int) -> Store:
    env = {"SEALROOM_HOME": str(home), "SEALROOM_PSI_WORKERS": str(workers)}
    settings = load_settings(home, env=env)
    initialise(
        settings,
        lambda: PASS,
        admin="admin",
        admin_key_file=home / "admin.key",
        admin_key_passphrase=PASS,
    )
    room = Sealroom.open(settings, lambda: PASS)
    room.keyring()
    for name in ("acme-cn", "globex-uk"):
        add_party(
            room, ADMIN, name=name, kind="organisation", keys=IssueKeys(home / f"{name}.key", PASS)
        )
    add_party(
        room,
        ADMIN,
        name="alice",
        kind="person",
        organisation="acme-cn",
        keys=IssueKeys(home / "alice.key", PASS),
    )
    table = customers(rows)
    data = home / "customers.parquet"
    pq.write_table(table, data)
    register_dataset(room, OWNER, data, owner="acme-cn", name="customers")
    data.unlink()  # from here on only the encrypted copy exists
    propose_contract(room, OWNER, CONTRACT.read_text("utf-8"), CONTRACT.name)
    owner_keys = load_party_key_file(home / "acme-cn.key", PASS)
    take_step(room, OWNER, "c-12", ActionKind.APPROVE, keys=owner_keys)
    take_step(room, ADMIN, "c-12", ActionKind.APPROVE, keys=None)
    partner_keys = load_party_key_file(home / "globex-uk.key", PASS)
    take_step(room, PARTNER, "c-12", ActionKind.ACCEPT, keys=partner_keys)
    # The same terms with the secretflow engine, which can only reveal the intersection.
    secretflow = (
        CONTRACT.read_text("utf-8")
        .replace("id: c-12", f"id: {SECRETFLOW_CONTRACT}", 1)
        .replace(
            "reveal: [cardinality, intersection]",
            "reveal: [intersection]\n    engine: secretflow\n    protocol: rr22",
            1,
        )
    )
    propose_contract(room, OWNER, secretflow, "secretflow.yaml")
    take_step(room, OWNER, SECRETFLOW_CONTRACT, ActionKind.APPROVE, keys=owner_keys)
    take_step(room, ADMIN, SECRETFLOW_CONTRACT, ActionKind.APPROVE, keys=None)
    take_step(room, PARTNER, SECRETFLOW_CONTRACT, ActionKind.ACCEPT, keys=partner_keys)
    spend = [float(v) for v in table.column("spend_cny").to_pylist() if v is not None]
    store = Store(room, home, table.column("mobile").to_pylist(), spend)
    for party in ("acme-cn", "globex-uk"):
        store.tokens[party] = issue_token(room, ADMIN, party=party).token
    store.tokens["admin"] = issue_token(room, ADMIN, party="admin", scopes=("read", "write")).token
    return store


# --- memory of a process tree --------------------------------------------------------


def _children(pid: int) -> list[int]:
    kids: list[int] = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            kids += [int(k) for k in (task / "children").read_text().split()]
    except OSError:
        pass
    return kids


def _tree(pid: int, skip: set[int]) -> list[int]:
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        if current in skip:
            continue
        found.append(current)
        todo += _children(current)
    return found


def _rss(pid: int) -> int:
    try:
        pages = int(Path(f"/proc/{pid}/statm").read_text().split()[1])
    except OSError:
        return 0
    return pages * os.sysconf("SC_PAGE_SIZE")


class PeakRss:
    """Samples the RSS of this process's tree and of one child's tree, separately."""

    def __init__(self) -> None:
        self.owner = 0
        self.partner = 0
        self.partner_pid: int | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.1):
            skip = {self.partner_pid} if self.partner_pid else set()
            self.owner = max(self.owner, sum(_rss(p) for p in _tree(os.getpid(), skip)))
            if self.partner_pid:
                self.partner = max(
                    self.partner, sum(_rss(p) for p in _tree(self.partner_pid, set()))
                )

    @contextmanager
    def sampling(self) -> Iterator[PeakRss]:
        self._thread.start()
        try:
            yield self
        finally:
            self._stop.set()
            self._thread.join()


def approve_runs(url: str, tokens: dict[str, str], stop: threading.Event) -> None:
    """The owner's reviewers, over HTTP: approve every waiting PSI run within 0.2 s.

    Polling faster costs the owner's server a tenth of a core (each call checks a
    token and lists jobs), which slows the run being measured.
    """
    with (
        Client(url, tokens["acme-cn"], progress=False) as owner,
        Client(url, tokens["admin"], progress=False) as platform,
    ):
        while not stop.is_set():
            for job in owner.reviews():
                owner.vote(job.job_id, "approve")
                if job.kind != "psi":  # PSI-sum needs the platform's vote as well
                    platform.vote(job.job_id, "approve")
            stop.wait(0.2)


@dataclass
class Through:
    seconds: float
    answer: int
    owner_sent: int
    partner_sent: int
    owner_peak: int
    partner_peak: int
    phases: str = ""


def through_sealroom(store: Store, engine: str, rows: int) -> Through:
    stop = threading.Event()
    platform = platform_public_keys(store.room)
    ahead = store.room.psi_ahead
    if ahead is not None:  # as `sealroom serve` does: shares made and workers started first
        make_shares_ahead(
            store.room,
            contract_id=SECRETFLOW_CONTRACT if engine == "secretflow" else "c-12",
            kinds=(JobKind.PSI_SUM,) if engine == "psi_sum" else (JobKind.PSI,),
        )
        ahead.wait()
        runner = store.room.open_psi_runner()
        runner.map(len, [[0]] * runner.workers)
    with serve_on_loopback(create_app(store.room)) as url, PeakRss().sampling() as peak:
        reviewer = threading.Thread(
            target=approve_runs, args=(url, store.tokens, stop), daemon=True
        )
        reviewer.start()
        # The partner's own machine: a separate program that loads only the light client.
        partner = subprocess.Popen(
            [
                sys.executable,
                str(PARTNER_PROGRAM),
                engine,
                url,
                store.tokens["globex-uk"],
                str(store.home / "globex-uk.key"),
                platform.x25519.hex(),
                platform.ed25519.hex(),
                str(rows),
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        peak.partner_pid = partner.pid
        out, _ = partner.communicate(timeout=3600)
        stop.set()
        reviewer.join()
    if partner.returncode != 0:
        raise RuntimeError(f"the partner's program failed ({partner.returncode})")
    answer = json.loads(out.strip().splitlines()[-1])
    if ahead is not None:
        ahead.wait()  # the next run's share, made at the lowest priority, before raw timings
    return Through(
        answer["seconds"],
        answer["intersection"],
        answer["received"],
        answer["sent"],
        peak.owner,
        peak.partner,
        answer["phases"],
    )


# --- raw: the same engines, no Sealroom ---------------------------------------------


@dataclass
class Raw:
    label: str
    seconds: float
    answer: int


def _timed(fn: Callable[[], int]) -> tuple[float, int]:
    start = time.perf_counter()
    answer = fn()
    return time.perf_counter() - start, answer


def raw_openmined_library(owner: list[str], partner: list[str]) -> int:
    server = psi.server.CreateWithNewKey(False)
    client = psi.client.CreateWithNewKey(False)
    setup = server.CreateSetupMessage(1e-9, len(partner), owner, psi.DataStructure.GCS)
    response = server.ProcessRequest(client.CreateRequest(partner))
    return int(client.GetIntersectionSize(setup, response))


def raw_openmined_engine(owner: list[str], partner: list[str], runner: ShardRunner) -> int:
    engine, limits, mode = OpenMinedEngine(runner), PsiLimits(1, 1), PsiRevealMode.CARDINALITY
    partner_side = engine.partner_session("raw", mode, limits)
    owner_side = engine.owner_session("raw", limits)
    request = PsiRequest.from_bytes(partner_side.create_request(partner).to_bytes())
    setup = owner_side.setup(owner, request.size, mode).to_bytes()
    response = owner_side.process_request(request).to_bytes()
    outcome = partner_side.finish(PsiSetup.from_bytes(setup), PsiResponse.from_bytes(response))
    return outcome.intersection_size


def raw_psi_sum(
    owner: list[str | None], spend: list[float], partner: list[str], runner: ShardRunner | None
) -> int:
    limits = PsiLimits(1, 1)
    values = OwnerValues.from_columns(owner, {"spend_cny": spend})
    owner_side = PsiSumOwner("raw", limits, values, runner=runner)
    partner_side = PsiSumPartner("raw", limits, runner=runner)
    totals = owner_side.reveal(
        partner_side.aggregate(owner_side.reply(partner_side.hello(partner)))
    )
    return partner_side.finish(totals).count


@dataclass(frozen=True)
class BenchEngine:
    """One engine's raw runs (label -> fn giving the answer) and its through-Sealroom run."""

    raw: dict[str, Callable[[], int]]
    through: Callable[[], Through]


def builtin_engines(store: Store, rows: int, pool: ProcessRunner) -> dict[str, BenchEngine]:
    owner_norm = list(normalise_ids(store.owner_ids, IdentifierKind.MOBILE, cap=10**7).ids)
    owner_rows = list(normalise_rows(store.owner_ids, IdentifierKind.MOBILE, cap=10**7).keys)
    partner_norm = list(
        normalise_ids(list(partner_list(rows)), IdentifierKind.MOBILE, cap=10**7).ids
    )
    n = pool.workers
    return {
        "openmined": BenchEngine(
            raw={
                "library, 1 process": lambda: raw_openmined_library(owner_norm, partner_norm),
                f"engine, {n} processes": lambda: raw_openmined_engine(
                    owner_norm, partner_norm, pool
                ),
            },
            through=lambda: through_sealroom(store, "openmined", rows),
        ),
        "psi_sum": BenchEngine(
            raw={
                "parties, 1 process": lambda: raw_psi_sum(
                    owner_rows, store.spend, partner_norm, None
                ),
                f"parties, {n} processes": lambda: raw_psi_sum(
                    owner_rows, store.spend, partner_norm, pool
                ),
            },
            through=lambda: through_sealroom(store, "psi_sum", rows),
        ),
    }


def optional_engines(store: Store, rows: int) -> dict[str, BenchEngine]:
    """secretflow, when its own environment exists (``scripts/secretflow-env.sh``)."""
    try:
        engine_python()
    except EngineEnvironmentMissing as missing:
        print(f"secretflow: {missing}")
        return {}
    import psi_secretflow  # noqa: PLC0415 - beside this file; needs the engine's env

    owner_norm = list(normalise_ids(store.owner_ids, IdentifierKind.MOBILE, cap=10**7).ids)
    partner_norm = list(
        normalise_ids(list(partner_list(rows)), IdentifierKind.MOBILE, cap=10**7).ids
    )
    return {
        "secretflow": BenchEngine(
            raw={
                "spu rr22, 2 processes": lambda: (
                    psi_secretflow.raw_on(owner_norm, partner_norm, "rr22").intersection
                )
            },
            through=lambda: through_sealroom(store, "secretflow", rows),
        )
    }


def measure(
    bench: BenchEngine, raw: str, repeat: int
) -> tuple[Through, list[Through], dict[str, float]]:
    """The median through-Sealroom run, all of them, and each raw run's median seconds.

    Runs alternate (through, raw, through, raw...), so a slow spell of the machine
    hits both sides of a ratio.
    """
    raws = {
        label: fn
        for label, fn in bench.raw.items()
        if raw in ("all", "single" if label.endswith(" 1 process") else "pool")
    }
    runs: list[Through] = []
    raw_seconds: dict[str, list[float]] = {label: [] for label in raws}
    for _ in range(repeat):
        runs.append(bench.through())
        for label, fn in raws.items():
            seconds, answer = _timed(fn)
            assert answer == runs[-1].answer, f"{label} answered {answer}"
            raw_seconds[label].append(seconds)
    median = sorted(runs, key=lambda run: run.seconds)[len(runs) // 2]
    return median, runs, {label: statistics.median(t) for label, t in raw_seconds.items()}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=10_000, help="owner rows = partner rows")
    parser.add_argument("--engines", default="openmined,psi_sum")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument(
        "--raw",
        choices=("all", "pool", "single", "none"),
        default="all",
        help="which raw runs: the one-process one, the pooled one, both or none",
    )
    parser.add_argument(
        "--no-ahead",
        action="store_true",
        help="make the owner's share when the run opens, not ahead as `sealroom serve` does",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="run each measurement this many times, alternating, and compare medians",
    )
    args = parser.parse_args()
    wanted = [e for e in args.engines.split(",") if e]
    with tempfile.TemporaryDirectory() as tmp, ProcessRunner(args.workers) as pool:
        print(f"building a store of {args.rows:,} customers…", flush=True)
        store = build_store(Path(tmp), args.rows, args.workers)
        if not args.no_ahead:
            store.room.psi_ahead = PsiAhead(args.workers)
        print(
            "the owner's share of each run is made "
            + ("when the run opens" if args.no_ahead else "ahead (as `sealroom serve` does)"),
            flush=True,
        )
        engines = {**builtin_engines(store, args.rows, pool), **optional_engines(store, args.rows)}
        pool.map(len, [[0]] * args.workers)  # the pool's start-up outside the timings
        try:
            for name in wanted:
                if name not in engines:
                    print(f"{name}: not available here (known: {', '.join(engines)})")
                    continue
                bench = engines[name]
                through, runs, raw_seconds = measure(bench, args.raw, args.repeat)
                spread = ", ".join(f"{run.seconds:.2f}" for run in runs)
                spread = f" (of {spread})" if len(runs) > 1 else ""
                print(
                    f"{name} {args.rows:,} x {args.rows:,}: "
                    f"through Sealroom {through.seconds:8.2f} s{spread}"
                    f"  answer {through.answer:,}"
                    f"  peak RSS owner {through.owner_peak / MIB:,.0f} MiB,"
                    f" partner {through.partner_peak / MIB:,.0f} MiB"
                    f"  sent: owner {through.owner_sent / 1e6:,.2f} MB,"
                    f" partner {through.partner_sent / 1e6:,.2f} MB",
                    flush=True,
                )
                print(f"    partner's view: {through.phases}", flush=True)
                for label, seconds in raw_seconds.items():
                    print(
                        f"    raw {label:<24} {seconds:8.2f} s   Sealroom / raw = "
                        f"{through.seconds / seconds:5.2f}x",
                        flush=True,
                    )
        finally:
            store.room.close()


if __name__ == "__main__":
    main()
