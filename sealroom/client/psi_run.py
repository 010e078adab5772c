"""The partner's side of PSI and PSI-sum, run on the partner's own machine.

The partner's identifiers are normalised, blinded and answered here; only
protocol messages go to the owner's service (through a ``PsiTransport``: the REST
API, or the service in the same process for an embedded store). The owner's last
message reaches the partner only as a result released after review and sealed to
the partner's key, which this module opens and verifies before finishing.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from contracts import JobKind, PsiRevealMode
from jobs import open_result
from jobs.psi import (
    IdentifierKind,
    MaskedTotals,
    OpenMinedEngine,
    OwnerReply,
    PsiLimits,
    PsiResponse,
    PsiSetup,
    PsiSumPartner,
    normalise_ids,
)
from kms import PartyKeyPair

PARTNER_SET_CAP = 10_000_000


@dataclass(frozen=True)
class OpenedRun:
    job_id: str
    identifier_kind: IdentifierKind
    min_partner_set_size: int
    min_intersection_size: int
    value_columns: tuple[str, ...]


class ResultNotReleased(Exception):
    """The run's result is still waiting for the owner's review."""


class PsiTransport(Protocol):
    def open(
        self, contract_id: str, kind: JobKind, partner_set_size: int, mode: PsiRevealMode | None
    ) -> OpenedRun: ...

    def exchange(self, job_id: str, message: bytes) -> bytes | None: ...

    def sealed_result(self, job_id: str) -> bytes:
        """The released result sealed to this partner; ``ResultNotReleased`` before that."""
        ...

    def platform_key(self) -> bytes: ...


@dataclass(frozen=True)
class PartnerLearned:
    """Everything the partner learns, and nothing else."""

    job_id: str
    kind: str
    intersection_size: int
    owner_set_size: int
    partner_set_size: int
    matched_ids: tuple[str, ...] | None = None
    sums: dict[str, Decimal] | None = None

    def mean(self, column: str) -> Decimal | None:
        if not self.sums or self.intersection_size == 0:
            return None
        return self.sums[column] / self.intersection_size


def _wait_for_release(transport: PsiTransport, job_id: str, timeout: float, poll: float) -> bytes:
    deadline = time.monotonic() + timeout
    while True:
        try:
            return transport.sealed_result(job_id)
        except ResultNotReleased:
            if time.monotonic() > deadline:
                raise
            time.sleep(poll)


def run_psi(
    transport: PsiTransport,
    *,
    contract_id: str,
    raw_ids: Sequence[str | None],
    mode: PsiRevealMode,
    keys: PartyKeyPair,
    recipient: str,
    wait_seconds: float = 3600.0,
    poll_seconds: float = 1.0,
) -> PartnerLearned:
    """Cardinality or intersection of the partner's list with the owner's key column."""
    # The owner names the identifier kind; normalise only after opening, with the same rules.
    probe = normalise_ids(raw_ids, IdentifierKind.PLAIN, cap=PARTNER_SET_CAP)
    opened = transport.open(contract_id, JobKind.PSI, len(probe.ids), mode)
    ids = normalise_ids(raw_ids, opened.identifier_kind, cap=PARTNER_SET_CAP).ids
    limits = PsiLimits(
        opened.min_partner_set_size, opened.min_intersection_size, modes=frozenset({mode})
    )
    partner = OpenMinedEngine().partner_session(opened.job_id, mode, limits)
    request = partner.create_request(list(ids))
    transport.exchange(opened.job_id, request.to_bytes())
    sealed = _wait_for_release(transport, opened.job_id, wait_seconds, poll_seconds)
    result = open_result(
        sealed,
        job_id=opened.job_id,
        recipient=recipient,
        keys=keys,
        platform_key=transport.platform_key(),
    )
    outcome = partner.finish(
        PsiSetup.from_bytes(result.files["psi-setup.bin"]),
        PsiResponse.from_bytes(result.files["psi-response.bin"]),
    )
    matched = (
        tuple(ids[i] for i in outcome.matched_rows) if outcome.matched_rows is not None else None
    )
    return PartnerLearned(
        opened.job_id,
        "psi",
        outcome.intersection_size,
        outcome.owner_set_size,
        outcome.partner_set_size,
        matched,
    )


def run_psi_sum(
    transport: PsiTransport,
    *,
    contract_id: str,
    raw_ids: Sequence[str | None],
    keys: PartyKeyPair,
    recipient: str,
    wait_seconds: float = 3600.0,
    poll_seconds: float = 1.0,
) -> PartnerLearned:
    """Sum, count and mean of the owner's value columns over the intersection."""
    probe = normalise_ids(raw_ids, IdentifierKind.PLAIN, cap=PARTNER_SET_CAP)
    opened = transport.open(contract_id, JobKind.PSI_SUM, len(probe.ids), None)
    ids = normalise_ids(raw_ids, opened.identifier_kind, cap=PARTNER_SET_CAP).ids
    limits = PsiLimits(opened.min_partner_set_size, opened.min_intersection_size)
    partner = PsiSumPartner(opened.job_id, limits)
    reply = transport.exchange(opened.job_id, partner.hello(list(ids)).to_bytes())
    assert reply is not None, "the owner answers the hello"
    transport.exchange(opened.job_id, partner.aggregate(OwnerReply.from_bytes(reply)).to_bytes())
    sealed = _wait_for_release(transport, opened.job_id, wait_seconds, poll_seconds)
    result = open_result(
        sealed,
        job_id=opened.job_id,
        recipient=recipient,
        keys=keys,
        platform_key=transport.platform_key(),
    )
    learned = partner.finish(MaskedTotals.from_bytes(result.files["psi-sum-totals.bin"]))
    return PartnerLearned(
        opened.job_id,
        "psi_sum",
        learned.intersection_size,
        learned.owner_set_size,
        learned.partner_set_size,
        sums=dict(learned.sums),
    )
