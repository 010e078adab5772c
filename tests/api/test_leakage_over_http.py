"""The leakage ledger through the SDK: the same answer as the local store, the same refusals."""

from __future__ import annotations

import pytest

from sealroom.client import Client, Forbidden
from tests.fixtures.world import World

pytestmark = pytest.mark.integration


def test_parties_read_the_ledger_over_http_and_a_scientist_is_refused(
    matrix_world: World, matrix_url: str
) -> None:
    with Client(matrix_url, matrix_world.tokens["recipient"], progress=False) as partner:
        ledger = partner.contract_leakage("c-12")
    assert ledger.contract_id == "c-12" and ledger.min_group_size == 10
    assert ledger.budget_epsilon is None and ledger.entries == []
    assert "no DP budget" in repr(ledger)
    scientist = Client(matrix_url, matrix_world.tokens["scientist"], progress=False)
    with scientist, pytest.raises(Forbidden):
        scientist.contract_leakage("c-12")
