"""Errors as RFC 9457 problem documents, with the same sentence the CLI prints.

Every room's root error reaches the API unchanged; the status is chosen by the
error's type, most specific class first (``type(err).__mro__``), so a new
subclass inherits its parent's status until it is given one of its own. Bad
input is never a 500: only faults of the server itself (a damaged store, a key
that will not unwrap) are.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from contracts import (
    ColumnNotAllowed,
    ContractError,
    ContractInvalid,
    ContractNotActive,
    IllegalTransition,
    JobKindNotAllowed,
    PlacementNotAllowed,
    PsiSetTooLarge,
    PsiSetTooSmall,
    QuotaExhausted,
    RoleNotGranted,
    SelfReviewForbidden,
    SignatureInvalid,
)
from jobs import (
    CodeChanged,
    CodeNotApproved,
    IllegalJobTransition,
    JobError,
    OutputUnreadable,
    ReceiptInvalid,
    ReviewRefused,
    SampleRulesMismatch,
)
from jobs.psi import (
    EngineUnavailable,
    IntersectionTooSmall,
    MalformedMessage,
    MessageReplayed,
    ModeNotAllowed,
    PartnerSetTooSmall,
    ProtocolAborted,
    PsiError,
    SessionMismatch,
    SetTooLarge,
    UnexpectedMessage,
)
from kms import (
    BadSignature,
    KekDestroyed,
    KeyDeviceUnavailable,
    KmsError,
    KmsUsageError,
    MasterKeyFileMissing,
    SealedMessageInvalid,
    UnsupportedAlgorithm,
    WrongPassphrase,
)
from sandbox import ImageMissing, InvalidJobSpec, IsolationUnavailable, SandboxError
from sealroom.api.errors import RateLimited, UnsupportedContentType
from sealroom.audit import AuditError, EventNotFound, TreeSizeInvalid
from sealroom.errors import (
    AlreadyExists,
    ConfigError,
    DatasetError,
    DatasetIntegrityError,
    DatasetMalformed,
    DatasetTooLarge,
    NotFound,
    PermissionDenied,
    SealroomError,
    StoreUnavailable,
    WrongState,
)
from sealroom.service.leakage import ReleaseBlocked
from sealroom.service.tokens import TokenRejected
from sealroom.store.database import SchemaOutOfDate

PROBLEM_JSON = "application/problem+json"
PROBLEM_BASE = "urn:sealroom:problem:"


@dataclass(frozen=True)
class ProblemKind:
    status: int
    slug: str
    title: str

    @property
    def type_uri(self) -> str:
        return PROBLEM_BASE + self.slug


BAD_REQUEST = ProblemKind(400, "bad-request", "The request is not valid")
UNAUTHENTICATED = ProblemKind(401, "unauthenticated", "Authentication required")
FORBIDDEN = ProblemKind(403, "forbidden", "Not allowed")
NOT_FOUND = ProblemKind(404, "not-found", "Not found")
METHOD_NOT_ALLOWED = ProblemKind(405, "method-not-allowed", "Method not allowed")
UPLOAD_TIMEOUT = ProblemKind(408, "request-timeout", "The upload stalled")
CONFLICT = ProblemKind(409, "conflict", "Conflicts with the current state")
TOO_LARGE = ProblemKind(413, "too-large", "Too large")
UNSUPPORTED_MEDIA = ProblemKind(415, "unsupported-media-type", "Unsupported content type")
UNPROCESSABLE = ProblemKind(422, "invalid", "The content is not valid")
RATE_LIMITED = ProblemKind(429, "rate-limited", "Too many requests")
SERVER_FAULT = ProblemKind(500, "server-fault", "The server failed")
UNAVAILABLE = ProblemKind(503, "unavailable", "A component of the server is unavailable")

#: Kinds by HTTP status, for errors that arrive as a bare status (413 from the body cap).
STATUS_KINDS: Mapping[int, ProblemKind] = {
    k.status: k
    for k in (
        BAD_REQUEST,
        UNAUTHENTICATED,
        FORBIDDEN,
        NOT_FOUND,
        METHOD_NOT_ALLOWED,
        UPLOAD_TIMEOUT,
        CONFLICT,
        TOO_LARGE,
        UNSUPPORTED_MEDIA,
        UNPROCESSABLE,
        RATE_LIMITED,
        SERVER_FAULT,
        UNAVAILABLE,
    )
}

# Most specific first is not needed: lookup walks each error's MRO.
ERROR_KINDS: Mapping[type[BaseException], ProblemKind] = {
    # the application shell
    SealroomError: BAD_REQUEST,
    ConfigError: BAD_REQUEST,
    TokenRejected: UNAUTHENTICATED,
    UnsupportedContentType: UNSUPPORTED_MEDIA,
    RateLimited: RATE_LIMITED,
    WrongState: CONFLICT,
    ReleaseBlocked: CONFLICT,  # differencing or an exhausted privacy budget
    PermissionDenied: FORBIDDEN,
    NotFound: NOT_FOUND,
    AlreadyExists: CONFLICT,
    DatasetError: UNPROCESSABLE,
    DatasetMalformed: UNPROCESSABLE,
    DatasetTooLarge: TOO_LARGE,
    DatasetIntegrityError: SERVER_FAULT,
    StoreUnavailable: UNAVAILABLE,
    SchemaOutOfDate: UNAVAILABLE,
    AuditError: SERVER_FAULT,
    EventNotFound: NOT_FOUND,
    TreeSizeInvalid: BAD_REQUEST,
    # contracts
    ContractError: UNPROCESSABLE,
    ContractInvalid: UNPROCESSABLE,
    ContractNotActive: CONFLICT,
    IllegalTransition: CONFLICT,
    RoleNotGranted: FORBIDDEN,
    JobKindNotAllowed: FORBIDDEN,
    PlacementNotAllowed: FORBIDDEN,
    SelfReviewForbidden: FORBIDDEN,
    QuotaExhausted: CONFLICT,
    PsiSetTooSmall: UNPROCESSABLE,
    PsiSetTooLarge: TOO_LARGE,
    ColumnNotAllowed: UNPROCESSABLE,
    SignatureInvalid: UNPROCESSABLE,
    # kms: caller mistakes are 4xx; the server's own keys failing is 5xx
    KmsError: SERVER_FAULT,
    KmsUsageError: BAD_REQUEST,
    KekDestroyed: CONFLICT,  # its contract was revoked or expired: shredded on purpose
    UnsupportedAlgorithm: BAD_REQUEST,
    BadSignature: UNPROCESSABLE,
    SealedMessageInvalid: UNPROCESSABLE,
    KeyDeviceUnavailable: UNAVAILABLE,
    MasterKeyFileMissing: UNAVAILABLE,
    WrongPassphrase: UNAVAILABLE,
    # jobs
    JobError: UNPROCESSABLE,
    IllegalJobTransition: CONFLICT,
    CodeNotApproved: FORBIDDEN,
    CodeChanged: CONFLICT,
    ReviewRefused: CONFLICT,
    SampleRulesMismatch: UNPROCESSABLE,
    OutputUnreadable: UNPROCESSABLE,
    ReceiptInvalid: UNPROCESSABLE,
    # PSI: the partner's protocol messages are input like any other
    PsiError: UNPROCESSABLE,
    EngineUnavailable: UNAVAILABLE,
    SetTooLarge: TOO_LARGE,
    PartnerSetTooSmall: UNPROCESSABLE,
    IntersectionTooSmall: UNPROCESSABLE,
    ModeNotAllowed: FORBIDDEN,
    MalformedMessage: BAD_REQUEST,
    SessionMismatch: CONFLICT,
    MessageReplayed: CONFLICT,
    UnexpectedMessage: CONFLICT,
    ProtocolAborted: CONFLICT,
    # sandbox
    SandboxError: SERVER_FAULT,
    InvalidJobSpec: BAD_REQUEST,
    IsolationUnavailable: UNAVAILABLE,
    ImageMissing: UNAVAILABLE,
}

#: The roots the API turns into problem documents (everything else is a 500).
USER_ERRORS: tuple[type[Exception], ...] = (
    SealroomError,
    KmsError,
    ContractError,
    JobError,
    PsiError,
    SandboxError,
)


def kind_of(err: BaseException) -> ProblemKind:
    for cls in type(err).__mro__:
        kind = ERROR_KINDS.get(cls)
        if kind is not None:
            return kind
    return SERVER_FAULT


def problem(kind: ProblemKind, detail: str, instance: str, **extra: Any) -> dict[str, Any]:
    """The problem document: RFC 9457 members, then our extension members."""
    return {
        "type": kind.type_uri,
        "title": kind.title,
        "status": kind.status,
        "detail": detail,
        "instance": instance,
        **extra,
    }


def extra_members(err: BaseException) -> dict[str, Any]:
    """Extension members a client can act on without parsing the sentence."""
    if isinstance(err, ContractInvalid):
        return {
            "issues": [
                {"path": i.path, "message": i.message, "line": i.line, "column": i.column}
                for i in err.issues
            ]
        }
    if isinstance(err, RateLimited):
        return {"retry_after": err.retry_after}
    return {}
