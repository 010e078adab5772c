"""PSI over a real two-node Ray cluster gives the in-process answer, from both nodes."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from private_set_intersection.python import Request

from contracts import PsiRevealMode
from jobs.psi import (
    InlineRunner,
    MalformedMessage,
    OpenMinedEngine,
    OwnerValues,
    PsiLimits,
    PsiOutcome,
    PsiSumOwner,
    PsiSumPartner,
    PsiSumResult,
    ShardRunner,
)
from jobs.psi.runners.ray_runner import RayRunner
from tests.fixtures.ray import RayCluster

pytestmark = [pytest.mark.integration, pytest.mark.ray]

LIMITS = PsiLimits(100, 10, 10_000, frozenset(PsiRevealMode))
OWNER = [f"owner-{i}" for i in range(3000)]
PARTNER = [f"owner-{i}" for i in range(2500, 3700)]  # 500 shared


@pytest.fixture(scope="module")
def ray_runner(ray_cluster: RayCluster) -> Iterator[RayRunner]:
    with RayRunner(ray_cluster.address) as runner:
        yield runner


def psi(runner: ShardRunner, mode: PsiRevealMode) -> PsiOutcome:
    engine = OpenMinedEngine(runner)
    partner = engine.partner_session("s", mode, LIMITS)
    owner = engine.owner_session("s", LIMITS)
    request = partner.create_request(PARTNER)
    setup = owner.setup(OWNER, request.size, mode)
    return partner.finish(setup, owner.process_request(request))


def psi_sum(runner: ShardRunner) -> PsiSumResult:
    spend = [Decimal(i) / 4 for i in range(400)]
    values = OwnerValues.from_columns(OWNER[:400], {"spend": spend})
    owner = PsiSumOwner("s", LIMITS, values, runner=runner)
    partner = PsiSumPartner("s", LIMITS, runner=runner)
    hello = partner.hello(PARTNER[:300] + OWNER[:100])
    return partner.finish(owner.reveal(partner.aggregate(owner.reply(hello))))


def test_the_cluster_counts_both_nodes_cpus(ray_runner: RayRunner) -> None:
    assert ray_runner.workers == 2


@pytest.mark.parametrize("mode", list(PsiRevealMode))
def test_openmined_over_ray_agrees_with_inline_and_ran_on_both_nodes(
    ray_runner: RayRunner, mode: PsiRevealMode
) -> None:
    ray_runner.nodes_used.clear()
    over_ray = psi(ray_runner, mode)
    inline = psi(InlineRunner(), mode)

    assert over_ray.intersection_size == inline.intersection_size == 500
    assert over_ray.matched_rows == inline.matched_rows
    if mode is PsiRevealMode.INTERSECTION:
        assert over_ray.matched_rows is not None and len(over_ray.matched_rows) == 500
    assert len(ray_runner.nodes_used) == 2


def test_psi_sum_over_ray_agrees_with_inline_and_ran_on_both_nodes(
    ray_runner: RayRunner,
) -> None:
    ray_runner.nodes_used.clear()
    over_ray = psi_sum(ray_runner)
    inline = psi_sum(InlineRunner())

    assert over_ray.count == inline.count == 100
    assert over_ray.sums == inline.sums == {"spend": sum(Decimal(i) / 4 for i in range(100))}
    assert len(ray_runner.nodes_used) == 2


def test_results_come_back_in_chunk_order_with_few_in_flight(ray_cluster: RayCluster) -> None:
    runner = RayRunner(ray_cluster.address, in_flight=2)
    chunks = [list(range(i, i + 3)) for i in range(0, 60, 3)]
    assert runner.map(sum, chunks) == [sum(c) for c in chunks]


def test_a_task_error_arrives_as_the_engines_own_typed_error(ray_runner: RayRunner) -> None:
    engine = OpenMinedEngine(ray_runner)
    partner = engine.partner_session("s", PsiRevealMode.CARDINALITY, LIMITS)
    owner = engine.owner_session("s", LIMITS)
    request = partner.create_request(PARTNER)
    owner.setup(OWNER, request.size, PsiRevealMode.CARDINALITY)
    # Garbage where curve points should be: the worker on the cluster refuses it.
    proto = Request()
    proto.ParseFromString(request.payload)
    forged = Request()
    forged.reveal_intersection = proto.reveal_intersection
    forged.encrypted_elements.extend(b"\x05" * 33 for _ in proto.encrypted_elements)
    bad = type(request)(request.session_id, request.mode, request.size, forged.SerializeToString())
    with pytest.raises(MalformedMessage, match="not a curve point"):
        owner.process_request(bad)
