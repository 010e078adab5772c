"""Stories 2 and 3 over HTTP: the partner's list stays in the partner's process;
only protocol messages and the sealed result cross the API."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from jobs.psi import IdentifierKind, normalise_identifier
from sealroom.api import create_app
from sealroom.client import Client, InvalidRequest, Partner
from sealroom.data import customers_parquet
from sealroom.datasets.synthetic import partner_ids
from sealroom.service.audit_log import platform_public_keys
from tests.fixtures.review_over_http import approve_when_waiting
from tests.fixtures.world import World, build_matrix_world, serving

pytestmark = pytest.mark.integration
OVERLAP, EXTRA = 150, 350


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[World, str]]:
    built = build_matrix_world(tmp_path / "home", f"sqlite:///{tmp_path / 'store.db'}")
    with serving(create_app(built.room)) as url:
        yield built, url
    built.room.close()


def test_the_partner_learns_the_overlap_and_the_spend_over_it_through_the_api(
    world: tuple[World, str],
) -> None:
    built, url = world
    owner = Client(url, built.tokens["owner"], progress=False)
    platform = Client(url, built.tokens["platform"], progress=False)
    partner = Partner(Client(url, built.tokens["recipient"]), "globex-uk", built.keys["globex-uk"])
    pinned = platform_public_keys(built.room)  # as the partner obtained it out of band
    table = pq.read_table(customers_parquet())
    ids = partner_ids(table, OVERLAP, EXTRA, seed=11)

    reviewing = approve_when_waiting(
        [(owner, built.keys["acme-cn"])], "psi"
    )  # cardinality: 1 of owner, platform
    learned = partner.run_psi("c-12", ids, platform_key=pinned, poll_seconds=0.2)
    reviewing.join()
    assert learned.intersection_size == OVERLAP
    assert learned.owner_set_size == 2000 and learned.matched_ids is None

    wanted = {normalise_identifier(m, IdentifierKind.MOBILE) for m in ids}
    truth = sum(
        (
            Decimal(str(r["spend_cny"]))
            for r in table.to_pylist()
            if normalise_identifier(r["mobile"], IdentifierKind.MOBILE) in wanted
        ),
        Decimal(0),
    )
    reviewing = approve_when_waiting([(owner, built.keys["acme-cn"]), (platform, None)], "psi_sum")
    summed = partner.run_psi_sum("c-12", ids, platform_key=pinned, poll_seconds=0.2)
    reviewing.join()
    assert summed.intersection_size == OVERLAP
    assert summed.sums is not None and summed.sums["spend_cny"] == truth.quantize(Decimal("0.01"))
    for c in (owner, platform, partner.client):
        c.close()


def test_a_psi_run_below_the_contracts_minimum_set_is_refused_by_the_gate(
    world: tuple[World, str],
) -> None:
    built, url = world
    with Client(url, built.tokens["recipient"]) as client:
        partner = Partner(client, "globex-uk", built.keys["globex-uk"])
        with pytest.raises(InvalidRequest, match="at least 100"):
            partner.run_psi("c-12", [f"1380013800{i}" for i in range(5)], wait_seconds=1)
