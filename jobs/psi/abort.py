"""The partner's last word when it gives up: which run, and why, and nothing else.

A partner whose client fails after the run opened (its list turned out malformed
for the owner's identifier kind, it was interrupted, a message would not parse)
says so, and the owner fails the run at once: no state waits for a timeout, and
the run's record says why it ended. It carries no protocol data.
"""

from __future__ import annotations

from dataclasses import dataclass

from jobs.psi import wire
from jobs.psi.errors import MalformedMessage

MAX_REASON = 500


@dataclass(frozen=True)
class PsiAbort:
    session_id: str
    reason: str

    KIND = "psi-abort"

    def to_bytes(self) -> bytes:
        header: wire.Header = {"session": self.session_id, "reason": self.reason[:MAX_REASON]}
        return wire.pack(self.KIND, header)

    @classmethod
    def from_bytes(cls, data: bytes) -> PsiAbort:
        header, blobs = wire.unpack(cls.KIND, data)
        if blobs:
            raise MalformedMessage(cls.KIND, "it carries no payload")
        reason = wire.field_str(cls.KIND, header, "reason")[:MAX_REASON]
        return cls(wire.field_str(cls.KIND, header, "session"), reason)

    @classmethod
    def is_abort(cls, data: bytes) -> bool:
        """Whether ``data`` is an abort (a cheap look at its header, no full parse)."""
        try:
            cls.from_bytes(data)
        except MalformedMessage:
            return False
        return True
