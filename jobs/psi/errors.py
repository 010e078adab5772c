"""Every error the PSI cores raise, each one a thing a person can act on.

::

    PsiError                    root; ``.message`` equals ``str(err)``
    ├── EngineUnavailable       a PSI library is not installed here: names the install command
    ├── IdentifierListRejected  too many blank or malformed identifiers (counts, never values)
    ├── SetTooLarge             a list is above the cap; nothing was sent
    ├── PartnerSetTooSmall      the partner's set is below the contract's minimum
    ├── IntersectionTooSmall    the intersection is below the contract's minimum: withheld
    ├── ModeNotAllowed          a reveal mode the limits do not allow
    ├── ValueNotRepresentable   an owner value is not exact at the run's scale, or too large
    ├── MalformedMessage        a protocol message does not parse or does not fit the session
    ├── SessionMismatch         a protocol message belongs to another session
    ├── MessageReplayed         a protocol step that was already processed, sent again
    ├── UnexpectedMessage       a protocol step out of order
    ├── ProtocolAborted         the session was aborted: nothing is released
    ├── EngineEnvironmentMissing  the secretflow engine's own env is not built: names the script
    ├── LinkPortsExhausted      no free port in the owner's configured link range
    ├── LinkFailed              a secretflow party failed or the link broke: nothing released
    └── LinkTimedOut            a secretflow party did not finish in time and was stopped

Messages never contain an identifier or a value: they name counts, steps and
sessions only, because an error text may be shown to the other party.
"""

# The names read as events, like the kms room's errors; no Error suffix.

from __future__ import annotations

from typing import Any


def _restore(cls: type[PsiError], message: str, state: dict[str, Any]) -> PsiError:
    error = cls.__new__(cls)
    Exception.__init__(error, message)
    error.__dict__.update(state)
    return error


class PsiError(Exception):
    """Root of every PSI error; ``message`` is the full sentence shown to a person."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message

    def __reduce__(self) -> tuple[Any, ...]:
        # Errors raised in a worker process cross back by pickling, and the subclasses'
        # constructors do not take the message: rebuild from the message and fields.
        return (_restore, (type(self), self.message, dict(self.__dict__)))


class EngineUnavailable(PsiError):
    def __init__(self, engine: str, packages: tuple[str, ...]) -> None:
        self.engine = engine
        self.packages = packages
        super().__init__(
            f"The {engine} PSI engine needs the Python packages {', '.join(packages)}, and one "
            "is not installed: install them with `pip install 'sealroom[psi]'` "
            f"(or `pip install {' '.join(packages)}`)."
        )


class IdentifierListRejected(PsiError):
    def __init__(self, label: str, *, total: int, blanks: int, malformed: int, limit: int) -> None:
        self.label = label
        self.total = total
        self.blanks = blanks
        self.malformed = malformed
        self.limit = limit
        super().__init__(
            f"The {label} has {blanks} blank and {malformed} malformed identifiers out of "
            f"{total}, more than the {limit} allowed: check that the right column was chosen "
            "and that the identifier kind matches it, then try again."
        )


class SetTooLarge(PsiError):
    def __init__(self, label: str, *, cap: int) -> None:
        self.label = label
        self.cap = cap
        super().__init__(
            f"The {label} has more than {cap} identifiers, the cap for this run: split it or "
            "ask the owner for a contract with a larger cap; nothing was sent."
        )


class PartnerSetTooSmall(PsiError):
    def __init__(self, size: int, minimum: int) -> None:
        self.size = size
        self.minimum = minimum
        super().__init__(
            f"The partner set has {size} identifiers and the contract needs at least {minimum} "
            "(a tiny set would turn PSI into a question about single people): submit a larger set."
        )


class IntersectionTooSmall(PsiError):
    def __init__(self, minimum: int) -> None:
        self.minimum = minimum
        super().__init__(
            f"The intersection is smaller than the {minimum} members the contract requires, so "
            "the result is withheld and nothing is released."
        )


class ModeNotAllowed(PsiError):
    def __init__(self, mode: str, allowed: tuple[str, ...]) -> None:
        self.mode = mode
        self.allowed = allowed
        super().__init__(
            f"The contract allows PSI in {', '.join(allowed)} mode only, not {mode}: "
            "ask for an allowed mode."
        )


class ValueNotRepresentable(PsiError):
    def __init__(self, column: str, count: int, scale: int) -> None:
        self.column = column
        self.count = count
        self.scale = scale
        super().__init__(
            f"{count} values of column {column!r} are missing, not finite, have more than "
            f"{scale} decimal places or are too large for an exact sum: clean the column "
            "or run with a larger scale."
        )


class MalformedMessage(PsiError):
    def __init__(self, what: str, problem: str) -> None:
        self.what = what
        self.problem = problem
        super().__init__(
            f"The {what} message is not valid for this session ({problem}): it was refused "
            "and the session is unchanged; make sure both sides run the same sealroom version."
        )


class SessionMismatch(PsiError):
    def __init__(self, what: str) -> None:
        self.what = what
        super().__init__(
            f"The {what} message belongs to another PSI session: it was refused; send the "
            "messages of the session you started."
        )


class MessageReplayed(PsiError):
    def __init__(self, what: str) -> None:
        self.what = what
        super().__init__(
            f"The {what} step of this session was already processed and cannot run twice: "
            "start a new run (it counts against the contract's quota)."
        )


class UnexpectedMessage(PsiError):
    def __init__(self, what: str, expected: str) -> None:
        self.what = what
        self.expected = expected
        super().__init__(
            f"The {what} message came out of order (the session expects {expected} next): "
            "it was refused and the session is unchanged."
        )


class ProtocolAborted(PsiError):
    def __init__(self) -> None:
        super().__init__(
            "This PSI session was aborted, so nothing from it is released: start a new run."
        )


class EngineEnvironmentMissing(PsiError):
    def __init__(self, engine: str, python: str, setting: str, script: str) -> None:
        self.engine = engine
        self.python = python
        super().__init__(
            f"The {engine} PSI engine runs in its own Python environment, and {python} does "
            f"not exist: build it with `bash {script}` (or point {setting} at its python)."
        )


class LinkPortsExhausted(PsiError):
    def __init__(self, first: int, last: int) -> None:
        self.first = first
        self.last = last
        super().__init__(
            f"Every port from {first} to {last} reserved for PSI links is in use: wait for "
            "running PSI jobs to finish, or widen the range in SEALROOM_SECRETFLOW_PORTS."
        )


class LinkFailed(PsiError):
    def __init__(self, party: str, detail: str) -> None:
        self.party = party
        self.detail = detail
        super().__init__(
            f"The {party}'s secretflow PSI process stopped before the end ({detail}), so "
            "nothing from this run is released: check that both sides can reach each "
            "other's link port, then start a new run."
        )


class LinkTimedOut(PsiError):
    def __init__(self, party: str, seconds: float) -> None:
        self.party = party
        self.seconds = seconds
        super().__init__(
            f"The {party}'s secretflow PSI process did not finish within {seconds:g} s and "
            "was stopped, so nothing from this run is released: start a new run, or allow "
            "a longer timeout for sets this large."
        )
