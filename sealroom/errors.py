"""Errors a person can act on.

Every error the application shell raises is a ``SealroomError`` whose message
says what happened and what to do next. The rooms below the shell (``kms``,
``contracts``, ``sandbox``, ``jobs``) may not import this module, so each has a
root of its own; the command line and the API treat all of them alike
(``USER_ERRORS`` in ``sealroom.cli``).

    SealroomError
    ├── ConfigError              bad or missing setting
    ├── StoreUnavailable         the metadata database cannot be reached
    ├── NotFound                 no party / dataset / ... of that name
    ├── AlreadyExists            a name is taken
    ├── PermissionDenied         the acting party lacks the right
    ├── WrongState               the job (or other object) is not in the state the action needs
    └── DatasetError
        ├── DatasetTooLarge      over the configured size or row limit
        ├── DatasetMalformed     unreadable, ragged, wrong encoding
        └── DatasetIntegrityError  stored ciphertext does not decrypt to what was registered

Beside these, each part of the shell roots its own errors in ``SealroomError``
where they are raised: ``SchemaOutOfDate`` (store), ``AuditError`` and its kin
(audit), ``TokenRejected`` (service.tokens: unknown, expired or revoked API
token), ``ReleaseBlocked`` (service.leakage: differencing across releases or
an exhausted privacy budget), ``UnsupportedContentType`` and ``RateLimited``
(api), ``ServerDidNotStart`` (api.loopback), ``ApiError`` and one subclass per
HTTP status (client: what the SDK raises for a problem document),
``NoRemoteForm`` (cli.remote). The API maps every one of them to a problem
document (``sealroom.api.problems``).
"""

from __future__ import annotations


class SealroomError(Exception):
    """Root of the application's errors; ``str(err)`` is the one line shown to people."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ConfigError(SealroomError):
    pass


class StoreUnavailable(SealroomError):
    def __init__(self, url: str, reason: str) -> None:
        super().__init__(
            f"the metadata database at {url} cannot be reached ({reason}): "
            "check SEALROOM_DATABASE_URL and that the server is running"
        )


class NotFound(SealroomError):
    def __init__(self, kind: str, name: str, hint: str = "") -> None:
        tail = f": {hint}" if hint else ""
        super().__init__(f"no {kind} named {name!r}{tail}")
        self.kind = kind
        self.name = name


class AlreadyExists(SealroomError):
    def __init__(self, kind: str, name: str) -> None:
        super().__init__(f"a {kind} named {name!r} already exists: choose another name")


class WrongState(SealroomError):
    """Right party, wrong moment: retrying later (or after another step) may succeed."""

    def __init__(self, subject: str, state: str, needed: str, then: str) -> None:
        self.state = state
        super().__init__(f"{subject} is {state}, not {needed}: {then}")


class PermissionDenied(SealroomError):
    pass


class DatasetError(SealroomError):
    pass


class DatasetTooLarge(DatasetError):
    pass


class DatasetMalformed(DatasetError):
    pass


class DatasetIntegrityError(DatasetError):
    pass
