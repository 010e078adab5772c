"""Limits on what one request may cost: body size, upload pace, request rate.

A JSON body over ``max_json_bytes`` or an upload over ``max_upload_bytes`` is
refused as soon as its declared length or the bytes actually received pass the
cap, never after buffering it. Downloads and PSI rounds are rate limited per
token with an in-process token bucket: one server process is the deployment
unit, so a shared store for the buckets would buy nothing yet.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request

from sealroom.api.errors import BodyTooLarge, RateLimited, UploadStalled

MIB = 1024 * 1024

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
AsgiApp = Callable[[Scope, Receive, Send], Awaitable[None]]


@dataclass(frozen=True)
class Rate:
    """``burst`` requests at once, refilled at ``per_minute``."""

    burst: int
    per_minute: float


@dataclass(frozen=True)
class ApiLimits:
    max_json_bytes: int = 2 * MIB  # a job's code (1 MiB) as JSON text
    max_upload_bytes: int = 4 * 1024 * MIB
    # A PSI request for the largest partner set the protocol accepts (10 million ids).
    max_psi_message_bytes: int = 512 * MIB
    # An upload that sends nothing for this long is dropped (slow-loris uploads).
    upload_idle_seconds: float = 30.0
    keep_alive_seconds: int = 5
    rates: dict[str, Rate] = field(
        default_factory=lambda: {"download": Rate(30, 60.0), "psi": Rate(10, 20.0)}
    )
    # Refused requests are audited, but one client address may not write the log
    # faster than this; beyond it refusals are only counted in the server log.
    denial_log: Rate = Rate(120, 120.0)


class TokenBucket:
    def __init__(self, rate: Rate, clock: Callable[[], float] = time.monotonic) -> None:
        self._rate = rate
        self._clock = clock
        self._tokens = float(rate.burst)
        self._stamp = clock()

    def take(self) -> float:
        """0 when a request may go ahead, else the seconds until one may."""
        now = self._clock()
        per_second = self._rate.per_minute / 60.0
        self._tokens = min(self._rate.burst, self._tokens + (now - self._stamp) * per_second)
        self._stamp = now
        if self._tokens >= 1:
            self._tokens -= 1
            return 0.0
        return (1 - self._tokens) / per_second if per_second > 0 else 3600.0


class RateLimiter:
    """One bucket per (kind, token); thread-safe, as sync routes run in a thread pool."""

    def __init__(self, rates: dict[str, Rate], clock: Callable[[], float] = time.monotonic):
        self._rates = rates
        self._clock = clock
        self._buckets: dict[tuple[str, str], TokenBucket] = {}
        self._lock = threading.Lock()

    def wait(self, kind: str, key: str) -> float:
        """0 when the request may go ahead (and is counted), else seconds to wait."""
        rate = self._rates.get(kind)
        if rate is None:
            return 0.0
        with self._lock:
            bucket = self._buckets.get((kind, key))
            if bucket is None:
                bucket = self._buckets[(kind, key)] = TokenBucket(rate, self._clock)
            return bucket.take()

    def take(self, kind: str, key: str) -> None:
        wait = self.wait(kind, key)
        if wait > 0:
            raise RateLimited(kind, wait)


class BodyLimit:
    """ASGI middleware: caps each request body by its declared and its actual length.

    ``body_kind`` names the kind of body the matched route takes (``upload``,
    ``psi``, anything else is capped as JSON).
    """

    def __init__(
        self, app: AsgiApp, limits: ApiLimits, body_kind: Callable[[Scope], str | None]
    ) -> None:
        self.app = app
        self.body_kind = body_kind
        self.caps = {
            "upload": (limits.max_upload_bytes, "upload"),
            "psi": (limits.max_psi_message_bytes, "protocol message"),
        }
        self.default = (limits.max_json_bytes, "request body")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cap, what = self.caps.get(self.body_kind(scope) or "", self.default)
        declared = _content_length(scope)
        received = 0

        async def limited() -> Message:
            nonlocal received
            if declared is not None and declared > cap:
                raise BodyTooLarge(cap, what)
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > cap:
                    raise BodyTooLarge(cap, what)
            return message

        await self.app(scope, limited, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def read_capped(request: Request, cap: int, what: str, idle_seconds: float) -> bytes:
    """The body, read as it streams and refused the moment it passes ``cap``.

    For bodies whose cap depends on the request itself (a PSI message weighs what
    its run's announced set can weigh): the middleware's server-wide cap is far
    above it, and ``request.body()`` would hold all of a junk body before anyone
    looked at its size.
    """
    declared = _content_length(request.scope)
    if declared is not None and declared > cap:
        raise BodyTooLarge(cap, what)
    body = bytearray()
    chunks = request.stream().__aiter__()
    while True:
        try:
            chunk = await asyncio.wait_for(anext(chunks), idle_seconds)
        except StopAsyncIteration:
            return bytes(body)
        except TimeoutError:
            raise UploadStalled(idle_seconds, what, lost="taken") from None
        if len(body) + len(chunk) > cap:
            raise BodyTooLarge(cap, what)
        body += chunk
