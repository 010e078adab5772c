"""An owner's ``psi_sum`` run: the partner's hello answered, its masked sums revealed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from contracts import Contract, JobKind, PsiEngineKind, PsiSumRules, check_psi_request
from jobs.psi.limits import PsiLimits
from jobs.psi.owner.run import Finished, OwnerData, OwnerShare, RunnerSource
from jobs.psi.psi_sum import (
    MaskedSums,
    OwnerRecords,
    OwnerValues,
    PartnerHello,
    PsiSumOwner,
    prepare_records,
)
from jobs.psi.runners import ShardRunner


@dataclass(frozen=True)
class PsiSumOwnerEngine:
    contract: Contract
    rules: PsiSumRules

    # PSI-sum has one engine of its own; a run's opening names it as the default.
    name = PsiEngineKind.OPENMINED.value
    protocol = None

    @property
    def key_column(self) -> str:
        return self.rules.key_columns[0]

    @property
    def value_columns(self) -> tuple[str, ...]:
        return tuple(self.rules.value_columns)

    def make_share(self, data: OwnerData, runner: ShardRunner) -> OwnerRecords:
        return prepare_records(data.values(self.value_columns), runner)

    def for_run(self, share: Any) -> Any:
        return share

    def open_run(self, job_id: str, share: OwnerShare, runner: RunnerSource) -> PsiSumOwnerRun:
        return PsiSumOwnerRun(job_id, self.contract, self.rules, share, runner)


class PsiSumOwnerRun:
    """Holds the owner's blinding scalar and Paillier key between the partner's messages."""

    def __init__(
        self,
        job_id: str,
        contract: Contract,
        rules: PsiSumRules,
        share: OwnerShare,
        runner: RunnerSource,
    ) -> None:
        self._job_id = job_id
        self._contract = contract
        self._rules = rules
        self._share = share
        self._runner = runner
        self._owner: PsiSumOwner | None = None
        self._partner_size = 0

    def step(self, message: bytes) -> bytes | Finished:
        if self._owner is None:
            return self._reply(message)
        owner, self._owner = self._owner, None
        totals = owner.reveal(MaskedSums.from_bytes(message))
        leakage: dict[str, Any] = {
            "partner_set_size": self._partner_size,
            "claimed_intersection_size": owner.claimed_intersection_size,
            "aggregate": [
                f"{s.value}({c})" for s in self._rules.statistics for c in self._rules.value_columns
            ],
            "partner_learns": "sum, count and mean over the intersection, owner set size",
            "owner_learns": "the intersection size the partner claims",
        }
        return Finished({"psi-sum-totals.bin": totals.to_bytes()}, leakage)

    def _reply(self, message: bytes) -> bytes:
        hello = PartnerHello.from_bytes(message)
        check_psi_request(self._contract, kind=JobKind.PSI_SUM, partner_set_size=len(hello.points))
        records: OwnerValues | OwnerRecords = self._share.take()
        owner = PsiSumOwner(
            self._job_id, PsiLimits.from_rules(self._rules), records, runner=self._runner()
        )
        reply = owner.reply(hello).to_bytes()
        self._owner, self._partner_size = owner, len(hello.points)
        return reply

    def close(self) -> None:
        self._share.drop()
        owner, self._owner = self._owner, None
        if owner is not None:
            owner.abort()
