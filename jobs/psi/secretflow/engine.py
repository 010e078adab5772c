"""The ``secretflow`` engine: spu's RR22 / KKRT / ECDH-25519 PSI over a direct TLS link.

Same session shape as ``jobs.psi.engine``, but the messages carry the link's
rendezvous instead of data (``docs/protocols.md``, "secretflow")::

    partner: request = session.create_request(ids)   address + certificate  -> owner
    owner:   setup = owner.setup(owner_ids, n, mode)  address + certificate  -> partner
             owner.process_request(request)           the owner joins the link
    partner: outcome = session.finish(setup, None)    the partner joins; spu runs
    owner:   owner.wait()                             the owner's side ends

Both parties run ``party.py`` in the engine's own environment
(``party_process``). Each side makes a fresh certificate per session and trusts
only the one the other side sent through the authenticated API. spu gives the
receiver (the partner) the intersection itself and has no cardinality-only output,
so this engine runs only in ``intersection`` mode.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Sequence
from dataclasses import dataclass

from contracts import PsiRevealMode
from jobs.psi import wire
from jobs.psi.engine import PsiOutcome, PsiRequest, PsiResponse, PsiSetup
from jobs.psi.errors import LinkPortsExhausted, MalformedMessage, ModeNotAllowed
from jobs.psi.limits import PsiLimits
from jobs.psi.secretflow.party_process import ENGINE, PartyProcess, PartySpec
from jobs.psi.session import StepTracker
from kms import LinkCertificate, ephemeral_link_certificate, is_certificate

PROTOCOLS = ("rr22", "kkrt", "ecdh")
OWNER_RANK, PARTNER_RANK = 0, 1
PORTS_SETTING = "SEALROOM_SECRETFLOW_PORTS"
HOST_SETTING = "SEALROOM_SECRETFLOW_HOST"
DEFAULT_PORTS = (61000, 61099)


@dataclass(frozen=True)
class LinkSettings:
    """Where this party listens, and how long it waits.

    ``host`` is both the address the party binds and the one it announces (brpc binds
    what the link description names). The owner draws its port from ``ports``; the
    partner, with ``ports`` None, takes any free port of its machine.
    """

    host: str = "127.0.0.1"
    ports: tuple[int, int] | None = None
    connect_timeout_seconds: int = 30
    run_timeout_seconds: int = 600

    @classmethod
    def for_partner(cls) -> LinkSettings:
        """Any free port on the address in SEALROOM_SECRETFLOW_HOST (loopback by default)."""
        return cls(host=os.environ.get(HOST_SETTING, "127.0.0.1"))

    @classmethod
    def for_owner(cls) -> LinkSettings:
        """A port from SEALROOM_SECRETFLOW_PORTS on the address in SEALROOM_SECRETFLOW_HOST."""
        host = os.environ.get(HOST_SETTING, "127.0.0.1")
        raw = os.environ.get(PORTS_SETTING, "")
        first, last = DEFAULT_PORTS
        if raw:
            low, _, high = raw.partition("-")
            first, last = int(low), int(high or low)
        return cls(host=host, ports=(first, last))


def free_port(host: str, ports: tuple[int, int] | None) -> int:
    """A port nobody listens on now; the party binds it a moment later.

    The gap between this check and the party's bind is a race with other programs
    on the machine; a lost race fails that run's link setup, never another run's.
    """
    candidates = [0] if ports is None else list(range(ports[0], ports[1] + 1))
    for port in candidates:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind((host, port))
            except OSError:
                continue
            chosen: int = probe.getsockname()[1]
            return chosen
    assert ports is not None
    raise LinkPortsExhausted(*ports)


@dataclass(frozen=True)
class LinkOffer:
    """One party's rendezvous: where it listens, its certificate, the protocol."""

    address: str
    certificate_pem: bytes
    protocol: str

    def to_bytes(self) -> bytes:
        return json.dumps(
            {
                "address": self.address,
                "certificate": self.certificate_pem.decode(),
                "protocol": self.protocol,
            }
        ).encode()

    @classmethod
    def from_bytes(cls, kind: str, data: bytes) -> LinkOffer:
        try:
            fields = json.loads(data)
            offer = cls(
                address=str(fields["address"]),
                certificate_pem=str(fields["certificate"]).encode(),
                protocol=str(fields["protocol"]),
            )
        except (ValueError, KeyError, TypeError) as err:
            raise MalformedMessage(kind, "its link offer does not parse") from err
        host, _, port = offer.address.rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise MalformedMessage(kind, "its link address is not host:port")
        if offer.protocol not in PROTOCOLS:
            raise MalformedMessage(kind, "it names an unknown protocol")
        if not is_certificate(offer.certificate_pem):
            raise MalformedMessage(kind, "its certificate does not parse")
        return offer


@dataclass(frozen=True)
class LinkReport:
    """Partner to owner, after the link: the intersection size the partner says it got.

    The owner cannot check it (spu tells the sender nothing); it is recorded as
    reported, next to the bound ``min(n, m)`` the owner knows for certain.
    """

    session_id: str
    intersection_size: int

    KIND = "psi-link-report"

    def to_bytes(self) -> bytes:
        header: wire.Header = {
            "session": self.session_id,
            "intersection_size": self.intersection_size,
        }
        return wire.pack(self.KIND, header, [])

    @classmethod
    def from_bytes(cls, data: bytes) -> LinkReport:
        header, _ = wire.unpack(cls.KIND, data)
        size = wire.field_int(cls.KIND, header, "intersection_size")
        if size < 0:
            raise MalformedMessage(cls.KIND, "its intersection size is negative")
        return cls(wire.field_str(cls.KIND, header, "session"), size)


class StagedSet:
    """The owner's identifiers written for its party, before the partner asks for a run.

    Writing a million identifiers takes a few tenths of a second that the run need
    not wait for. The directory goes with the party: when the run closes it, or when
    an unused set is dropped.
    """

    def __init__(self, owner_ids: Sequence[str]) -> None:
        self.party = PartyProcess("owner")
        try:
            self.party.write_ids(owner_ids)
        except Exception:
            self.party.close()
            raise
        self.size = len(owner_ids)

    def close(self) -> None:
        """Removes the written set, for a run that ended before its party started."""
        self.party.close()


def _check_mode(mode: PsiRevealMode) -> None:
    if mode is not PsiRevealMode.INTERSECTION:
        # spu hands the receiver the intersection itself: a cardinality-only run is a
        # promise this engine cannot keep.
        raise ModeNotAllowed(mode.value, (PsiRevealMode.INTERSECTION.value,))


class SecretflowOwnerSession:
    """The owner's side: sender (rank 0); spu tells it nothing about the intersection."""

    def __init__(
        self, session_id: str, limits: PsiLimits, protocol: str, settings: LinkSettings
    ) -> None:
        self._steps = StepTracker(session_id, ("setup", "request", "wait"))
        self._limits = limits
        self._protocol = protocol
        self._settings = settings
        self._party: PartyProcess | None = None
        self._identity: LinkCertificate | None = None
        self._address = ""
        self._partner_size = 0
        self.owner_set_size = 0

    def setup(
        self, owner_ids: Sequence[str] | StagedSet, partner_size: int, mode: PsiRevealMode
    ) -> PsiSetup:
        """The owner's link offer; ``owner_ids`` may be staged ahead (``StagedSet``)."""
        self._steps.check("setup")
        if isinstance(owner_ids, StagedSet):
            self._party = owner_ids.party  # from here on, every failure closes it
        try:
            _check_mode(mode)
            self._limits.check_mode(mode)
            self._limits.check_partner_size(partner_size)
            if isinstance(owner_ids, StagedSet):
                staged = owner_ids
            else:
                self._limits.check_owner_size(len(owner_ids))  # before writing any of it
                staged = StagedSet(owner_ids)
                self._party = staged.party
            self._limits.check_owner_size(staged.size)
            port = free_port(self._settings.host, self._settings.ports)
        except Exception:
            if self._party is not None:
                self._party.close()
            raise
        self._identity = ephemeral_link_certificate(f"sealroom-owner-{self._steps.session_id}")
        self._address = f"{self._settings.host}:{port}"
        self._partner_size = partner_size
        self.owner_set_size = staged.size
        self._steps.done("setup")
        offer = LinkOffer(self._address, self._identity.certificate_pem, self._protocol)
        return PsiSetup(
            session_id=self._steps.session_id,
            engine=ENGINE,
            mode=mode,
            owner_set_size=staged.size,
            partner_set_size=partner_size,
            payload=offer.to_bytes(),
        )

    def process_request(self, request: PsiRequest) -> PsiResponse:
        """Joins the link with the partner's pinned certificate; returns at once."""
        self._steps.check("request", request.session_id)
        offer = LinkOffer.from_bytes(PsiRequest.KIND, request.payload)
        if request.mode is not PsiRevealMode.INTERSECTION:
            raise MalformedMessage(PsiRequest.KIND, "its reveal mode is not the session's")
        if request.size != self._partner_size:
            raise MalformedMessage(
                PsiRequest.KIND, f"it announces {request.size}, not {self._partner_size}"
            )
        if offer.protocol != self._protocol:
            raise MalformedMessage(PsiRequest.KIND, "it names another protocol than the contract")
        assert self._party is not None and self._identity is not None
        self._party.write_identity(self._identity, offer.certificate_pem)
        self._party.start(
            PartySpec(
                session_id=self._steps.session_id,
                rank=OWNER_RANK,
                receiver_rank=PARTNER_RANK,
                protocol=self._protocol,
                addresses=(self._address, offer.address),
                connect_timeout_seconds=self._settings.connect_timeout_seconds,
                run_timeout_seconds=self._settings.run_timeout_seconds,
            )
        )
        self._steps.done("request")
        return PsiResponse(session_id=self._steps.session_id, payload=b"")

    def wait(self, timeout: float | None = None) -> int:
        """Waits for the owner's party to finish; returns the owner's set size."""
        self._steps.check("wait")
        assert self._party is not None
        try:
            self._party.wait(timeout)
        except Exception:
            self.abort()
            raise
        self._party.close()
        self._steps.done("wait")
        return self.owner_set_size

    @property
    def running(self) -> bool:
        return self._party is not None and self._party.running

    @property
    def partner_set_size(self) -> int:
        return self._partner_size

    def abort(self) -> None:
        self._steps.abort()
        if self._party is not None:
            self._party.close()


class SecretflowPartnerSession:
    """The partner's side: receiver (rank 1); the intersection arrives over the link."""

    def __init__(
        self,
        session_id: str,
        mode: PsiRevealMode,
        limits: PsiLimits,
        protocol: str,
        settings: LinkSettings,
    ) -> None:
        _check_mode(mode)
        limits.check_mode(mode)
        self._steps = StepTracker(session_id, ("request", "finish"))
        self._mode = mode
        self._limits = limits
        self._protocol = protocol
        self._settings = settings
        self._party: PartyProcess | None = None
        self._identity: LinkCertificate | None = None
        self._address = ""
        self._ids: list[str] = []

    def create_request(self, ids: Sequence[str]) -> PsiRequest:
        self._steps.check("request")
        self._limits.check_partner_size(len(ids))
        party = PartyProcess("partner")
        try:
            party.write_ids(ids)
            port = free_port(self._settings.host, self._settings.ports)
        except Exception:
            party.close()
            raise
        self._party = party
        self._identity = ephemeral_link_certificate(f"sealroom-partner-{self._steps.session_id}")
        self._address = f"{self._settings.host}:{port}"
        self._ids = list(ids)
        self._steps.done("request")
        offer = LinkOffer(self._address, self._identity.certificate_pem, self._protocol)
        return PsiRequest(
            session_id=self._steps.session_id,
            mode=self._mode,
            size=len(ids),
            payload=offer.to_bytes(),
        )

    def finish(self, setup: PsiSetup, response: PsiResponse | None = None) -> PsiOutcome:
        """Joins the owner's link, runs spu to the end and reads the intersection.

        ``response`` is accepted for the common session shape; the owner has nothing
        to send after its setup, because the data crosses the link.
        """
        self._steps.check("finish", setup.session_id)
        if response is not None:
            self._steps.check("finish", response.session_id)
        if setup.engine != ENGINE or setup.mode is not self._mode:
            raise MalformedMessage(PsiSetup.KIND, "it was made for another engine or mode")
        if setup.partner_set_size != len(self._ids):
            raise MalformedMessage(PsiSetup.KIND, "it was made for a set of another size")
        offer = LinkOffer.from_bytes(PsiSetup.KIND, setup.payload)
        if offer.protocol != self._protocol:
            raise MalformedMessage(PsiSetup.KIND, "it names another protocol than the contract")
        assert self._party is not None and self._identity is not None
        try:
            self._party.write_identity(self._identity, offer.certificate_pem)
            self._party.start(
                PartySpec(
                    session_id=self._steps.session_id,
                    rank=PARTNER_RANK,
                    receiver_rank=PARTNER_RANK,
                    protocol=self._protocol,
                    addresses=(offer.address, self._address),
                    connect_timeout_seconds=self._settings.connect_timeout_seconds,
                    run_timeout_seconds=self._settings.run_timeout_seconds,
                )
            )
            self._party.wait()
            rows = self._matched_rows()
            self._limits.check_intersection(len(rows))
        except Exception:
            self.abort()
            raise
        self._party.close()
        self._steps.done("finish")
        self._ids = []
        return PsiOutcome(
            mode=self._mode,
            intersection_size=len(rows),
            owner_set_size=setup.owner_set_size,
            partner_set_size=setup.partner_set_size,
            matched_rows=rows,
        )

    @property
    def running(self) -> bool:
        """Whether the partner's party process is on the link now."""
        return self._party is not None and self._party.running

    def _matched_rows(self) -> tuple[int, ...]:
        assert self._party is not None
        rows = sorted(self._party.matched_rows())
        if rows and (rows[0] < 0 or rows[-1] >= len(self._ids)):
            raise MalformedMessage("secretflow result", "it names a row that was not sent")
        return tuple(rows)

    def abort(self) -> None:
        self._steps.abort()
        if self._party is not None:
            self._party.close()


class SecretflowEngine:
    """spu PSI in its own environment; ``protocol`` is the contract's choice."""

    def __init__(self, protocol: str = "rr22", settings: LinkSettings | None = None) -> None:
        if protocol not in PROTOCOLS:
            raise ValueError(f"protocol must be one of {PROTOCOLS}, not {protocol!r}")
        self.protocol = protocol
        self._settings = settings or LinkSettings()

    @property
    def name(self) -> str:
        return ENGINE

    def owner_session(self, session_id: str, limits: PsiLimits) -> SecretflowOwnerSession:
        return SecretflowOwnerSession(session_id, limits, self.protocol, self._settings)

    def partner_session(
        self, session_id: str, mode: PsiRevealMode, limits: PsiLimits
    ) -> SecretflowPartnerSession:
        return SecretflowPartnerSession(session_id, mode, limits, self.protocol, self._settings)
