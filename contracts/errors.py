"""Errors of the contracts room: one root, one subclass per thing a person can act on.

Every message is a full sentence naming the contract (``contract c-12 v3``) and
saying what to do next. Signature failures are opaque on purpose: they say that
a signature does not verify, never which byte or key was wrong.

    ContractError                  root; ``.message == str(err)``
    ├── ContractInvalid            the document is malformed; ``.issues`` lists field, line, column
    ├── ContractNotActive          the contract is not (or no longer) in force
    │   ├── ContractNotYetValid    ``now`` is before the validity window
    │   ├── ContractExpired        ``now`` is after the validity window
    │   └── ContractRevoked        a party pulled the kill switch
    ├── IllegalTransition          the lifecycle has no such step from the current state
    ├── RoleNotGranted             the party does not hold the role the step needs
    ├── JobKindNotAllowed          the kind (or its PSI reveal mode) is not allowed
    ├── QuotaExhausted             the runs allowed for a kind are used up
    ├── PsiSetTooSmall             a PSI set is below the contract's minimum
    ├── PsiSetTooLarge             a PSI set is above the contract's cap
    ├── ColumnNotAllowed           a column may not appear in an output
    ├── PlacementNotAllowed        a job may not run on the named node
    ├── SelfReviewForbidden        a party would review its own job, or the quorum cannot be met
    └── SignatureInvalid           an approval signature does not verify
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


class ContractError(Exception):
    """Root of the room's errors; ``str(err)`` is the text shown to people."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class ContractIssue:
    """One problem in a contract document, located as precisely as the input allows.

    ``path`` is dotted with list indexes (``parties[0].name``); ``line`` and
    ``column`` are 1-based and ``None`` when the input had no positions (a Python
    dict rather than a file).
    """

    path: str
    message: str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        where = self.path or "(document)"
        if self.line is not None:
            return f"line {self.line}, column {self.column}: {where}: {self.message}"
        return f"{where}: {self.message}"


class ContractInvalid(ContractError):
    def __init__(self, source: str, issues: Sequence[ContractIssue]) -> None:
        self.source = source
        self.issues = tuple(issues)
        count = len(self.issues)
        noun, pronoun = ("problem", "it") if count == 1 else ("problems", "them")
        lines = "\n".join(f"  - {issue}" for issue in self.issues)
        super().__init__(
            f"{source} is not a valid contract ({count} {noun}); fix {pronoun} and load it "
            f"again:\n{lines}"
        )


class ContractNotActive(ContractError):
    pass


class ContractNotYetValid(ContractNotActive):
    pass


class ContractExpired(ContractNotActive):
    pass


class ContractRevoked(ContractNotActive):
    pass


class IllegalTransition(ContractError):
    pass


class RoleNotGranted(ContractError):
    pass


class JobKindNotAllowed(ContractError):
    pass


class QuotaExhausted(ContractError):
    pass


class PsiSetTooSmall(ContractError):
    pass


class PsiSetTooLarge(ContractError):
    pass


class ColumnNotAllowed(ContractError):
    pass


class PlacementNotAllowed(ContractError):
    pass


class SelfReviewForbidden(ContractError):
    pass


class SignatureInvalid(ContractError):
    pass
