"""Stories 2 and 3 as steps the PSI tests share: the partner's list, reviewers who
approve a waiting run, a cardinality run, and the spend ground truth."""

from __future__ import annotations

import threading
import time
from decimal import Decimal

import pyarrow.parquet as pq

from contracts import PsiRevealMode
from jobs import JobState
from jobs.psi import IdentifierKind, normalise_identifier
from kms import PartyKeyPair, load_party_key_file
from sealroom.client.psi_run import PartnerLearned, run_psi
from sealroom.data import customers_parquet
from sealroom.datasets.synthetic import partner_ids
from sealroom.local.psi_transport import LocalPsiTransport
from sealroom.service.actors import Actor
from sealroom.service.context import Sealroom
from sealroom.service.jobs import list_jobs
from tests.fixtures.deciding import vote_as

from .conftest import OWNER, PARTNER, PASSPHRASE

OVERLAP, EXTRA = 150, 350


def partner_list() -> list[str]:
    return partner_ids(pq.read_table(customers_parquet()), OVERLAP, EXTRA, seed=11)


def signing_keys(room: Sealroom, voter: Actor) -> PartyKeyPair | None:
    """The voter's own key file (issued into the test's home); the platform's seat needs none."""
    if voter.speaks_for("platform"):
        return None
    return load_party_key_file(room.settings.home / f"{voter.name}.key", PASSPHRASE)


def approve_when_waiting(room: Sealroom, voters: list[Actor]) -> threading.Thread:
    def approve() -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            waiting = [j for j in list_jobs(room) if j.state is JobState.AWAITING_REVIEW]
            if waiting:
                for voter in voters:
                    vote_as(room, voter.name, waiting[0].job_id, signing_keys(room, voter))
                return
            time.sleep(0.2)

    thread = threading.Thread(target=approve, daemon=True)
    thread.start()
    return thread


def cardinality_run(room: Sealroom, keys: PartyKeyPair, ids: list[str]) -> PartnerLearned:
    """A cardinality run of c-12 by the partner, approved by the owner alone."""
    voting = approve_when_waiting(room, [OWNER])  # psi_cardinality quorum: 1 of owner, platform
    learned = run_psi(
        LocalPsiTransport(room, PARTNER),
        contract_id="c-12",
        raw_ids=ids,
        mode=PsiRevealMode.CARDINALITY,
        keys=keys,
        recipient="globex-uk",
        poll_seconds=0.2,
    )
    voting.join()
    return learned


def spend_of(ids: list[str]) -> Decimal:
    """Ground truth: the owner's total spend over the customers these ids name."""
    wanted = {normalise_identifier(m, IdentifierKind.MOBILE) for m in ids}
    return sum(
        (
            Decimal(str(r["spend_cny"]))
            for r in pq.read_table(customers_parquet()).to_pylist()
            if normalise_identifier(r["mobile"], IdentifierKind.MOBILE) in wanted
        ),
        Decimal(0),
    )
