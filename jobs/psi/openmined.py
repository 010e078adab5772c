"""The ``openmined`` engine: ECDH-PSI from openmined-psi, owner as server, partner as client.

The library does the cryptography; this module adds what a contract operation
needs around it: session binding and single use, the contract's limits checked
on the messages themselves, the reveal flag of a request checked against the
session's mode (a cardinality-only partner must not get an ordered response), and
sharding across processes with keys shared through ``CreateFromKey``
(``docs/protocols.md``, "Parallel run").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from contracts import PsiRevealMode
from jobs.psi.engine import PsiOutcome, PsiRequest, PsiResponse, PsiSetup
from jobs.psi.errors import EngineUnavailable, MalformedMessage
from jobs.psi.limits import PsiLimits
from jobs.psi.runners.sharding import InlineRunner, ShardRunner, chunked
from jobs.psi.session import StepTracker

try:
    import private_set_intersection.python as _psi  # type: ignore[import-untyped, import-not-found, unused-ignore]
except ImportError:  # pragma: no cover - exercised only where the extra is missing
    _psi = None

ENGINE = "openmined"
# The chance that one of the partner's identifiers is wrongly reported as a match.
DEFAULT_FPR = 1e-9


def _library() -> Any:
    if _psi is None:
        raise EngineUnavailable(ENGINE, ("openmined-psi",))
    return _psi


def _reveal(mode: PsiRevealMode) -> bool:
    return mode is PsiRevealMode.INTERSECTION


# Worker functions: top level so process pools can pickle them; each gets its
# party's key with the chunk and builds a short-lived library object from it.


def _owner_blind_chunk(job: tuple[bytes, list[str]]) -> list[bytes]:
    key, ids = job
    server = _library().server.CreateFromKey(key, False)
    setup = server.CreateSetupMessage(DEFAULT_FPR, 1, ids, _library().DataStructure.RAW)
    return list(setup.raw.encrypted_elements)


def _owner_process_chunk(job: tuple[bytes, list[bytes]]) -> list[bytes]:
    key, elements = job
    lib = _library()
    request = lib.Request()
    request.reveal_intersection = True  # keep order; cardinality mode sorts after merging
    request.encrypted_elements.extend(elements)
    try:
        response = lib.server.CreateFromKey(key, True).ProcessRequest(request)
    except RuntimeError as err:  # the C++ core's way of saying "not a curve point"
        raise MalformedMessage(PsiRequest.KIND, "an element is not a curve point") from err
    return list(response.encrypted_elements)


def _partner_blind_chunk(job: tuple[bytes, bool, list[str]]) -> list[bytes]:
    key, reveal, ids = job
    client = _library().client.CreateFromKey(key, reveal)
    return list(client.CreateRequest(ids).encrypted_elements)


def _partner_finish_chunk(job: tuple[bytes, bool, bytes, list[bytes]]) -> list[int]:
    key, reveal, setup_bytes, elements = job
    lib = _library()
    setup = lib.ServerSetup()
    setup.ParseFromString(setup_bytes)
    response = lib.Response()
    response.encrypted_elements.extend(elements)
    client = lib.client.CreateFromKey(key, reveal)
    try:
        if reveal:
            return sorted(client.GetIntersection(setup, response))
        return [client.GetIntersectionSize(setup, response)]
    except RuntimeError as err:  # the C++ core's way of saying "not a curve point"
        raise MalformedMessage(PsiResponse.KIND, "an element is not a curve point") from err


@dataclass(frozen=True)
class BlindedOwnerSet:
    """The owner's set blinded under a fresh key: the costly half of its setup.

    It depends on nothing of the partner's, so it can be made before a run opens
    (``OpenMinedEngine.blind_owner_set``); one set serves exactly one run, because
    its key must never meet a second partner request.
    """

    key: bytes = field(repr=False)
    elements: tuple[bytes, ...] = field(repr=False)  # sorted: the owner's row order says nothing

    @property
    def size(self) -> int:
        return len(self.elements)


def blind_owner_set(owner_ids: Sequence[str], runner: ShardRunner) -> BlindedOwnerSet:
    """The owner's identifiers blinded under a fresh key, chunk by chunk on ``runner``."""
    key: bytes = _library().server.CreateWithNewKey(False).GetPrivateKeyBytes()
    shards = runner.map(_owner_blind_chunk, [(key, c) for c in chunked(owner_ids, runner)])
    return BlindedOwnerSet(key, tuple(sorted(e for shard in shards for e in shard)))


def _raw_setup(elements: Sequence[bytes]) -> Any:
    setup = _library().ServerSetup()
    setup.raw.encrypted_elements.extend(elements)
    return setup


class OpenMinedOwnerSession:
    """The owner's side of one run; holds the owner's key and nothing of the partner's."""

    def __init__(self, session_id: str, limits: PsiLimits, runner: ShardRunner, fpr: float) -> None:
        _library()
        self._steps = StepTracker(session_id, ("setup", "request"))
        self._limits = limits
        self._runner = runner
        self._fpr = fpr
        self._key = b""
        self._mode = PsiRevealMode.CARDINALITY
        self._partner_size = 0

    def setup(
        self, owner_ids: Sequence[str] | BlindedOwnerSet, partner_size: int, mode: PsiRevealMode
    ) -> PsiSetup:
        """The owner's setup message; ``owner_ids`` may be blinded ahead (``BlindedOwnerSet``)."""
        self._steps.check("setup")
        self._limits.check_mode(mode)
        self._limits.check_partner_size(partner_size)
        size = owner_ids.size if isinstance(owner_ids, BlindedOwnerSet) else len(owner_ids)
        self._limits.check_owner_size(size)
        lib = _library()
        if isinstance(owner_ids, BlindedOwnerSet):
            key, setup = owner_ids.key, _raw_setup(owner_ids.elements)
        elif self._runner.workers == 1:
            server = lib.server.CreateWithNewKey(_reveal(mode))
            key = server.GetPrivateKeyBytes()
            setup = server.CreateSetupMessage(self._fpr, partner_size, list(owner_ids))
        else:
            blinded = blind_owner_set(owner_ids, self._runner)
            key, setup = blinded.key, _raw_setup(blinded.elements)
        self._key, self._mode, self._partner_size = key, mode, partner_size
        self._steps.done("setup")
        return PsiSetup(
            session_id=self._steps.session_id,
            engine=ENGINE,
            mode=mode,
            owner_set_size=size,
            partner_set_size=partner_size,
            payload=setup.SerializeToString(),
        )

    def process_request(self, request: PsiRequest) -> PsiResponse:
        self._steps.check("request", request.session_id)
        lib = _library()
        proto = lib.Request()
        try:
            proto.ParseFromString(request.payload)
        except Exception as err:  # protobuf raises its own DecodeError
            raise MalformedMessage(PsiRequest.KIND, "its payload does not parse") from err
        reveal = _reveal(self._mode)
        if request.mode is not self._mode or bool(proto.reveal_intersection) != reveal:
            raise MalformedMessage(PsiRequest.KIND, "its reveal mode is not the session's")
        elements = list(proto.encrypted_elements)
        if len(elements) != self._partner_size or request.size != self._partner_size:
            # The setup's false-positive rate and the accounting were for this many.
            raise MalformedMessage(
                PsiRequest.KIND,
                f"it holds {len(elements)} identifiers, not the announced {self._partner_size}",
            )
        shards = self._runner.map(
            _owner_process_chunk, [(self._key, c) for c in chunked(elements, self._runner)]
        )
        answered = [e for shard in shards for e in shard]
        if not reveal:
            # Sorted as a whole: the partner must not tell which shard a match came from.
            answered.sort()
        response = lib.Response()
        response.encrypted_elements.extend(answered)
        self._steps.done("request")
        self._key = b""
        return PsiResponse(session_id=self._steps.session_id, payload=response.SerializeToString())

    def abort(self) -> None:
        self._steps.abort()
        self._key = b""


class OpenMinedPartnerSession:
    """The partner's side of one run; holds the partner's key and nothing of the owner's."""

    def __init__(
        self, session_id: str, mode: PsiRevealMode, limits: PsiLimits, runner: ShardRunner
    ) -> None:
        _library()
        limits.check_mode(mode)
        self._steps = StepTracker(session_id, ("request", "finish"))
        self._mode = mode
        self._limits = limits
        self._runner = runner
        self._key = b""
        self._size = 0

    def create_request(self, ids: Sequence[str]) -> PsiRequest:
        self._steps.check("request")
        self._limits.check_partner_size(len(ids))
        lib = _library()
        reveal = _reveal(self._mode)
        key: bytes = lib.client.CreateWithNewKey(reveal).GetPrivateKeyBytes()
        shards = self._runner.map(
            _partner_blind_chunk, [(key, reveal, c) for c in chunked(ids, self._runner)]
        )
        request = lib.Request()
        request.reveal_intersection = reveal
        request.encrypted_elements.extend(e for shard in shards for e in shard)
        self._key, self._size = key, len(ids)
        self._steps.done("request")
        return PsiRequest(
            session_id=self._steps.session_id,
            mode=self._mode,
            size=len(ids),
            payload=request.SerializeToString(),
        )

    def finish(self, setup: PsiSetup, response: PsiResponse) -> PsiOutcome:
        self._steps.check("finish", setup.session_id)
        self._steps.check("finish", response.session_id)
        if setup.engine != ENGINE or setup.mode is not self._mode:
            raise MalformedMessage(PsiSetup.KIND, "it was made for another engine or mode")
        if setup.partner_set_size != self._size:
            raise MalformedMessage(PsiSetup.KIND, "it was made for a set of another size")
        lib = _library()
        proto = lib.Response()
        try:
            proto.ParseFromString(response.payload)
            lib.ServerSetup().ParseFromString(setup.payload)
        except Exception as err:  # protobuf raises its own DecodeError
            raise MalformedMessage(PsiResponse.KIND, "its payload does not parse") from err
        elements = list(proto.encrypted_elements)
        if len(elements) != self._size:
            raise MalformedMessage(PsiResponse.KIND, "it does not answer every identifier")
        reveal = _reveal(self._mode)
        # One chunk per worker: each chunk reloads the setup, which is the costly part.
        size = -(-len(elements) // self._runner.workers) or 1
        starts = list(range(0, len(elements), size))
        shards = self._runner.map(
            _partner_finish_chunk,
            [(self._key, reveal, setup.payload, elements[s : s + size]) for s in starts],
        )
        if reveal:
            rows = tuple(s + i for s, shard in zip(starts, shards, strict=True) for i in shard)
            count = len(rows)
        else:
            rows, count = (), sum(shard[0] for shard in shards)
        try:
            self._limits.check_intersection(count)
        except Exception:
            self.abort()
            raise
        self._steps.done("finish")
        self._key = b""
        return PsiOutcome(
            mode=self._mode,
            intersection_size=count,
            owner_set_size=setup.owner_set_size,
            partner_set_size=self._size,
            matched_rows=rows if reveal else None,
        )

    def abort(self) -> None:
        self._steps.abort()
        self._key = b""


class OpenMinedEngine:
    """The default PSI engine; ``runner`` decides where the per-element work runs."""

    def __init__(self, runner: ShardRunner | None = None, fpr: float = DEFAULT_FPR) -> None:
        _library()
        self._runner: ShardRunner = runner or InlineRunner()
        self._fpr = fpr

    @property
    def name(self) -> str:
        return ENGINE

    def owner_session(self, session_id: str, limits: PsiLimits) -> OpenMinedOwnerSession:
        return OpenMinedOwnerSession(session_id, limits, self._runner, self._fpr)

    def partner_session(
        self, session_id: str, mode: PsiRevealMode, limits: PsiLimits
    ) -> OpenMinedPartnerSession:
        return OpenMinedPartnerSession(session_id, mode, limits, self._runner)
