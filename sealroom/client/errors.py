"""What the SDK raises: the server's problem documents as exceptions, by status.

Each carries the server's sentence unchanged (``.message == str(err)``), the
same one the CLI prints, plus the problem document itself.

    SealroomError
    └── ApiError                 the server refused or failed a request (.status, .problem)
        ├── Unauthenticated      401: no token, or it is not valid, expired or revoked
        ├── Forbidden            403: this party may not do this
        ├── NotFoundError        404: no such party, dataset, contract, ...
        ├── Conflict             409: the request conflicts with the current state
        ├── TooLarge             413: the body is over the server's limit
        ├── InvalidRequest       400, 408, 415, 422: fix the request and send it again
        ├── RateLimited          429: wait ``.retry_after`` seconds
        ├── ServerFault          5xx: the server's own failure
        └── ServerUnreachable    no answer at all (not running, wrong URL, network)
"""

from __future__ import annotations

from typing import Any

from sealroom.errors import SealroomError


class ApiError(SealroomError):
    def __init__(self, message: str, status: int, problem: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.problem = problem or {}


class Unauthenticated(ApiError):
    pass


class Forbidden(ApiError):
    pass


class NotFoundError(ApiError):
    pass


class Conflict(ApiError):
    pass


class TooLarge(ApiError):
    pass


class InvalidRequest(ApiError):
    pass


class RateLimited(ApiError):
    @property
    def retry_after(self) -> int:
        return int(self.problem.get("retry_after", 1))


class ServerFault(ApiError):
    pass


class ServerUnreachable(ApiError):
    def __init__(self, url: str, reason: str) -> None:
        super().__init__(
            f"no Sealroom server answers at {url} ({reason}): check the URL and that "
            "`sealroom serve` is running there",
            0,
        )


BY_STATUS: dict[int, type[ApiError]] = {
    401: Unauthenticated,
    403: Forbidden,
    404: NotFoundError,
    409: Conflict,
    413: TooLarge,
    429: RateLimited,
}


def error_for(status: int, problem: dict[str, Any]) -> ApiError:
    detail = problem.get("detail")
    message = str(detail) if detail else f"the server answered HTTP {status}"
    cls = BY_STATUS.get(status) or (ServerFault if status >= 500 else InvalidRequest)
    return cls(message, status, problem)
