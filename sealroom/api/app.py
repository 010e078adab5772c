"""The FastAPI application: the route table, the limits and the error documents.

``create_app`` wires an opened ``Sealroom`` into the routes; ``sealroom serve``
runs it under uvicorn and tests run it on loopback the same way.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.routing import Match

from sealroom import __version__
from sealroom.api.audit_denials import record_denial
from sealroom.api.errors import RateLimited
from sealroom.api.limits import ApiLimits, BodyLimit, RateLimiter, Scope
from sealroom.api.problems import (
    BAD_REQUEST,
    PROBLEM_JSON,
    SERVER_FAULT,
    STATUS_KINDS,
    UNPROCESSABLE,
    USER_ERRORS,
    ProblemKind,
    extra_members,
    kind_of,
    problem,
)
from sealroom.api.routes import build_route_table
from sealroom.client.models import Problem
from sealroom.service.context import Sealroom

log = logging.getLogger("sealroom.api")


async def _respond(
    request: Request,
    kind: ProblemKind,
    detail: str,
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    if 400 <= kind.status < 500:
        room: Sealroom = request.app.state.room
        limiter: RateLimiter = request.app.state.denial_limiter
        await run_in_threadpool(record_denial, room, limiter, request, kind.status, detail)
    body = problem(kind, detail, request.url.path, **extra)
    return JSONResponse(body, kind.status, headers=headers, media_type=PROBLEM_JSON)


async def on_user_error(request: Request, err: Exception) -> JSONResponse:
    kind = kind_of(err)
    headers: dict[str, str] = {}
    if isinstance(err, RateLimited):
        headers["Retry-After"] = str(err.retry_after)
    if kind.status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="sealroom"'  # RFC 6750, section 3
    return await _respond(request, kind, str(err), headers, **extra_members(err))


async def on_http_error(request: Request, err: Exception) -> JSONResponse:
    assert isinstance(err, HTTPException)
    kind = STATUS_KINDS.get(err.status_code) or ProblemKind(err.status_code, "http", "HTTP error")
    detail = str(err.detail)
    if err.status_code == 404 and detail == "Not Found":
        detail = (
            f"there is no endpoint at {request.url.path}: the API is described at /openapi.json"
        )
    elif err.status_code == 405:
        detail = f"{request.method} is not allowed on {request.url.path}: see /openapi.json"
    return await _respond(request, kind, detail, err.headers)


def _where(loc: tuple[Any, ...] | list[Any]) -> str:
    return ".".join(str(part) for part in loc)


async def on_validation_error(request: Request, err: Exception) -> JSONResponse:
    assert isinstance(err, RequestValidationError | ValidationError)
    errors = err.errors()
    issues = [{"where": _where(e["loc"]), "message": e["msg"]} for e in errors[:20]]
    first = issues[0] if issues else {"where": "request", "message": "not valid"}
    broken = next((e for e in errors if e["type"] == "json_invalid"), None)
    if broken is not None:
        reason = (broken.get("ctx") or {}).get("error", "malformed")
        detail = (
            f"the body is not valid JSON ({reason} at character {broken['loc'][-1]}): "
            "send a JSON document (the API is described at /openapi.json)"
        )
        return await _respond(request, BAD_REQUEST, detail)
    kind = UNPROCESSABLE
    detail = (
        f"the request is not valid: {first['where']}: {first['message']}"
        + (f" (and {len(issues) - 1} more)" if len(issues) > 1 else "")
        + "; fix it and send it again (the API is described at /openapi.json)"
    )
    return await _respond(request, kind, detail, issues=issues)


async def on_unexpected(request: Request, err: Exception) -> JSONResponse:
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    return await _respond(
        request,
        SERVER_FAULT,
        "the server failed while handling this request: nothing you sent was at fault; "
        "the operator finds the cause in the server log",
    )


def _body_kinds(app: FastAPI) -> Callable[[Scope], str | None]:
    """Which kind of body the route a request matches takes (raw bodies get larger caps)."""
    table = app.state.route_table
    raw = {(s.method, s.path): s.body for s in table.specs if s.body in ("upload", "psi")}
    routes = [
        (r, kind)
        for r in app.router.routes
        for (method, path), kind in raw.items()
        if getattr(r, "path", None) == path and method in (getattr(r, "methods", None) or ())
    ]

    def body_kind(scope: Scope) -> str | None:
        return next((kind for r, kind in routes if r.matches(scope)[0] is Match.FULL), None)

    return body_kind


def create_app(room: Sealroom, limits: ApiLimits | None = None) -> FastAPI:
    limits = limits or ApiLimits(max_upload_bytes=room.settings.limits.max_dataset_bytes)
    app = FastAPI(
        title="Sealroom",
        version=__version__,
        summary="Computed, approved results from data that never leaves home.",
        docs_url="/docs",
        redoc_url=None,
    )
    table = build_route_table(app.router)
    app.state.room = room
    app.state.limits = limits
    app.state.rate_limiter = RateLimiter(limits.rates)
    app.state.denial_limiter = RateLimiter({"denial-log": limits.denial_log})
    app.state.route_table = table
    for root in USER_ERRORS:
        app.add_exception_handler(root, on_user_error)
    app.add_exception_handler(HTTPException, on_http_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(ValidationError, on_validation_error)
    app.add_exception_handler(Exception, on_unexpected)
    app.add_middleware(BodyLimit, limits=limits, body_kind=_body_kinds(app))
    _add_problem_schema(app)
    return app


def _add_problem_schema(app: FastAPI) -> None:
    """The Problem schema the error responses refer to, in the OpenAPI components."""
    original = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = original()
            schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = (
                Problem.model_json_schema()
            )
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
