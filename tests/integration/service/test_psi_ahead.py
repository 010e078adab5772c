"""The owner's share of the next PSI run, made ahead: used once, for the right terms and data."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from contracts import JobKind, PsiRevealMode
from jobs.psi import BlindedOwnerSet, OwnerRecords
from kms import PartyKeyPair
from sealroom.client.psi_run import run_psi_sum
from sealroom.data import customers_parquet
from sealroom.local.psi_transport import LocalPsiTransport
from sealroom.service import psi
from sealroom.service.context import Sealroom
from sealroom.service.datasets import register_dataset
from sealroom.service.psi_ahead import PsiAhead, ShareKey

from .conftest import ADMIN, OWNER, PARTNER
from .psi_story import (
    OVERLAP,
    approve_when_waiting,
    cardinality_run,
    partner_list,
    spend_of,
)

pytestmark = [
    pytest.mark.integration,
    pytest.mark.bwrap,
    pytest.mark.parametrize("active", ["bwrap"], indirect=True),
]


def key(kind: JobKind, dataset_version: int = 1) -> ShareKey:
    return ShareKey("c-12", 1, kind.value, "customers", dataset_version)


@pytest.fixture
def ahead(active: tuple[Sealroom, PartyKeyPair]) -> PsiAhead:
    room, _ = active
    room.psi_ahead = PsiAhead(workers=2)
    return room.psi_ahead


def test_shares_are_made_for_each_active_psi_contract_and_taken_once(
    active: tuple[Sealroom, PartyKeyPair], ahead: PsiAhead
) -> None:
    room, _ = active
    assert psi.make_shares_ahead(room) == 2  # c-12 allows psi and psi_sum
    ahead.wait(300)
    assert ahead.ready(key(JobKind.PSI)) and ahead.ready(key(JobKind.PSI_SUM))
    taken = ahead.take(key(JobKind.PSI))
    assert taken is not None and ahead.take(key(JobKind.PSI)) is None
    blinded = taken.result()
    assert isinstance(blinded, BlindedOwnerSet) and blinded.size == 2000
    assert list(blinded.elements) == sorted(blinded.elements)
    records = ahead.take(key(JobKind.PSI_SUM))
    assert records is not None and isinstance(records.result(), OwnerRecords)


def test_runs_with_shares_made_ahead_answer_as_without_and_leave_the_next_share_started(
    active: tuple[Sealroom, PartyKeyPair], ahead: PsiAhead
) -> None:
    room, partner_keys = active
    psi.make_shares_ahead(room)
    ahead.wait(300)
    first = ahead.take(key(JobKind.PSI))
    assert first is not None
    ahead.make(key(JobKind.PSI), lambda _: first.result())  # put it back, as made ahead
    ids = partner_list()
    assert cardinality_run(room, partner_keys, ids).intersection_size == OVERLAP
    # The run took the share and started the next one, under a fresh key.
    ahead.wait(300)
    following = ahead.take(key(JobKind.PSI))
    assert following is not None
    assert following.result().key != first.result().key

    voting = approve_when_waiting(room, [OWNER, ADMIN])
    summed = run_psi_sum(
        LocalPsiTransport(room, PARTNER),
        contract_id="c-12",
        raw_ids=ids,
        keys=partner_keys,
        recipient="globex-uk",
        poll_seconds=0.2,
    )
    voting.join()
    truth = spend_of(ids)
    assert summed.intersection_size == OVERLAP
    assert summed.sums is not None and summed.sums["spend_cny"] == truth.quantize(Decimal("0.01"))


def test_a_share_for_an_older_dataset_version_is_never_used(
    active: tuple[Sealroom, PartyKeyPair], ahead: PsiAhead, tmp_path: Path
) -> None:
    room, partner_keys = active
    psi.make_shares_ahead(room)
    ahead.wait(300)
    # A new version of the dataset with only the first 1,000 customers.
    smaller = pq.read_table(customers_parquet()).slice(0, 1000)
    path = tmp_path / "customers.parquet"
    pq.write_table(smaller, path)
    register_dataset(room, OWNER, path, owner="acme-cn", name="customers")
    learned = cardinality_run(room, partner_keys, partner_list())
    assert learned.owner_set_size == 1000  # made from version 2, not the share of version 1
    assert ahead.ready(key(JobKind.PSI, dataset_version=1))  # still there, never taken


def test_no_share_is_kept_for_a_dataset_above_the_bound(
    active: tuple[Sealroom, PartyKeyPair], ahead: PsiAhead
) -> None:
    room, _ = active
    room.settings = replace(room.settings, psi_ahead_max_rows=1999)  # customers has 2,000
    assert psi.make_shares_ahead(room) == 0
    opened = psi.open_psi(
        room, PARTNER, "c-12", JobKind.PSI, partner_set_size=500, mode=PsiRevealMode.CARDINALITY
    )
    assert not ahead.ready(key(JobKind.PSI)) and room.psi_runs.next_share(opened.job_id) is None
