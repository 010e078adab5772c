"""An owner with a Ray cluster configured runs its side of PSI on that cluster."""

from __future__ import annotations

from dataclasses import replace

import pytest
import ray

from jobs.psi.runners.ray_runner import RayRunner
from kms import PartyKeyPair
from sealroom.service.context import Sealroom
from tests.fixtures.ray import RayCluster

from .psi_story import OVERLAP, cardinality_run, partner_list

pytestmark = [pytest.mark.integration, pytest.mark.ray]


def test_a_configured_ray_address_runs_the_owners_side_on_the_cluster(
    active: tuple[Sealroom, PartyKeyPair], ray_cluster: RayCluster
) -> None:
    base, partner_keys = active
    room = replace(base, settings=replace(base.settings, ray_address=ray_cluster.address))
    try:
        learned = cardinality_run(room, partner_keys, partner_list())
        assert learned.intersection_size == OVERLAP
        runner = room.psi_runner
        assert isinstance(runner, RayRunner)
        assert runner.address == ray_cluster.address
        assert len(runner.nodes_used) == 2  # the owner's 2,000 ids, one chunk per node
    finally:
        room.close()
    assert room.psi_runner is None
    assert not ray.is_initialized()  # closing the room left the cluster
