"""PSI engines, raw and through the Sealroom cores, on identical sets.

    .venv/bin/python benchmarks/psi.py                      # 10k x 10k and 100k x 100k, psi_sum 10k
    .venv/bin/python benchmarks/psi.py --psi-sum 10000 100000 --workers 2

Prints wall time, the ratio to the raw one-process library, the CPU seconds
spent by all processes (a load-independent view of the work: the machine is
shared), peak memory and the bytes each side sent. "raw" is openmined-psi called
directly in one process (the library's default GCS setup); "sealroom" is
``OpenMinedEngine`` over a process pool, every message through its byte form as
the REST API will carry it.
"""

from __future__ import annotations

import argparse
import os
import resource
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TypeVar

import private_set_intersection.python as psi  # type: ignore[import-untyped]

from contracts import PsiRevealMode
from jobs.psi import (
    MaskedSums,
    MaskedTotals,
    OpenMinedEngine,
    OwnerReply,
    OwnerValues,
    PartnerHello,
    ProcessRunner,
    PsiLimits,
    PsiRequest,
    PsiResponse,
    PsiSetup,
    PsiSumOwner,
    PsiSumPartner,
    ShardRunner,
)

T = TypeVar("T")


@dataclass
class Measure:
    label: str
    seconds: float
    owner_sent: int
    partner_sent: int
    answer: int
    phases: dict[str, float] = field(default_factory=dict)
    cpu: float = 0.0


class Clock:
    """Wall time per protocol step, to show where a run spends it."""

    def __init__(self) -> None:
        self.phases: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.phases[name] = now - self._last
        self._last = now


def timed(fn: Callable[[], T]) -> tuple[T, float]:
    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start


def sets(n: int) -> tuple[list[str], list[str]]:
    owner = [f"+86138{i:08d}" for i in range(n)]
    partner = [f"+86138{i:08d}" for i in range(n // 2, n // 2 + n)]  # half shared
    return owner, partner


def raw_openmined(n: int) -> Measure:
    owner_ids, partner_ids = sets(n)

    def go() -> tuple[int, int, int]:
        server = psi.server.CreateWithNewKey(False)
        client = psi.client.CreateWithNewKey(False)
        setup = server.CreateSetupMessage(1e-9, len(partner_ids), owner_ids)
        request = client.CreateRequest(partner_ids)
        response = server.ProcessRequest(request)
        size = client.GetIntersectionSize(setup, response)
        owner_sent = len(setup.SerializeToString()) + len(response.SerializeToString())
        return size, owner_sent, len(request.SerializeToString())

    (size, owner_sent, partner_sent), seconds = timed(go)
    return Measure("openmined raw, 1 process", seconds, owner_sent, partner_sent, size)


def sealroom_openmined(n: int, runner: ShardRunner) -> Measure:
    owner_ids, partner_ids = sets(n)
    limits = PsiLimits(1, 1, max(n, 1) * 2)
    engine = OpenMinedEngine(runner)

    clock = Clock()

    def go() -> tuple[int, int, int]:
        mode = PsiRevealMode.CARDINALITY
        partner = engine.partner_session("bench", mode, limits)
        owner = engine.owner_session("bench", limits)
        request = partner.create_request(partner_ids).to_bytes()
        clock.lap("request")
        setup = owner.setup(owner_ids, len(partner_ids), mode).to_bytes()
        clock.lap("setup")
        response = owner.process_request(PsiRequest.from_bytes(request)).to_bytes()
        clock.lap("process")
        outcome = partner.finish(PsiSetup.from_bytes(setup), PsiResponse.from_bytes(response))
        clock.lap("finish")
        return outcome.intersection_size, len(setup) + len(response), len(request)

    (size, owner_sent, partner_sent), seconds = timed(go)
    label = f"openmined sealroom, {runner.workers} process(es)"
    return Measure(label, seconds, owner_sent, partner_sent, size, clock.phases)


def sealroom_psi_sum(n: int, runner: ShardRunner) -> Measure:
    owner_ids, partner_ids = sets(n)
    spend = [Decimal(i % 10_000) / 100 for i in range(n)]
    limits = PsiLimits(1, 1, max(n, 1) * 2)

    clock = Clock()

    def go() -> tuple[int, int, int]:
        values = OwnerValues.from_columns(owner_ids, {"spend": spend})
        owner = PsiSumOwner("bench", limits, values, runner=runner)
        partner = PsiSumPartner("bench", limits, runner=runner)
        clock.lap("keygen")
        owner.prepare()
        clock.lap("owner prepare")
        hello = partner.hello(partner_ids).to_bytes()
        clock.lap("hello")
        reply = owner.reply(PartnerHello.from_bytes(hello)).to_bytes()
        clock.lap("reply")
        sums = partner.aggregate(OwnerReply.from_bytes(reply)).to_bytes()
        clock.lap("aggregate")
        totals = owner.reveal(MaskedSums.from_bytes(sums)).to_bytes()
        result = partner.finish(MaskedTotals.from_bytes(totals))
        clock.lap("reveal+finish")
        assert result.sums["spend"] == sum(spend[n // 2 :])
        return result.count, len(reply) + len(totals), len(hello) + len(sums)

    (count, owner_sent, partner_sent), seconds = timed(go)
    # On two machines the owner prepares while the partner blinds its list.
    phases = clock.phases
    overlap = min(phases["owner prepare"], phases["hello"])
    phases["two-machine estimate"] = seconds - overlap
    label = f"psi_sum sealroom, {runner.workers} process(es) (incl. key generation)"
    return Measure(label, seconds, owner_sent, partner_sent, count, clock.phases)


def worker_cpu(_: object = None) -> tuple[int, float]:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return os.getpid(), usage.ru_utime + usage.ru_stime


def pool_cpu(pool: ProcessRunner) -> float:
    """CPU seconds used so far by this process and every worker the pool has."""
    seen = dict(pool.map(worker_cpu, list(range(pool.workers * 16))))
    return time.process_time() + sum(seen.values())


def peak_mib(_: object = None) -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def show(n: int, rows: list[Measure], baseline: float | None) -> None:
    for row in rows:
        ratio = f"{row.seconds / baseline:5.2f}x raw" if baseline else "         "
        cpu = f"cpu {row.cpu:7.2f} s" if row.cpu else ""
        print(
            f"{n:>8} x {n:<8} {row.label:<58} {row.seconds:8.2f} s  {ratio}  {cpu}  "
            f"owner sent {row.owner_sent / 1e6:8.2f} MB  "
            f"partner sent {row.partner_sent / 1e6:8.2f} MB  "
            f"answer {row.answer}  peak RSS so far {peak_mib():.0f} MiB"
        )
        if row.phases:
            print(" " * 20 + "  ".join(f"{k} {v:.2f} s" for k, v in row.phases.items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--psi", type=int, nargs="*", default=[10_000, 100_000])
    parser.add_argument("--psi-sum", type=int, nargs="*", default=[10_000])
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    with ProcessRunner(args.workers) as pool:
        pool.map(len, [[0]] * args.workers)  # start the workers outside the timings
        for n in args.psi:
            start = time.process_time()
            raw = raw_openmined(n)
            raw.cpu = time.process_time() - start
            before = pool_cpu(pool)
            ours = sealroom_openmined(n, pool)
            ours.cpu = pool_cpu(pool) - before
            show(n, [raw, ours], raw.seconds)
        for n in args.psi_sum:
            before = pool_cpu(pool)
            summed = sealroom_psi_sum(n, pool)
            summed.cpu = pool_cpu(pool) - before
            show(n, [summed], None)
        # Workers are children of the fork server, not of this process: ask them.
        worker_peak = max(pool.map(peak_mib, list(range(args.workers * 8))))
        print(f"peak RSS of the largest worker process seen: {worker_peak:.0f} MiB")


if __name__ == "__main__":
    main()
