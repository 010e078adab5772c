"""PSI-sum: the partner learns sum, count and mean of owner columns over the intersection.

The protocol, its keys and its leakage are written down in ``docs/protocols.md``
(section ``psi_sum``); this module follows it message by message. Each party is an
object holding only its own secrets; the four messages are plain dataclasses with
a byte form, which is all that crosses between the parties::

    partner = PsiSumPartner(session_id, limits)
    owner = PsiSumOwner(session_id, limits, OwnerValues.from_columns(ids, {"spend": v}))
    hello = partner.hello(partner_ids)         # 1  partner -> owner
    reply = owner.reply(hello)                 # 2  owner -> partner
    sums = partner.aggregate(reply)            # 3  partner -> owner
    totals = owner.reveal(sums)                # 4  owner -> partner
    result = partner.finish(totals)            # the partner's PsiSumResult
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from jobs.psi import wire
from jobs.psi._hazmat.blinding import POINT_BYTES, Blinder, blind_chunk, hash_and_blind_chunk
from jobs.psi._hazmat.paillier import (
    OwnerPaillierKey,
    add_ciphertexts,
    encrypt_chunk,
    generate_owner_key,
    public_encrypt,
)
from jobs.psi.errors import MalformedMessage, ProtocolAborted, ValueNotRepresentable
from jobs.psi.limits import PsiLimits
from jobs.psi.runners.sharding import InlineRunner, ShardRunner, map_keyed
from jobs.psi.session import StepTracker

CIPHERTEXT_BYTES = 512  # N² of a 2048-bit modulus
MODULUS_BITS = 2048  # the wire widths below are fixed for this size
# Every scaled value and every count stays far below N/2, so a sum of up to 2^32
# values decodes to the right signed number.
_VALUE_BOUND = 1 << 96
_MAX_RECORDS = 1 << 32

Number = int | float | Decimal

_random = secrets.SystemRandom()


def _points(kind: str, blob: bytes) -> tuple[bytes, ...]:
    return tuple(wire.split_fixed(kind, blob, POINT_BYTES))


def _ints(kind: str, blob: bytes, width: int) -> tuple[int, ...]:
    return tuple(int.from_bytes(b, "big") for b in wire.split_fixed(kind, blob, width))


def _int_blob(values: Sequence[int], width: int) -> bytes:
    return b"".join(v.to_bytes(width, "big") for v in values)


# --- messages ---------------------------------------------------------------------


@dataclass(frozen=True)
class PartnerHello:
    """1, partner to owner: the partner's identifiers blinded by ``p``, shuffled."""

    session_id: str
    points: tuple[bytes, ...]

    KIND = "psi-sum-hello"

    def to_bytes(self) -> bytes:
        return wire.pack(self.KIND, {"session": self.session_id}, [b"".join(self.points)])

    @classmethod
    def from_bytes(cls, data: bytes) -> PartnerHello:
        header, blobs = wire.unpack(cls.KIND, data)
        if len(blobs) != 1:
            raise MalformedMessage(cls.KIND, "it must carry one list of points")
        return cls(wire.field_str(cls.KIND, header, "session"), _points(cls.KIND, blobs[0]))


@dataclass(frozen=True)
class OwnerReply:
    """2, owner to partner: the partner's points blinded again, and the owner's records.

    ``owner_tags[j]`` is ``x(o·H(y_j))`` and ``ciphertexts[k][j]`` encrypts the value of
    column ``columns[k]`` for that record, both in an order shuffled by the owner.
    """

    session_id: str
    modulus: int
    scale: int
    columns: tuple[str, ...]
    partner_points: tuple[bytes, ...]
    owner_tags: tuple[bytes, ...]
    ciphertexts: tuple[tuple[int, ...], ...]

    KIND = "psi-sum-reply"

    def to_bytes(self) -> bytes:
        header: wire.Header = {
            "session": self.session_id,
            "modulus": format(self.modulus, "x"),
            "scale": self.scale,
            "columns": list(self.columns),
        }
        blobs = [b"".join(self.partner_points), b"".join(self.owner_tags)]
        blobs += [_int_blob(column, CIPHERTEXT_BYTES) for column in self.ciphertexts]
        return wire.pack(self.KIND, header, blobs)

    @classmethod
    def from_bytes(cls, data: bytes) -> OwnerReply:
        header, blobs = wire.unpack(cls.KIND, data)
        columns = header.get("columns")
        if not isinstance(columns, list) or not all(isinstance(c, str) for c in columns):
            raise MalformedMessage(cls.KIND, "its column list is missing")
        if len(blobs) != 2 + len(columns):
            raise MalformedMessage(cls.KIND, "it does not carry one list per column")
        try:
            modulus = int(wire.field_str(cls.KIND, header, "modulus"), 16)
        except ValueError as err:
            raise MalformedMessage(cls.KIND, "its modulus is not a number") from err
        return cls(
            session_id=wire.field_str(cls.KIND, header, "session"),
            modulus=modulus,
            scale=wire.field_int(cls.KIND, header, "scale"),
            columns=tuple(columns),
            partner_points=_points(cls.KIND, blobs[0]),
            owner_tags=_points(cls.KIND, blobs[1]),
            ciphertexts=tuple(_ints(cls.KIND, b, CIPHERTEXT_BYTES) for b in blobs[2:]),
        )

    @property
    def owner_set_size(self) -> int:
        return len(self.owner_tags)


@dataclass(frozen=True)
class MaskedSums:
    """3, partner to owner: per column, an encryption of (sum over the intersection + mask)."""

    session_id: str
    claimed_intersection_size: int
    masked: tuple[int, ...]

    KIND = "psi-sum-masked-sums"

    def to_bytes(self) -> bytes:
        header: wire.Header = {
            "session": self.session_id,
            "claimed_intersection_size": self.claimed_intersection_size,
        }
        return wire.pack(self.KIND, header, [_int_blob(self.masked, CIPHERTEXT_BYTES)])

    @classmethod
    def from_bytes(cls, data: bytes) -> MaskedSums:
        header, blobs = wire.unpack(cls.KIND, data)
        if len(blobs) != 1:
            raise MalformedMessage(cls.KIND, "it must carry one list of ciphertexts")
        return cls(
            session_id=wire.field_str(cls.KIND, header, "session"),
            claimed_intersection_size=wire.field_int(cls.KIND, header, "claimed_intersection_size"),
            masked=_ints(cls.KIND, blobs[0], CIPHERTEXT_BYTES),
        )


@dataclass(frozen=True)
class MaskedTotals:
    """4, owner to partner: the decrypted masked sums, uniformly random to the owner."""

    session_id: str
    totals: tuple[int, ...]

    KIND = "psi-sum-masked-totals"

    def to_bytes(self) -> bytes:
        blob = _int_blob(self.totals, CIPHERTEXT_BYTES // 2)
        return wire.pack(self.KIND, {"session": self.session_id}, [blob])

    @classmethod
    def from_bytes(cls, data: bytes) -> MaskedTotals:
        header, blobs = wire.unpack(cls.KIND, data)
        if len(blobs) != 1:
            raise MalformedMessage(cls.KIND, "it must carry one list of totals")
        return cls(
            session_id=wire.field_str(cls.KIND, header, "session"),
            totals=_ints(cls.KIND, blobs[0], CIPHERTEXT_BYTES // 2),
        )


@dataclass(frozen=True)
class PsiSumResult:
    """What the partner learns, and all it learns besides the owner's set size."""

    intersection_size: int
    owner_set_size: int
    partner_set_size: int
    sums: Mapping[str, Decimal]

    @property
    def count(self) -> int:
        return self.intersection_size

    def mean(self, column: str) -> Decimal | None:
        if not self.intersection_size:
            return None
        return self.sums[column] / self.intersection_size


# --- the owner's values -----------------------------------------------------------


def _scaled(value: Number | None, scale: int) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        exact = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    except InvalidOperation:
        return None
    if not exact.is_finite():
        return None
    scaled = exact.scaleb(scale)
    if scaled != scaled.to_integral_value() or abs(scaled) >= _VALUE_BOUND:
        return None
    return int(scaled)


@dataclass(frozen=True)
class OwnerValues:
    """The owner's distinct identifiers and, per column, fixed-point values aligned to them."""

    ids: tuple[str, ...]
    columns: Mapping[str, tuple[int, ...]]
    scale: int

    @classmethod
    def from_columns(
        cls,
        ids: Sequence[str | None],
        columns: Mapping[str, Sequence[Number | None]],
        scale: int = 2,
    ) -> OwnerValues:
        """Scale values to integers; rows sharing an identifier are one person: summed.

        ``ids`` are canonical (``normalise_rows(...).keys``), aligned to the columns;
        a row whose identifier is ``None`` (blank or malformed, already counted by
        the normaliser) is left out. A missing or inexact value of a kept row refuses
        the whole column rather than silently changing the sum.
        """
        position: dict[str, int] = {}
        for identifier in ids:
            if identifier is not None:
                position.setdefault(identifier, len(position))
        scaled: dict[str, tuple[int, ...]] = {}
        for name, values in columns.items():
            if len(values) != len(ids):
                raise MalformedMessage("owner values", f"column {name!r} is not aligned to the ids")
            totals = [0] * len(position)
            bad = 0
            for identifier, value in zip(ids, values, strict=True):
                if identifier is None:
                    continue
                number = _scaled(value, scale)
                if number is None:
                    bad += 1
                else:
                    totals[position[identifier]] += number
            if bad or any(abs(t) >= _VALUE_BOUND for t in totals):
                raise ValueNotRepresentable(name, bad or 1, scale)
            scaled[name] = tuple(totals)
        return cls(ids=tuple(position), columns=scaled, scale=scale)


@dataclass(frozen=True)
class OwnerRecords:
    """The owner's records blinded and encrypted under fresh keys: its costly first step.

    Nothing in it depends on the partner, so it can be made before a run opens
    (``prepare_records``); one set of records serves exactly one run, because its
    blinding scalar and Paillier key must never meet a second partner.
    """

    values: OwnerValues = field(repr=False)
    scalar: bytes = field(repr=False)
    key: OwnerPaillierKey = field(repr=False)
    tags: tuple[bytes, ...] = field(repr=False)  # shuffled: the owner's row order says nothing
    ciphertexts: tuple[tuple[int, ...], ...] = field(repr=False)


def prepare_records(
    values: OwnerValues, runner: ShardRunner | None = None, key: OwnerPaillierKey | None = None
) -> OwnerRecords:
    """Blind the owner's identifiers and encrypt its values, under fresh keys."""
    if not values.columns:
        raise MalformedMessage("owner values", "no value column was given")
    runner = runner or InlineRunner()
    blinder, key = Blinder(), key or generate_owner_key()
    order = list(range(len(values.ids)))
    _random.shuffle(order)  # sigma: the owner's row order says nothing
    shuffled_ids = [values.ids[j] for j in order]
    tags = map_keyed(runner, hash_and_blind_chunk, blinder.scalar, shuffled_ids)
    ciphertexts = tuple(
        tuple(map_keyed(runner, encrypt_chunk, key.material, [col[j] for j in order]))
        for col in values.columns.values()
    )
    return OwnerRecords(values, blinder.scalar, key, tuple(tags), ciphertexts)


# --- the parties ------------------------------------------------------------------


class PsiSumOwner:
    """The owner's party: blinding scalar ``o`` and the Paillier private key, nothing else."""

    def __init__(
        self,
        session_id: str,
        limits: PsiLimits,
        values: OwnerValues | OwnerRecords,
        runner: ShardRunner | None = None,
        key: OwnerPaillierKey | None = None,
    ) -> None:
        """``values`` may be prepared ahead (``OwnerRecords``); ``key`` is the session's
        Paillier key when the KMS provides one, else a fresh one is made."""
        records: OwnerRecords | None = None
        if isinstance(values, OwnerRecords):
            records, values = values, values.values
        self._values = values
        limits.check_owner_size(len(self._values.ids))
        if not self._values.columns:
            raise MalformedMessage("owner values", "no value column was given")
        self._steps = StepTracker(session_id, ("hello", "masked-sums"))
        self._limits = limits
        self._runner: ShardRunner = runner or InlineRunner()
        self._key_given = key
        self._records = records
        self._partner_size = 0
        self.claimed_intersection_size: int | None = None

    @property
    def session_id(self) -> str:
        return self._steps.session_id

    def prepare(self) -> None:
        """Blind and encrypt the owner's records; ``reply`` does it if it was not done.

        None of it depends on the partner, so the job can run it while the partner's
        client is still blinding its own list on the partner's machine. Idempotent.
        """
        if self._records is not None:
            return
        if self._steps.aborted:
            raise ProtocolAborted()
        self._records = prepare_records(self._values, self._runner, self._key_given)

    def reply(self, hello: PartnerHello) -> OwnerReply:
        self._steps.check("hello", hello.session_id)
        size = len(hello.points)
        self._limits.check_partner_size(size)
        if len(set(hello.points)) != size:
            raise MalformedMessage(PartnerHello.KIND, "it repeats a point")
        self.prepare()
        records = self._records
        assert records is not None
        partner_points = map_keyed(self._runner, blind_chunk, records.scalar, hello.points)
        _random.shuffle(partner_points)  # pi: the partner must not map these to its own list
        self._partner_size = size
        self._steps.done("hello")
        return OwnerReply(
            session_id=self.session_id,
            modulus=records.key.n,
            scale=self._values.scale,
            columns=tuple(self._values.columns),
            partner_points=tuple(partner_points),
            owner_tags=records.tags,
            ciphertexts=records.ciphertexts,
        )

    def reveal(self, sums: MaskedSums) -> MaskedTotals:
        """Decrypt the masked sums, once, and only for an intersection the contract allows."""
        self._steps.check("masked-sums", sums.session_id)
        claimed = sums.claimed_intersection_size
        if claimed > min(self._partner_size, len(self._values.ids)):
            raise MalformedMessage(MaskedSums.KIND, "its intersection is larger than either set")
        if len(sums.masked) != len(self._values.columns):
            raise MalformedMessage(MaskedSums.KIND, "it does not hold one sum per column")
        assert self._records is not None  # the hello step made or took them
        key = self._records.key
        n_square = key.n**2
        if not all(0 < c < n_square and math.gcd(c, key.n) == 1 for c in sums.masked):
            raise MalformedMessage(MaskedSums.KIND, "a ciphertext is out of range")
        try:
            self._limits.check_intersection(claimed)
        except Exception:
            self.abort()
            raise
        totals = tuple(key.decrypt(c) for c in sums.masked)
        self.claimed_intersection_size = claimed
        self._steps.done("masked-sums")
        return MaskedTotals(session_id=self.session_id, totals=totals)

    def abort(self) -> None:
        self._steps.abort()
        self._records = None


class PsiSumPartner:
    """The partner's party: blinding scalar ``p`` and the masks ``r_k``, nothing else."""

    def __init__(
        self, session_id: str, limits: PsiLimits, runner: ShardRunner | None = None
    ) -> None:
        self._steps = StepTracker(session_id, ("hello", "reply", "masked-totals"))
        self._limits = limits
        self._runner: ShardRunner = runner or InlineRunner()
        self._blinder = Blinder()
        self._size = 0
        self._masks: tuple[int, ...] = ()
        self._modulus = 0
        self._scale = 0
        self._columns: tuple[str, ...] = ()
        self._owner_size = 0
        self._intersection = 0

    @property
    def session_id(self) -> str:
        return self._steps.session_id

    def hello(self, ids: Sequence[str]) -> PartnerHello:
        self._steps.check("hello")
        self._limits.check_partner_size(len(ids))
        if len(set(ids)) != len(ids):
            raise MalformedMessage("partner list", "it repeats an identifier: normalise it first")
        points = map_keyed(self._runner, hash_and_blind_chunk, self._blinder.scalar, ids)
        _random.shuffle(points)  # the owner learns nothing from the order
        self._size = len(ids)
        self._steps.done("hello")
        return PartnerHello(session_id=self.session_id, points=tuple(points))

    def aggregate(self, reply: OwnerReply) -> MaskedSums:
        self._steps.check("reply", reply.session_id)
        self._check_reply(reply)
        doubly = map_keyed(self._runner, blind_chunk, self._blinder.scalar, reply.owner_tags)
        mine = set(reply.partner_points)
        matched = [j for j, x in enumerate(doubly) if x in mine]
        try:
            self._limits.check_intersection(len(matched))
        except Exception:
            self.abort()
            raise
        masks = tuple(secrets.randbelow(reply.modulus) for _ in reply.columns)
        masked = tuple(
            add_ciphertexts(
                reply.modulus,
                [column[j] for j in matched] + [public_encrypt(reply.modulus, mask)],
            )
            for column, mask in zip(reply.ciphertexts, masks, strict=True)
        )
        self._masks, self._modulus, self._scale = masks, reply.modulus, reply.scale
        self._columns, self._owner_size = reply.columns, reply.owner_set_size
        self._intersection = len(matched)
        self._steps.done("reply")
        return MaskedSums(
            session_id=self.session_id, claimed_intersection_size=len(matched), masked=masked
        )

    def _check_reply(self, reply: OwnerReply) -> None:
        kind = OwnerReply.KIND
        if reply.modulus.bit_length() != MODULUS_BITS:
            raise MalformedMessage(kind, f"its Paillier modulus is not {MODULUS_BITS} bits")
        if len(reply.partner_points) != self._size or len(set(reply.partner_points)) != self._size:
            raise MalformedMessage(kind, "it does not return each of the partner's points once")
        if len(set(reply.owner_tags)) != len(reply.owner_tags):
            raise MalformedMessage(kind, "it repeats an owner record")
        if len(reply.owner_tags) > self._limits.set_cap:
            raise MalformedMessage(kind, "it holds more owner records than the cap")
        if not reply.columns or len(reply.ciphertexts) != len(reply.columns):
            raise MalformedMessage(kind, "it does not carry one list per column")
        n_square = reply.modulus**2
        for column in reply.ciphertexts:
            if len(column) != len(reply.owner_tags) or not all(0 < c < n_square for c in column):
                raise MalformedMessage(kind, "a ciphertext list is misaligned or out of range")

    def finish(self, totals: MaskedTotals) -> PsiSumResult:
        self._steps.check("masked-totals", totals.session_id)
        if len(totals.totals) != len(self._masks):
            raise MalformedMessage(MaskedTotals.KIND, "it does not hold one total per column")
        sums: dict[str, Decimal] = {}
        for name, total, mask in zip(self._columns, totals.totals, self._masks, strict=True):
            value = (total - mask) % self._modulus
            if value > self._modulus // 2:
                value -= self._modulus
            sums[name] = Decimal(value).scaleb(-self._scale)
        self._steps.done("masked-totals")
        self._masks = ()
        return PsiSumResult(
            intersection_size=self._intersection,
            owner_set_size=self._owner_size,
            partner_set_size=self._size,
            sums=sums,
        )

    def abort(self) -> None:
        self._steps.abort()
        self._masks = ()
