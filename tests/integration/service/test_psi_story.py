"""Stories 2 and 3: overlap and spend over the overlap, checked against ground truth."""

from __future__ import annotations

from decimal import Decimal

import pyarrow.parquet as pq
import pytest

from contracts import PsiRevealMode, PsiSetTooSmall
from jobs import JobState
from jobs.psi import IdentifierKind, normalise_identifier
from kms import PartyKeyPair
from sealroom.client.psi_run import PartnerLearned, run_psi, run_psi_sum
from sealroom.data import customers_parquet
from sealroom.local.psi_transport import LocalPsiTransport
from sealroom.service.context import Sealroom
from sealroom.service.jobs import list_jobs

from .conftest import ADMIN, OWNER, PARTNER
from .psi_story import OVERLAP, approve_when_waiting, cardinality_run, partner_list, spend_of

pytestmark = [pytest.mark.integration, pytest.mark.bwrap]


def test_story_2_the_partner_learns_the_overlap_size_and_which_of_its_ids(
    active: tuple[Sealroom, PartyKeyPair],
) -> None:
    room, partner_keys = active
    transport = LocalPsiTransport(room, PARTNER)
    ids = partner_list()
    learned = cardinality_run(room, partner_keys, ids)
    assert learned.intersection_size == OVERLAP
    assert learned.owner_set_size == 2000 and learned.partner_set_size == len(ids)
    assert learned.matched_ids is None  # cardinality mode reveals no identifiers

    thread = approve_when_waiting(room, [OWNER, ADMIN])  # intersection: the default quorum
    learned = run_psi(
        transport,
        contract_id="c-12",
        raw_ids=ids,
        mode=PsiRevealMode.INTERSECTION,
        keys=partner_keys,
        recipient="globex-uk",
        poll_seconds=0.2,
    )
    thread.join()
    customers = {
        normalise_identifier(m, IdentifierKind.MOBILE)
        for m in pq.read_table(customers_parquet()).column("mobile").to_pylist()
    }
    expected = {normalise_identifier(m, IdentifierKind.MOBILE) for m in ids} & customers
    assert learned.matched_ids is not None and set(learned.matched_ids) == expected


def test_story_3_the_partner_learns_the_spend_of_shared_customers_and_nothing_per_record(
    active: tuple[Sealroom, PartyKeyPair],
) -> None:
    room, partner_keys = active
    ids = partner_list()
    truth = spend_of(ids)
    thread = approve_when_waiting(room, [OWNER, ADMIN])
    learned: PartnerLearned = run_psi_sum(
        LocalPsiTransport(room, PARTNER),
        contract_id="c-12",
        raw_ids=ids,
        keys=partner_keys,
        recipient="globex-uk",
        poll_seconds=0.2,
    )
    thread.join()
    assert learned.intersection_size == OVERLAP
    assert learned.sums is not None
    assert learned.sums["spend_cny"] == truth.quantize(Decimal("0.01"))
    # The owner's side recorded only what it learned: set sizes and the claimed overlap.
    run = next(j for j in list_jobs(room, viewer=OWNER) if j.kind == "psi_sum")
    leakage = (run.check_report or {})["leakage"]
    assert leakage["claimed_intersection_size"] == OVERLAP
    assert set(leakage) >= {"partner_set_size", "aggregate", "owner_learns"}


def test_a_tiny_partner_list_is_refused_before_any_protocol_runs(
    active: tuple[Sealroom, PartyKeyPair],
) -> None:
    room, partner_keys = active
    with pytest.raises(PsiSetTooSmall, match="at least 100"):
        run_psi(
            LocalPsiTransport(room, PARTNER),
            contract_id="c-12",
            raw_ids=partner_list()[:20],
            mode=PsiRevealMode.CARDINALITY,
            keys=partner_keys,
            recipient="globex-uk",
        )
    assert [j.state for j in list_jobs(room) if j.kind == "psi"] == [JobState.REJECTED_BY_GATE]
