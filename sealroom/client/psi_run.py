"""The partner's side of PSI and PSI-sum, run on the partner's own machine.

The partner's identifiers are normalised, blinded and answered here; only
protocol messages go to the owner's service (through a ``PsiTransport``: the REST
API, or the service in the same process for an embedded store). The owner's last
message reaches the partner only as a result released after review and sealed to
the partner's key, which this module opens and verifies before finishing.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from contracts import JobKind, PsiRevealMode
from jobs import open_result
from jobs.psi import (
    IdentifierKind,
    MalformedMessage,
    MaskedTotals,
    OpenMinedEngine,
    OwnerReply,
    PsiAbort,
    PsiLimits,
    PsiResponse,
    PsiSetup,
    PsiSumPartner,
    SetTooLarge,
    normalise_ids,
)
from jobs.psi.runners import InlineRunner, ProcessRunner, ShardRunner
from jobs.psi.secretflow import LinkReport, LinkSettings, SecretflowEngine
from kms import PartyKeyPair

PARTNER_SET_CAP = 10_000_000
# Below this many identifiers, starting worker processes costs more than it saves.
POOL_THRESHOLD = 2_000


@dataclass(frozen=True)
class OpenedRun:
    job_id: str
    identifier_kind: IdentifierKind
    min_partner_set_size: int
    min_intersection_size: int
    value_columns: tuple[str, ...]
    engine: str = "openmined"
    protocol: str | None = None


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


class _PartnerPool:
    """The caller's runner, or worker processes on this (the partner's) machine for one run.

    The partner's key travels to each worker with its chunk, so the work never leaves
    the partner's machine: no cluster is offered here. Workers are started only for
    an engine that computes here, and in the background, while the list is normalised.
    """

    def __init__(self, given: ShardRunner | None, size: int) -> None:
        self._given = given
        self._size = size
        self._pool: ProcessRunner | None = None

    def start(self) -> ShardRunner:
        workers = os.cpu_count() or 1
        if self._given is not None:
            return self._given
        if self._size < POOL_THRESHOLD or workers == 1:
            return InlineRunner()
        self._pool = ProcessRunner(workers)
        self._pool.start()
        return self._pool

    def __enter__(self) -> _PartnerPool:
        return self

    def __exit__(self, *_: object) -> None:
        if self._pool is not None:
            self._pool.close()


def _announced_size(raw_ids: Sequence[str | None]) -> int:
    """The set size announced when the run opens, before the owner names the kind.

    Distinct non-empty entries as written: never below the normalised set's size,
    which the owner checks again when the set itself arrives. Counting them costs a
    tenth of normalising the list.
    """
    if len(raw_ids) > PARTNER_SET_CAP:
        raise SetTooLarge("partner list", cap=PARTNER_SET_CAP)
    distinct = set(raw_ids)
    distinct.discard(None)
    distinct.discard("")
    return len(distinct)


@contextmanager
def _abort_on_failure(transport: PsiTransport, job_id: str) -> Iterator[None]:
    """Tells the owner why this side stopped, so the run ends now, not at a timeout.

    Only around the steps before this side's last protocol message: after it, the
    run waits for review and a failure here (a timeout while waiting) ends nothing.
    """
    try:
        yield
    except BaseException as error:
        reason = str(error) or type(error).__name__
        with contextlib.suppress(Exception):  # the run fails either way; say why if we can
            transport.exchange(job_id, PsiAbort(job_id, reason).to_bytes())
        raise


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
    runner: ShardRunner | None = None,
) -> PartnerLearned:
    """Cardinality or intersection of the partner's list with the owner's key column."""
    with _PartnerPool(runner, len(raw_ids)) as pool:
        # The owner names the identifier kind; normalise only after opening, with its rules.
        opened = transport.open(contract_id, JobKind.PSI, _announced_size(raw_ids), mode)
        with _abort_on_failure(transport, opened.job_id):
            limits = PsiLimits(
                opened.min_partner_set_size, opened.min_intersection_size, modes=frozenset({mode})
            )
            if opened.engine == "secretflow":  # spu computes in its own process
                ids = normalise_ids(raw_ids, opened.identifier_kind, cap=PARTNER_SET_CAP).ids
                return _run_secretflow(transport, opened, list(ids), mode, limits)
            workers = pool.start()
            ids = normalise_ids(raw_ids, opened.identifier_kind, cap=PARTNER_SET_CAP).ids
            partner = OpenMinedEngine(workers).partner_session(opened.job_id, mode, limits)
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


def _run_secretflow(
    transport: PsiTransport,
    opened: OpenedRun,
    ids: list[str],
    mode: PsiRevealMode,
    limits: PsiLimits,
) -> PartnerLearned:
    """The secretflow engine: rendezvous through the API, the data over the direct link.

    The result comes off the link, not as a sealed release: the owner's review was the
    gate before its party joined (``docs/protocols.md``, "secretflow").
    """
    engine = SecretflowEngine(opened.protocol or "rr22", LinkSettings.for_partner())
    partner = engine.partner_session(opened.job_id, mode, limits)
    try:
        setup = transport.exchange(opened.job_id, partner.create_request(ids).to_bytes())
        if setup is None:
            raise MalformedMessage(PsiSetup.KIND, "the owner sent no link offer")
        outcome = partner.finish(PsiSetup.from_bytes(setup))
    except BaseException:
        partner.abort()  # the caller's _abort_on_failure tells the owner
        raise
    report = LinkReport(opened.job_id, outcome.intersection_size)
    transport.exchange(opened.job_id, report.to_bytes())
    return PartnerLearned(
        opened.job_id,
        "psi",
        outcome.intersection_size,
        outcome.owner_set_size,
        outcome.partner_set_size,
        tuple(ids[i] for i in outcome.matched_rows or ()),
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
    runner: ShardRunner | None = None,
) -> PartnerLearned:
    """Sum, count and mean of the owner's value columns over the intersection."""
    with _PartnerPool(runner, len(raw_ids)) as pool:
        opened = transport.open(contract_id, JobKind.PSI_SUM, _announced_size(raw_ids), None)
        with _abort_on_failure(transport, opened.job_id):
            workers = pool.start()
            ids = normalise_ids(raw_ids, opened.identifier_kind, cap=PARTNER_SET_CAP).ids
            limits = PsiLimits(opened.min_partner_set_size, opened.min_intersection_size)
            partner = PsiSumPartner(opened.job_id, limits, runner=workers)
            reply = transport.exchange(opened.job_id, partner.hello(list(ids)).to_bytes())
            assert reply is not None, "the owner answers the hello"
            sums = partner.aggregate(OwnerReply.from_bytes(reply))
            transport.exchange(opened.job_id, sums.to_bytes())
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
