"""An owner's ``psi`` run on the secretflow engine: a link offer, then the partner's report.

Two partner messages (``docs/protocols.md``, "secretflow"):

1. ``PsiRequest`` with the partner's link offer: the owner takes its key column,
   staged for its party when the run opened (or made ahead), answers with a
   ``PsiSetup`` carrying its own offer, and its party joins the link at once.
   Everything the contract requires was checked before this, at the gate: the
   partner reads its result straight off the link, so nothing can be reviewed
   after the owner joins.
2. ``LinkReport``: the intersection size the partner says it got. The owner waits
   for its own party to end and records the run's leakage; a party that failed
   fails the run, and nothing is recorded as released.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from contracts import Contract, PsiEngineKind, PsiRevealMode, PsiRules
from jobs.psi.engine import PsiRequest
from jobs.psi.limits import PsiLimits
from jobs.psi.owner.run import Finished, OwnerData, OwnerShare, RunnerSource
from jobs.psi.runners import ShardRunner
from jobs.psi.secretflow.engine import (
    LinkReport,
    LinkSettings,
    SecretflowEngine,
    SecretflowOwnerSession,
    StagedSet,
)


@dataclass(frozen=True)
class SecretflowOwner:
    contract: Contract
    rules: PsiRules

    name = PsiEngineKind.SECRETFLOW.value

    @property
    def protocol(self) -> str:
        return self.rules.secretflow_protocol.value

    @property
    def key_column(self) -> str:
        return self.rules.key_columns[0]

    @property
    def value_columns(self) -> tuple[str, ...]:
        return ()

    def make_share(self, data: OwnerData, runner: ShardRunner) -> Sequence[str]:
        # spu does its own per-element work: the share is the normalised column itself.
        return data.ids()

    def for_run(self, share: Any) -> StagedSet:
        """The set written out for the run's party.

        A share made ahead stays in memory: the owner's identifiers reach the disk,
        for spu to read, only once a run is open, like a job's decrypted inputs.
        """
        return StagedSet(share)

    def open_run(self, job_id: str, share: OwnerShare, runner: RunnerSource) -> SecretflowOwnerRun:
        return SecretflowOwnerRun(job_id, self.rules, share)


class SecretflowOwnerRun:
    """Holds the owner's party process between the partner's request and its report."""

    def __init__(self, job_id: str, rules: PsiRules, share: OwnerShare) -> None:
        self._job_id = job_id
        self._rules = rules
        self._share = share
        self._session: SecretflowOwnerSession | None = None

    def step(self, message: bytes) -> bytes | Finished:
        if self._session is None:
            return self._join(message)
        session, self._session = self._session, None
        try:
            report = LinkReport.from_bytes(message)
            if report.session_id != self._job_id:
                # A ValueError as before the owner runs were objects: kept for the API's answer.
                raise ValueError(
                    f"the link report names run {report.session_id}, not {self._job_id}"
                )
            owner_size = session.wait()
        except Exception:
            session.abort()
            raise
        partner_size = session.partner_set_size
        leakage: dict[str, Any] = {
            "engine": PsiEngineKind.SECRETFLOW.value,
            "protocol": self._rules.secretflow_protocol.value,
            "owner_set_size": owner_size,
            "partner_set_size": partner_size,
            "mode": PsiRevealMode.INTERSECTION.value,
            "reported_intersection_size": report.intersection_size,
            "intersection_size_bound": min(owner_size, partner_size),
            "partner_learns": "which of its rows match (from the link), and the owner set size",
            "owner_learns": "the partner set size, and the intersection size the partner reports",
        }
        # The partner already holds its result; the job's output is the run's record.
        record = json.dumps(leakage, sort_keys=True).encode()
        return Finished({"psi-link-report.json": record}, leakage)

    def _join(self, message: bytes) -> bytes:
        request = PsiRequest.from_bytes(message)
        engine = SecretflowEngine(self._rules.secretflow_protocol.value, LinkSettings.for_owner())
        session = engine.owner_session(self._job_id, PsiLimits.from_rules(self._rules))
        try:
            owner_ids: Sequence[str] | StagedSet = self._share.take()
            setup = session.setup(owner_ids, request.size, request.mode)
            session.process_request(request)
        except Exception:
            session.abort()
            raise
        self._session = session
        return setup.to_bytes()

    def close(self) -> None:
        """Kills the owner's party of a run that failed or was aborted."""
        self._share.drop()
        session, self._session = self._session, None
        if session is not None:
            session.abort()
