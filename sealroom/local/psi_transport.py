"""The partner's PSI transport when the partner's side and the store share a process.

Used by the local client (the command line without ``--server``) and the tests;
over the network the partner's side uses the REST API instead
(``sealroom.client.psi_http``). Either way it only ever sends and receives
protocol messages and its sealed result.
"""

from __future__ import annotations

from contracts import JobKind, PsiRevealMode
from jobs import JobState, is_final
from sealroom.client.psi_run import OpenedRun, ResultNotReleased
from sealroom.errors import WrongState
from sealroom.service.actors import Actor
from sealroom.service.audit_log import platform_public_keys
from sealroom.service.context import Sealroom
from sealroom.service.psi import exchange_psi, open_psi
from sealroom.service.results import download_result


class LocalPsiTransport:
    """``PsiTransport`` of ``sealroom.client.psi_run`` over service calls, as ``actor``."""

    def __init__(self, room: Sealroom, actor: Actor) -> None:
        self._room = room
        self._actor = actor

    def open(
        self, contract_id: str, kind: JobKind, partner_set_size: int, mode: PsiRevealMode | None
    ) -> OpenedRun:
        opened = open_psi(
            self._room, self._actor, contract_id, kind, partner_set_size=partner_set_size, mode=mode
        )
        return OpenedRun(
            opened.job_id,
            opened.identifier_kind,
            opened.min_partner_set_size,
            opened.min_intersection_size,
            opened.value_columns,
            opened.engine,
            opened.protocol,
        )

    def exchange(self, job_id: str, message: bytes) -> bytes | None:
        return exchange_psi(self._room, self._actor, job_id, message).message

    def sealed_result(self, job_id: str) -> bytes:
        try:
            return download_result(self._room, self._actor, job_id).sealed
        except WrongState as waiting:
            if not is_final(JobState(waiting.state)):
                raise ResultNotReleased(str(waiting)) from None
            raise

    def platform_key(self) -> bytes:
        return platform_public_keys(self._room).ed25519
