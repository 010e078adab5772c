"""Refused requests go into the audit log: who tried what, and why it was refused.

Recorded in a transaction of their own (the refused action committed nothing).
A rate-limited request is not recorded, and one client address may have only
so many refusals recorded per minute (``ApiLimits.denial_log``): a flood would
otherwise write the log at the flooder's pace. Beyond that the server log
counts them.
"""

from __future__ import annotations

import logging
import re

from starlette.requests import Request

from sealroom.api.limits import RateLimiter
from sealroom.audit.events import JsonValue
from sealroom.errors import SealroomError
from sealroom.service.context import Sealroom
from sealroom.service.recording import record
from sealroom.service.tokens import Principal, TokenRejected, parse_token
from sealroom.store.database import transaction

log = logging.getLogger("sealroom.api")
NOT_RECORDED = frozenset({429})
CONTRACT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def _token_id(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, presented = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    try:
        return parse_token(presented.strip())[0]
    except TokenRejected:
        return None


def route_template(request: Request) -> str:
    route = request.scope.get("route")
    path = getattr(route, "path", None) or "(no such endpoint)"
    return f"{request.method} {path}"


def record_denial(
    room: Sealroom, limiter: RateLimiter, request: Request, status: int, reason: str
) -> None:
    if status in NOT_RECORDED:
        return
    client = request.client.host if request.client else ""
    if limiter.wait("denial-log", client) > 0:
        log.warning("refusal %s on %s from %s not audited: too many", status, request.url, client)
        return
    principal: Principal | None = getattr(request.state, "principal", None)
    token = principal.token_id if principal else _token_id(request)
    detail: dict[str, JsonValue] = {
        "status": status,
        "reason": reason[:500],
        "path": request.url.path[:200],
        "client": client,
    }
    if token:
        detail["token"] = token
    contract = request.path_params.get("contract_id")
    try:
        with transaction(room.sessions) as session:
            record(
                session,
                at=room.clock(),
                actor=principal.actor.name if principal else "anonymous",
                role="api",
                action="api.denied",
                subject={"route": route_template(request)},
                contract=contract
                if isinstance(contract, str) and CONTRACT_ID.match(contract)
                else None,
                detail=detail,
            )
    except SealroomError as err:  # the store is down: the refusal still stands
        log.warning("could not record a refused request in the audit log: %s", err)
