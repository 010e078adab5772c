"""An owner's ``psi`` run on the openmined engine: one partner request, one held answer."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from contracts import Contract, JobKind, PsiEngineKind, PsiRevealMode, PsiRules, check_psi_request
from jobs.psi.engine import PsiRequest
from jobs.psi.errors import UnexpectedMessage
from jobs.psi.limits import PsiLimits
from jobs.psi.openmined import BlindedOwnerSet, OpenMinedEngine, blind_owner_set
from jobs.psi.owner.run import Finished, OwnerData, OwnerShare, RunnerSource
from jobs.psi.runners import ShardRunner


@dataclass(frozen=True)
class OpenMinedOwner:
    contract: Contract
    rules: PsiRules

    name = PsiEngineKind.OPENMINED.value
    protocol = None

    @property
    def key_column(self) -> str:
        return self.rules.key_columns[0]

    @property
    def value_columns(self) -> tuple[str, ...]:
        return ()

    def make_share(self, data: OwnerData, runner: ShardRunner) -> BlindedOwnerSet:
        return blind_owner_set(data.ids(), runner)

    def for_run(self, share: Any) -> Any:
        return share

    def open_run(self, job_id: str, share: OwnerShare, runner: RunnerSource) -> OpenMinedOwnerRun:
        return OpenMinedOwnerRun(job_id, self.contract, self.rules, share, runner)


class OpenMinedOwnerRun:
    """The partner's request in; the owner's setup and response out, held for review."""

    def __init__(
        self,
        job_id: str,
        contract: Contract,
        rules: PsiRules,
        share: OwnerShare,
        runner: RunnerSource,
    ) -> None:
        self._job_id = job_id
        self._contract = contract
        self._rules = rules
        self._share = share
        self._runner = runner
        self._finished = False

    def step(self, message: bytes) -> Finished:
        if self._finished:
            raise UnexpectedMessage(PsiRequest.KIND, "nothing")
        request = PsiRequest.from_bytes(message)
        # The gate saw the size the partner announced; this is the set it sent.
        check_psi_request(
            self._contract, kind=JobKind.PSI, partner_set_size=request.size, reveal=request.mode
        )
        owner = OpenMinedEngine(self._runner()).owner_session(
            self._job_id, PsiLimits.from_rules(self._rules)
        )
        blinded: BlindedOwnerSet | Sequence[str] = self._share.take()
        setup = owner.setup(blinded, request.size, request.mode)
        response = owner.process_request(request)
        self._finished = True
        leakage: dict[str, Any] = {
            "owner_set_size": setup.owner_set_size,
            "partner_set_size": request.size,
            "mode": request.mode.value,
            "partner_learns": "intersection size and owner set size"
            + (
                ", and which of its rows match"
                if request.mode is PsiRevealMode.INTERSECTION
                else ""
            ),
            "owner_learns": "the partner set size",
        }
        return Finished(
            {"psi-setup.bin": setup.to_bytes(), "psi-response.bin": response.to_bytes()},
            leakage,
        )

    def close(self) -> None:
        # The session's key lived only inside ``step``; a share not taken goes here.
        self._share.drop()
