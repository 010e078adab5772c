"""Errors only the API raises, beside the rooms' own (which reach it unchanged).

    SealroomError
    ├── UnsupportedContentType   415: the body is not of a type the endpoint takes
    └── RateLimited              429: the token's bucket for this kind is empty
    starlette HTTPException
    ├── BodyTooLarge             413: over the size cap, declared or as received
    └── UploadStalled            408: an upload that stopped sending

The last two are HTTP exceptions, not SealroomErrors: FastAPI re-raises an
HTTPException met while it reads a body, where any other error would become a
vague 400.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException

from sealroom.errors import SealroomError


class UnsupportedContentType(SealroomError):
    def __init__(self, got: str, allowed: tuple[str, ...]) -> None:
        super().__init__(
            f"this endpoint takes {' or '.join(allowed)}, not {got or 'a body without a type'}: "
            "set the Content-Type header"
        )


class RateLimited(SealroomError):
    def __init__(self, bucket: str, retry_after: float) -> None:
        self.retry_after = max(1, int(retry_after + 0.999))
        super().__init__(
            f"too many {bucket} requests from this token: wait {self.retry_after} s and retry"
        )


class BodyTooLarge(HTTPException):
    def __init__(self, cap: int, what: str) -> None:
        super().__init__(
            413,
            f"the {what} is larger than this server accepts ({cap:,} bytes): send less, or "
            "ask the operator to raise the limit",
        )
        self.cap = cap


class UploadStalled(HTTPException):
    def __init__(self, seconds: float, what: str = "upload", lost: str = "registered") -> None:
        super().__init__(
            408,
            f"the {what} sent nothing for {seconds:g} seconds and was dropped: nothing was "
            f"{lost}; send it again",
        )
