"""PSI-sum: the arithmetic, and above all what each side's transcript does and does not hold.

The privacy tests play a *curious* party: one that keeps every message it saw and
its own secrets, and tries to learn more than docs/protocols.md says it may.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from decimal import Decimal

import pytest

from jobs.psi import (
    IntersectionTooSmall,
    MalformedMessage,
    MaskedSums,
    MaskedTotals,
    MessageReplayed,
    OwnerReply,
    OwnerValues,
    PartnerHello,
    PartnerSetTooSmall,
    ProtocolAborted,
    PsiLimits,
    PsiSumOwner,
    PsiSumPartner,
    PsiSumResult,
    SessionMismatch,
    UnexpectedMessage,
    ValueNotRepresentable,
)
from jobs.psi._hazmat.blinding import Blinder, hash_to_point
from jobs.psi._hazmat.paillier import OwnerPaillierKey, generate_owner_key
from tests.unit.psi.conftest import Overlap


@pytest.fixture
def overlap() -> Overlap:
    # Smaller than the PSI sets: every owner record costs a Paillier encryption.
    owner = [f"+86139{i:08d}" for i in range(200)]
    partner = [f"+86139{i:08d}" for i in range(140, 260)]  # 60 shared
    return Overlap(owner_ids=owner, partner_ids=partner)


@pytest.fixture
def limits() -> PsiLimits:
    return PsiLimits(min_partner_set_size=50, min_intersection_size=10, set_cap=5_000)


@pytest.fixture(scope="module")
def owner_key() -> OwnerPaillierKey:
    # Key generation takes a second or two; one key serves every test in the module.
    return generate_owner_key()


def spend(overlap: Overlap) -> list[Decimal]:
    # Distinct, signed values with cents, so a wrong record or a lost sign shows.
    return [Decimal(i * 37 % 1000 - 200) / 100 for i in range(len(overlap.owner_ids))]


@dataclass(frozen=True)
class Transcript:
    hello: bytes
    reply: bytes
    sums: bytes
    totals: bytes
    result: PsiSumResult


def owner_for(
    overlap: Overlap, limits: PsiLimits, key: OwnerPaillierKey, session: str = "s"
) -> PsiSumOwner:
    values = OwnerValues.from_columns(
        overlap.owner_ids, {"spend": spend(overlap), "visits": list(range(len(overlap.owner_ids)))}
    )
    return PsiSumOwner(session, limits, values, key=key)


def run(overlap: Overlap, limits: PsiLimits, key: OwnerPaillierKey) -> Transcript:
    partner = PsiSumPartner("s", limits)
    owner = owner_for(overlap, limits, key)
    hello = partner.hello(overlap.partner_ids).to_bytes()
    reply = owner.reply(PartnerHello.from_bytes(hello)).to_bytes()
    sums = partner.aggregate(OwnerReply.from_bytes(reply)).to_bytes()
    totals = owner.reveal(MaskedSums.from_bytes(sums)).to_bytes()
    result = partner.finish(MaskedTotals.from_bytes(totals))
    return Transcript(hello, reply, sums, totals, result)


def test_partner_learns_exact_sum_count_and_mean_over_the_intersection(
    overlap: Overlap, limits: PsiLimits, owner_key: OwnerPaillierKey
) -> None:
    result = run(overlap, limits, owner_key).result
    values = dict(zip(overlap.owner_ids, spend(overlap), strict=True))
    visits = {i: n for n, i in enumerate(overlap.owner_ids)}
    expected_spend = sum(values[i] for i in overlap.common)

    assert result.count == len(overlap.common) == 60
    assert result.sums["spend"] == expected_spend
    assert result.sums["visits"] == sum(visits[i] for i in overlap.common)
    assert result.mean("spend") == expected_spend / 60
    assert result.owner_set_size == 200 and result.partner_set_size == 120


def test_a_negative_total_decodes_as_negative(
    limits: PsiLimits, owner_key: OwnerPaillierKey
) -> None:
    ids = [f"c{i}" for i in range(200)]
    owner = PsiSumOwner(
        "s", limits, OwnerValues.from_columns(ids, {"refund": [-1.25] * 200}), key=owner_key
    )
    partner = PsiSumPartner("s", limits)
    totals = owner.reveal(partner.aggregate(owner.reply(partner.hello(ids[50:]))))
    assert partner.finish(totals).sums["refund"] == Decimal("-187.50")


def test_owner_view_holds_no_partner_identifier_nor_anything_deterministic_of_one(
    overlap: Overlap, limits: PsiLimits, owner_key: OwnerPaillierKey
) -> None:
    first, second = run(overlap, limits, owner_key), run(overlap, limits, owner_key)
    hello = PartnerHello.from_bytes(first.hello)
    owner_view = first.hello + first.sums
    unkeyed = {hash_to_point(i) for i in overlap.partner_ids}
    for identifier in overlap.partner_ids:
        assert identifier.encode() not in owner_view
        assert hashlib.sha256(identifier.encode()).digest() not in owner_view
    # Not the unkeyed curve point either, and a fresh partner key each run: the same
    # list blinded twice shares no value, so nothing is a function of the ids alone.
    assert not unkeyed & set(hello.points)
    assert not set(hello.points) & set(PartnerHello.from_bytes(second.hello).points)


def test_owner_decrypts_only_a_masked_number_and_learns_only_the_count(
    overlap: Overlap, limits: PsiLimits, owner_key: OwnerPaillierKey
) -> None:
    runs = [run(overlap, limits, owner_key) for _ in range(2)]
    true_sum = int(runs[0].result.sums["spend"] * 100) % owner_key.n
    masked = [MaskedTotals.from_bytes(r.totals).totals[0] for r in runs]
    assert true_sum not in masked
    assert masked[0] != masked[1]  # the same sum, a fresh uniform mask each run
    assert MaskedSums.from_bytes(runs[0].sums).claimed_intersection_size == 60


def test_partner_view_holds_no_owner_identifier_and_no_per_record_value(
    overlap: Overlap, limits: PsiLimits, owner_key: OwnerPaillierKey
) -> None:
    transcript = run(overlap, limits, owner_key)
    reply = OwnerReply.from_bytes(transcript.reply)
    partner_view = transcript.reply + transcript.totals
    for identifier in overlap.owner_ids:
        assert identifier.encode() not in partner_view
    assert not {hash_to_point(i) for i in overlap.owner_ids} & set(reply.owner_tags)
    # Values travel only as Paillier ciphertexts, one per record and column, all distinct.
    for column in reply.ciphertexts:
        assert len(set(column)) == len(column)


def test_equal_owner_values_give_unrelated_ciphertexts(
    limits: PsiLimits, owner_key: OwnerPaillierKey
) -> None:
    ids = [f"c{i}" for i in range(60)]
    owner = PsiSumOwner(
        "s", limits, OwnerValues.from_columns(ids, {"spend": [9.99] * 60}), key=owner_key
    )
    reply = owner.reply(PsiSumPartner("s", limits).hello(ids))
    (column,) = reply.ciphertexts
    # Probabilistic encryption: the partner cannot even tell that two customers spent alike.
    assert len(set(column)) == 60


def test_a_curious_partner_cannot_tell_which_of_its_identifiers_matched(
    overlap: Overlap, limits: PsiLimits, owner_key: OwnerPaillierKey
) -> None:
    # The partner keeps its own scalar and its list in a known order.
    blinder = Blinder()
    hello = PartnerHello("s", tuple(blinder.hash_and_blind(i) for i in overlap.partner_ids))
    reply = owner_for(overlap, limits, owner_key).reply(hello)
    doubly = {blinder.blind(tag): j for j, tag in enumerate(reply.owner_tags)}
    positions_in_reply = {x: k for k, x in enumerate(reply.partner_points)}
    matched_slots = sorted(positions_in_reply[x] for x in doubly if x in positions_in_reply)
    matched_rows = sorted(overlap.partner_ids.index(i) for i in overlap.common)
    # It finds every match, but their positions are shuffled (pi): not its own rows.
    assert len(matched_slots) == len(overlap.common)
    assert matched_slots != matched_rows
    # And the owner's records come in a shuffled order too (sigma).
    owner_positions = sorted(j for x, j in doubly.items() if x in positions_in_reply)
    assert owner_positions != sorted(overlap.owner_ids.index(i) for i in overlap.common)


def test_owner_refuses_to_decrypt_twice_so_a_second_query_gets_nothing(
    overlap: Overlap, limits: PsiLimits, owner_key: OwnerPaillierKey
) -> None:
    partner = PsiSumPartner("s", limits)
    owner = owner_for(overlap, limits, owner_key)
    reply = owner.reply(partner.hello(overlap.partner_ids))
    sums = partner.aggregate(reply)
    owner.reveal(sums)
    one_record = MaskedSums("s", 60, (reply.ciphertexts[0][0], reply.ciphertexts[1][0]))
    with pytest.raises(MessageReplayed):
        owner.reveal(sums)
    with pytest.raises(MessageReplayed):
        owner.reveal(one_record)


def test_a_replayed_hello_is_refused_and_leaves_the_run_intact(
    overlap: Overlap, limits: PsiLimits, owner_key: OwnerPaillierKey
) -> None:
    partner = PsiSumPartner("s", limits)
    owner = owner_for(overlap, limits, owner_key)
    hello = partner.hello(overlap.partner_ids)
    reply = owner.reply(hello)
    with pytest.raises(MessageReplayed, match="hello step"):
        owner.reply(hello)
    result = partner.finish(owner.reveal(partner.aggregate(reply)))
    assert result.count == len(overlap.common)


def test_messages_out_of_order_or_from_another_session_are_refused(
    overlap: Overlap, limits: PsiLimits, owner_key: OwnerPaillierKey
) -> None:
    owner = owner_for(overlap, limits, owner_key)
    with pytest.raises(UnexpectedMessage, match="expects hello next"):
        owner.reveal(MaskedSums("s", 60, (2, 3)))
    stranger = PsiSumPartner("other", limits).hello(overlap.partner_ids)
    with pytest.raises(SessionMismatch):
        owner.reply(stranger)


def test_an_aborted_run_releases_nothing_to_either_side(
    overlap: Overlap, limits: PsiLimits, owner_key: OwnerPaillierKey
) -> None:
    partner = PsiSumPartner("s", limits)
    owner = owner_for(overlap, limits, owner_key)
    sums = partner.aggregate(owner.reply(partner.hello(overlap.partner_ids)))
    owner.abort()  # e.g. the partner went silent and the job timed out
    with pytest.raises(ProtocolAborted, match="nothing from it is released"):
        owner.reveal(sums)
    assert owner.claimed_intersection_size is None
    partner.abort()
    with pytest.raises(ProtocolAborted):
        partner.finish(MaskedTotals("s", (1, 2)))


def test_owner_withholds_a_sum_over_too_small_an_intersection(
    overlap: Overlap, owner_key: OwnerPaillierKey
) -> None:
    strict = PsiLimits(50, 61, 5_000)
    partner = PsiSumPartner("s", PsiLimits(50, 1, 5_000))  # a client that skips the check
    owner = owner_for(overlap, strict, owner_key)
    sums = partner.aggregate(owner.reply(partner.hello(overlap.partner_ids)))
    with pytest.raises(IntersectionTooSmall, match="result is withheld"):
        owner.reveal(sums)
    with pytest.raises(ProtocolAborted):
        owner.reveal(sums)


def test_partner_client_also_stops_before_sending_sums_for_a_small_intersection(
    overlap: Overlap, owner_key: OwnerPaillierKey
) -> None:
    strict = PsiLimits(50, 61, 5_000)
    partner = PsiSumPartner("s", strict)
    reply = owner_for(overlap, strict, owner_key).reply(partner.hello(overlap.partner_ids))
    with pytest.raises(IntersectionTooSmall):
        partner.aggregate(reply)


def test_owner_refuses_a_partner_set_below_the_minimum(
    overlap: Overlap, limits: PsiLimits, owner_key: OwnerPaillierKey
) -> None:
    blinder = Blinder()
    tiny = PartnerHello("s", tuple(blinder.hash_and_blind(i) for i in overlap.partner_ids[:5]))
    with pytest.raises(PartnerSetTooSmall):
        owner_for(overlap, limits, owner_key).reply(tiny)


def test_points_off_the_curve_or_repeated_are_refused(
    overlap: Overlap, limits: PsiLimits, owner_key: OwnerPaillierKey
) -> None:
    points = [Blinder().hash_and_blind(i) for i in overlap.partner_ids]
    with pytest.raises(MalformedMessage, match="repeats a point"):
        owner_for(overlap, limits, owner_key).reply(
            PartnerHello("s", (points[0], *points[1:]) * 1 + (points[0],))
        )
    off_curve = next(x for x in (bytes([k]) * 32 for k in range(1, 255)) if _off_curve(x))
    with pytest.raises(MalformedMessage, match="not on the curve"):
        owner_for(overlap, limits, owner_key).reply(PartnerHello("s", (*points[1:], off_curve)))


def _off_curve(x: bytes) -> bool:
    try:
        Blinder().blind(x)
    except MalformedMessage:
        return True
    return False


def test_a_truncated_reply_is_refused_as_malformed(
    overlap: Overlap, limits: PsiLimits, owner_key: OwnerPaillierKey
) -> None:
    reply = run(overlap, limits, owner_key).reply
    with pytest.raises(MalformedMessage):
        OwnerReply.from_bytes(reply[:-100])


def test_owner_values_that_cannot_be_summed_exactly_are_refused_by_column() -> None:
    with pytest.raises(ValueNotRepresentable, match="2 values of column 'spend'"):
        OwnerValues.from_columns(["a", "b", "c"], {"spend": [1.5, float("nan"), 0.001]}, scale=2)


def test_rows_of_one_customer_are_summed_into_one_record() -> None:
    values = OwnerValues.from_columns(["a", "b", "a"], {"spend": [1, 2, Decimal("0.5")]}, scale=1)
    assert values.ids == ("a", "b")
    assert values.columns["spend"] == (15, 20)


def test_errors_survive_the_trip_back_from_a_worker_process() -> None:
    import pickle

    error = MalformedMessage("psi-sum-hello", "a point is not on the curve")
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is MalformedMessage
    assert copy.message == error.message and copy.problem == error.problem


def test_owner_can_prepare_its_records_before_the_partner_says_hello(
    overlap: Overlap, limits: PsiLimits, owner_key: OwnerPaillierKey
) -> None:
    owner = owner_for(overlap, limits, owner_key)
    owner.prepare()
    owner.prepare()  # idempotent: the same tags and ciphertexts, not a second shuffle
    partner = PsiSumPartner("s", limits)
    result = partner.finish(
        owner.reveal(partner.aggregate(owner.reply(partner.hello(overlap.partner_ids))))
    )
    assert result.count == len(overlap.common)
    owner.abort()
    with pytest.raises(ProtocolAborted):
        owner.prepare()
