"""The PSI engine interface: message-passing sessions for the owner and the partner.

An engine is chosen by the contract and driven by the job lifecycle; it never
talks to the network itself. The owner's session runs next to the data, the
partner's in the light client; the three messages below are what the REST API
carries between them (``docs/protocols.md``, section ``psi``)::

    partner: session = engine.partner_session(session_id, mode, limits)
             request = session.create_request(ids)                       -> owner
    owner:   owner = engine.owner_session(session_id, limits)
             setup = owner.setup(owner_ids, partner_size, mode)          -> partner
             response = owner.process_request(request)                   -> partner
    partner: outcome = session.finish(setup, response)

A future engine whose parties need a direct link (secretflow's ``spu.psi``) keeps
this shape: its messages then carry the link's rendezvous instead of the data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from contracts import PsiRevealMode
from jobs.psi import wire
from jobs.psi.errors import MalformedMessage
from jobs.psi.limits import PsiLimits


def _mode(kind: str, value: str) -> PsiRevealMode:
    try:
        return PsiRevealMode(value)
    except ValueError as err:
        raise MalformedMessage(kind, "its reveal mode is unknown") from err


@dataclass(frozen=True)
class PsiSetup:
    """Owner to partner: the owner's blinded set in the engine's own encoding."""

    session_id: str
    engine: str
    mode: PsiRevealMode
    owner_set_size: int
    partner_set_size: int
    payload: bytes

    KIND = "psi-setup"

    def to_bytes(self) -> bytes:
        header: wire.Header = {
            "session": self.session_id,
            "engine": self.engine,
            "mode": self.mode.value,
            "owner_set_size": self.owner_set_size,
            "partner_set_size": self.partner_set_size,
        }
        return wire.pack(self.KIND, header, [self.payload])

    @classmethod
    def from_bytes(cls, data: bytes) -> PsiSetup:
        header, blobs = wire.unpack(cls.KIND, data)
        if len(blobs) != 1:
            raise MalformedMessage(cls.KIND, "it must carry exactly one payload")
        return cls(
            session_id=wire.field_str(cls.KIND, header, "session"),
            engine=wire.field_str(cls.KIND, header, "engine"),
            mode=_mode(cls.KIND, wire.field_str(cls.KIND, header, "mode")),
            owner_set_size=wire.field_int(cls.KIND, header, "owner_set_size"),
            partner_set_size=wire.field_int(cls.KIND, header, "partner_set_size"),
            payload=blobs[0],
        )


@dataclass(frozen=True)
class PsiRequest:
    """Partner to owner: the partner's identifiers, blinded under the partner's key."""

    session_id: str
    mode: PsiRevealMode
    size: int
    payload: bytes

    KIND = "psi-request"

    def to_bytes(self) -> bytes:
        header: wire.Header = {
            "session": self.session_id,
            "mode": self.mode.value,
            "size": self.size,
        }
        return wire.pack(self.KIND, header, [self.payload])

    @classmethod
    def from_bytes(cls, data: bytes) -> PsiRequest:
        header, blobs = wire.unpack(cls.KIND, data)
        if len(blobs) != 1:
            raise MalformedMessage(cls.KIND, "it must carry exactly one payload")
        return cls(
            session_id=wire.field_str(cls.KIND, header, "session"),
            mode=_mode(cls.KIND, wire.field_str(cls.KIND, header, "mode")),
            size=wire.field_int(cls.KIND, header, "size"),
            payload=blobs[0],
        )


@dataclass(frozen=True)
class PsiResponse:
    """Owner to partner: the partner's blinded identifiers, blinded again by the owner."""

    session_id: str
    payload: bytes

    KIND = "psi-response"

    def to_bytes(self) -> bytes:
        return wire.pack(self.KIND, {"session": self.session_id}, [self.payload])

    @classmethod
    def from_bytes(cls, data: bytes) -> PsiResponse:
        header, blobs = wire.unpack(cls.KIND, data)
        if len(blobs) != 1:
            raise MalformedMessage(cls.KIND, "it must carry exactly one payload")
        return cls(session_id=wire.field_str(cls.KIND, header, "session"), payload=blobs[0])


@dataclass(frozen=True)
class PsiOutcome:
    """What the partner learns; ``matched_rows`` only in intersection mode.

    ``matched_rows`` are positions in the list the partner passed to
    ``create_request``, in ascending order.
    """

    mode: PsiRevealMode
    intersection_size: int
    owner_set_size: int
    partner_set_size: int
    matched_rows: tuple[int, ...] | None = None


class OwnerPsiSession(Protocol):
    def setup(
        self, owner_ids: Sequence[str], partner_size: int, mode: PsiRevealMode
    ) -> PsiSetup: ...

    def process_request(self, request: PsiRequest) -> PsiResponse: ...

    def abort(self) -> None: ...


class PartnerPsiSession(Protocol):
    def create_request(self, ids: Sequence[str]) -> PsiRequest: ...

    def finish(self, setup: PsiSetup, response: PsiResponse) -> PsiOutcome: ...

    def abort(self) -> None: ...


class PsiEngine(Protocol):
    @property
    def name(self) -> str: ...

    def owner_session(self, session_id: str, limits: PsiLimits) -> OwnerPsiSession: ...

    def partner_session(
        self, session_id: str, mode: PsiRevealMode, limits: PsiLimits
    ) -> PartnerPsiSession: ...
