"""PSI and PSI-sum: the partner opens a run and exchanges protocol messages.

Only protocol messages cross the border, as raw bytes (``application/octet-stream``);
the partner's identifiers stay on its machine (``sealroom.client.psi_run``). The
owner's last message is held as the run's output and reaches the partner only
through review and a sealed release (``GET /v1/jobs/{job_id}/result``).
"""

from __future__ import annotations

from fastapi import Request, Response
from starlette.concurrency import run_in_threadpool

from contracts import JobKind, PsiRevealMode, Role
from sealroom.api.limits import ApiLimits, read_capped
from sealroom.api.routing import CurrentPrincipal, Room, RouteTable
from sealroom.api.rules import ContractRole, JobRole
from sealroom.client.models import PsiOpen, PsiRunInfo
from sealroom.service.psi import exchange_psi, open_psi, psi_message_cap

MESSAGE_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
    }
}
JOB_STATE_HEADER = "X-Sealroom-Job-State"


def add_routes(table: RouteTable) -> None:
    @table.route(
        "POST",
        "/v1/contracts/{contract_id}/psi",
        rule=ContractRole("write", (Role.RECIPIENT,)),
        body="json",
        rate="psi",
        tag="psi",
        status_code=201,
        response_model=PsiRunInfo,
        summary="Open a PSI or PSI-sum run (the gate checks the contract and the set size)",
    )
    def open_run(
        room: Room, principal: CurrentPrincipal, contract_id: str, request_run: PsiOpen
    ) -> PsiRunInfo:
        opened = open_psi(
            room,
            principal.actor,
            contract_id,
            JobKind(request_run.kind),
            partner_set_size=request_run.partner_set_size,
            mode=PsiRevealMode(request_run.mode) if request_run.mode else None,
        )
        return PsiRunInfo(
            job_id=opened.job_id,
            kind=opened.kind,
            mode=opened.mode,
            key_column=opened.key_column,
            identifier_kind=opened.identifier_kind.value,
            value_columns=list(opened.value_columns),
            min_partner_set_size=opened.min_partner_set_size,
            min_intersection_size=opened.min_intersection_size,
            engine=opened.engine,
            protocol=opened.protocol,
        )

    @table.route(
        "POST",
        "/v1/psi/{job_id}/messages",
        rule=JobRole("write", (Role.RECIPIENT,)),
        body="psi",
        rate="psi",
        tag="psi",
        openapi_extra=MESSAGE_BODY,
        summary="The partner's next protocol message; the owner's reply, if the protocol has one",
        responses={
            200: {"content": {"application/octet-stream": {}}, "description": "The reply"},
            204: {"description": "No reply: the result waits for review"},
        },
    )
    async def message(
        request: Request, room: Room, principal: CurrentPrincipal, job_id: str
    ) -> Response:
        """The reply is raw bytes; the run's state is in the X-Sealroom-Job-State header."""
        limits: ApiLimits = request.app.state.limits
        run_cap = await run_in_threadpool(psi_message_cap, room, principal.actor, job_id)
        cap = min(limits.max_psi_message_bytes, run_cap or limits.max_psi_message_bytes)
        body = await read_capped(request, cap, "protocol message", limits.upload_idle_seconds)
        reply = await run_in_threadpool(exchange_psi, room, principal.actor, job_id, body)
        headers = {JOB_STATE_HEADER: reply.state.value}
        if reply.message is None:
            return Response(status_code=204, headers=headers)
        return Response(reply.message, media_type="application/octet-stream", headers=headers)
