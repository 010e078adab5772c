"""The route table: each endpoint is added with its rule, body kind and rate limit.

Adding a route without a rule is impossible through ``RouteTable.route``; a route
added to the application some other way is caught by the authorisation-matrix
test, which compares the application's routes with this table.

Every guarded request runs the same steps, in this order, before the endpoint:
authenticate the bearer token (401), check the content type (415), check the
rule (403/404), take a token from the rate bucket (429).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import Message
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from sealroom.api.errors import UnsupportedContentType
from sealroom.api.limits import RateLimiter
from sealroom.api.problems import PROBLEM_JSON
from sealroom.api.rules import Public, Rule
from sealroom.service.context import Sealroom
from sealroom.service.tokens import Principal, TokenRejected, authenticate

BodyKind = Literal["json", "yaml", "upload", "psi"]
CONTENT_TYPES: dict[BodyKind, tuple[str, ...]] = {
    "json": ("application/json",),
    "yaml": ("application/yaml", "application/x-yaml", "text/yaml"),
    "upload": ("application/vnd.apache.parquet", "application/x-parquet", "text/csv"),
    "psi": ("application/octet-stream",),
}

bearer = HTTPBearer(auto_error=False, description="An API token: `srt_<id>_<secret>`.")


@dataclass(frozen=True)
class RouteSpec:
    method: str
    path: str
    rule: Rule
    summary: str
    body: BodyKind | None = None
    rate: str | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.method, self.path)


def room_of(request: Request) -> Sealroom:
    room: Sealroom = request.app.state.room
    return room


def principal_of(request: Request) -> Principal:
    principal: Principal | None = getattr(request.state, "principal", None)
    assert principal is not None, "only guarded routes ask for the principal"
    return principal


Room = Annotated[Sealroom, Depends(room_of)]
CurrentPrincipal = Annotated[Principal, Depends(principal_of)]


def media_type(request: Request) -> str:
    message = Message()
    message["content-type"] = request.headers.get("content-type", "")
    return message.get_content_type() if request.headers.get("content-type") else ""


def _guard(spec: RouteSpec) -> Callable[..., None]:
    def guard(
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> None:
        room = room_of(request)
        if credentials is None:
            raise TokenRejected(
                "this endpoint needs an API token: send `Authorization: Bearer srt_...`; "
                "the administrator issues one with `sealroom token issue PARTY`"
            )
        principal = authenticate(room, credentials.credentials)
        request.state.principal = principal
        if spec.body is not None:
            got = media_type(request)
            if got not in CONTENT_TYPES[spec.body]:
                raise UnsupportedContentType(got, CONTENT_TYPES[spec.body])
        params = {**request.query_params, **request.path_params}
        spec.rule.check(room, principal, params)
        if spec.rate is not None:
            limiter: RateLimiter = request.app.state.rate_limiter
            limiter.take(spec.rate, principal.token_id)

    return guard


PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {
        "description": text,
        "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }
    for status, text in (
        (400, "Bad request"),
        (401, "No valid API token"),
        (403, "Not allowed for this party"),
        (404, "Not found"),
        (409, "Conflicts with the current state"),
        (413, "Too large"),
        (415, "Wrong content type"),
        (422, "Content not valid"),
        (429, "Rate limited"),
    )
}


@dataclass
class RouteTable:
    router: APIRouter = field(default_factory=APIRouter)
    specs: list[RouteSpec] = field(default_factory=list)

    def route(
        self,
        method: str,
        path: str,
        *,
        rule: Rule,
        summary: str,
        body: BodyKind | None = None,
        rate: str | None = None,
        tag: str,
        status_code: int = 200,
        response_model: Any = None,
        openapi_extra: dict[str, Any] | None = None,
        responses: dict[int | str, dict[str, Any]] | None = None,
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        spec = RouteSpec(method, path, rule, summary, body, rate)

        def add(endpoint: Callable[..., Any]) -> Callable[..., Any]:
            dependencies = [] if isinstance(rule, Public) else [Depends(_guard(spec))]
            self.router.add_api_route(
                path,
                endpoint,
                methods=[method],
                summary=summary,
                description=f"{endpoint.__doc__ or summary}\n\n**Who may call it:** "
                f"`{rule.name}`: {type(rule).__doc__}",
                dependencies=dependencies,
                status_code=status_code,
                response_model=response_model,
                responses={**PROBLEM_RESPONSES, **(responses or {})},
                openapi_extra=openapi_extra,
                tags=[tag],
            )
            self.specs.append(spec)
            return endpoint

        return add

    def spec(self, method: str, path: str) -> RouteSpec | None:
        return next((s for s in self.specs if s.key == (method, path)), None)
