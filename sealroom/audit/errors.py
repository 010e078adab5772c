"""What can go wrong with the audit log, one class per thing a person can act on.

Caller mistakes (a tree size the log does not have, an event that cannot be
logged) get exact messages. Integrity failures (a head not signed by the platform
key, a proof or log that does not verify) say what was checked and what to do,
but never guess at how the data came to be wrong.

    SealroomError
    └── AuditError
        ├── EventInvalid              an event cannot be logged as given
        ├── EventNotFound             no logged event with that id or index
        ├── TreeSizeInvalid           a proof was asked for sizes the log does not have
        ├── LogStoreDamaged           the store cannot produce an entry or tree node it should have
        ├── TreeHeadMalformed         a tree head file that cannot be read
        ├── TreeHeadSignatureInvalid  a tree head not signed by the expected platform key
        ├── ProofInvalid              an inclusion or consistency proof that does not verify
        └── VerificationFailed        an exported log that does not verify (.step, .position)
"""

from __future__ import annotations

from sealroom.errors import SealroomError


class AuditError(SealroomError):
    """Root of the audit log's errors."""


class EventInvalid(AuditError):
    def __init__(self, reason: str) -> None:
        super().__init__(f"the audit event cannot be logged: {reason}")


class EventNotFound(AuditError):
    def __init__(self, event: str) -> None:
        super().__init__(
            f"no audit event {event} is in the log: check the id with `sealroom audit show`"
        )
        self.event = event


class TreeSizeInvalid(AuditError):
    pass


class LogStoreDamaged(AuditError):
    def __init__(self, what: str) -> None:
        super().__init__(
            f"the audit log store is damaged ({what}): export the log and run "
            "`sealroom audit verify` on it to find the first bad entry"
        )


class TreeHeadMalformed(AuditError):
    def __init__(self, source: str, reason: str) -> None:
        super().__init__(
            f"the signed tree head in {source} cannot be read ({reason}): "
            "fetch a fresh copy from the platform"
        )


class TreeHeadSignatureInvalid(AuditError):
    def __init__(self, tree_size: int) -> None:
        # Opaque on purpose: whether the key is wrong or the head was edited, the
        # reader's next step is the same, and guessing helps a forger tune a forgery.
        super().__init__(
            f"the signed tree head of size {tree_size} does not verify against the platform "
            "key: do not trust it or the log it describes, and check that you hold the "
            "platform's real public key"
        )
        self.tree_size = tree_size


class ProofInvalid(AuditError):
    def __init__(self, what: str, reason: str) -> None:
        super().__init__(
            f"the {what} does not verify ({reason}): the log cannot show what it claims, "
            "so keep both tree heads and report it to the auditor"
        )
        self.reason = reason


class VerificationFailed(AuditError):
    """An exported log failed offline verification.

    ``step`` names the check that failed (a ``verify.Step`` value) and
    ``position`` the index of the first bad entry, or ``None`` when the failure is
    not about one entry (a bad head signature).
    """

    def __init__(self, step: str, position: int | None, message: str) -> None:
        super().__init__(message)
        self.step = step
        self.position = position
