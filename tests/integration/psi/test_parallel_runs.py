"""Sharding across real worker processes must give the one-process answer and leak no more."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from private_set_intersection.python import Response, ServerSetup

from contracts import PsiRevealMode
from jobs.psi import (
    OpenMinedEngine,
    OwnerValues,
    ProcessRunner,
    PsiLimits,
    PsiSumOwner,
    PsiSumPartner,
)

pytestmark = pytest.mark.integration

LIMITS = PsiLimits(100, 10, 10_000, frozenset(PsiRevealMode))
OWNER = [f"owner-{i}" for i in range(3000)]
PARTNER = [f"owner-{i}" for i in range(2500, 3700)]  # 500 shared
SHARED = set(OWNER) & set(PARTNER)


@pytest.fixture(scope="module")
def runner() -> Iterator[ProcessRunner]:
    with ProcessRunner(workers=2) as pool:
        yield pool


@pytest.mark.parametrize("mode", list(PsiRevealMode))
def test_openmined_in_two_processes_matches_ground_truth(
    runner: ProcessRunner, mode: PsiRevealMode
) -> None:
    engine = OpenMinedEngine(runner)
    partner = engine.partner_session("s", mode, LIMITS)
    owner = engine.owner_session("s", LIMITS)
    request = partner.create_request(PARTNER)
    setup = owner.setup(OWNER, request.size, mode)
    response = owner.process_request(request)
    outcome = partner.finish(setup, response)

    assert outcome.intersection_size == len(SHARED) == 500
    if mode is PsiRevealMode.INTERSECTION:
        assert outcome.matched_rows is not None
        assert {PARTNER[i] for i in outcome.matched_rows} == SHARED
    else:
        # Sorted as a whole after merging the shards: no shard boundary shows.
        proto = Response()
        proto.ParseFromString(response.payload)
        assert list(proto.encrypted_elements) == sorted(proto.encrypted_elements)
    # The merged setup is sorted too: the owner's row order does not leak.
    raw = ServerSetup()
    raw.ParseFromString(setup.payload)
    assert list(raw.raw.encrypted_elements) == sorted(raw.raw.encrypted_elements)
    assert len(raw.raw.encrypted_elements) == len(OWNER)


def test_psi_sum_in_two_processes_matches_ground_truth(runner: ProcessRunner) -> None:
    owner_ids, partner_ids = OWNER[:400], PARTNER[:300] + OWNER[:100]
    spend = [Decimal(i) / 4 for i in range(400)]
    values = OwnerValues.from_columns(owner_ids, {"spend": spend})
    owner = PsiSumOwner("s", LIMITS, values, runner=runner)
    partner = PsiSumPartner("s", LIMITS, runner=runner)
    result = partner.finish(
        owner.reveal(partner.aggregate(owner.reply(partner.hello(partner_ids))))
    )
    assert result.count == 100
    assert result.sums["spend"] == sum(spend[:100])
