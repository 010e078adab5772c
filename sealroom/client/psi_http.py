"""The partner's PSI transport over the REST API (``PsiTransport`` of ``psi_run``).

The partner's identifiers never pass through here: only the protocol messages
``psi_run`` makes from them, and the sealed result coming back.
"""

from __future__ import annotations

import base64
import time

from contracts import JobKind, PsiRevealMode
from jobs.psi import IdentifierKind
from kms import PartyPublicKeys
from sealroom.client.client import Client
from sealroom.client.errors import Conflict, RateLimited
from sealroom.client.psi_run import OpenedRun, ResultNotReleased


class HttpPsiTransport:
    def __init__(self, client: Client, platform_key: PartyPublicKeys | None = None) -> None:
        self._client = client
        self._platform_key = platform_key

    def open(
        self, contract_id: str, kind: JobKind, partner_set_size: int, mode: PsiRevealMode | None
    ) -> OpenedRun:
        run = self._client.open_psi(
            contract_id,
            kind=kind.value,
            partner_set_size=partner_set_size,
            mode=mode.value if mode else None,
        )
        return OpenedRun(
            run.job_id,
            IdentifierKind(run.identifier_kind),
            run.min_partner_set_size,
            run.min_intersection_size,
            tuple(run.value_columns),
            run.engine,
            run.protocol,
        )

    def exchange(self, job_id: str, message: bytes) -> bytes | None:
        return self._client.psi_message(job_id, message)

    def sealed_result(self, job_id: str) -> bytes:
        # The job's state first: polling the result itself before release would be
        # a refused request, and every refusal is written to the owner's audit log.
        try:
            job = self._client.job(job_id)
        except RateLimited as limited:
            time.sleep(limited.retry_after)
            raise ResultNotReleased(str(limited)) from None
        if not job.finished or job.state == "awaiting_review":
            raise ResultNotReleased(f"{job_id} is {job.state}")
        if job.state != "released":
            why = f": {job.reason}" if job.reason else ""
            raise Conflict(
                f"{job_id} ended {job.state}{why}; nothing was released to you. Ask the "
                "owner's reviewers why, or open a new run",
                409,
            )
        try:
            return base64.b64decode(self._client.sealed_result(job_id).sealed)
        except Conflict as waiting:  # not released yet: the owner is still reviewing
            raise ResultNotReleased(str(waiting)) from None
        except RateLimited as limited:  # polled too often: wait as told, then poll again
            time.sleep(limited.retry_after)
            raise ResultNotReleased(str(limited)) from None

    def platform_key(self) -> bytes:
        """The pinned key if given; else the one the server publishes (see docs/api.md)."""
        if self._platform_key is None:
            published = self._client.party("platform").public_keys
            self._platform_key = PartyPublicKeys.from_json(published.model_dump())
        return self._platform_key.ed25519
