"""The openmined engine as a contract operation: results, limits, replay, and the owner's view."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from private_set_intersection.python import Request, Response

from contracts import PsiRevealMode
from jobs.psi import (
    IntersectionTooSmall,
    MalformedMessage,
    MessageReplayed,
    ModeNotAllowed,
    OpenMinedEngine,
    PartnerSetTooSmall,
    ProtocolAborted,
    PsiLimits,
    PsiRequest,
    PsiResponse,
    PsiSetup,
    SessionMismatch,
)
from jobs.psi.engine import PsiOutcome
from tests.unit.psi.conftest import Overlap

CARDINALITY, INTERSECTION = PsiRevealMode.CARDINALITY, PsiRevealMode.INTERSECTION


@dataclass(frozen=True)
class Transcript:
    setup: bytes
    request: bytes
    response: bytes
    outcome: PsiOutcome


def run(overlap: Overlap, limits: PsiLimits, mode: PsiRevealMode) -> Transcript:
    """One run, every message through its byte form as the REST API will carry it."""
    engine = OpenMinedEngine()
    partner = engine.partner_session("session-1", mode, limits)
    owner = engine.owner_session("session-1", limits)
    request = partner.create_request(overlap.partner_ids).to_bytes()
    setup = owner.setup(overlap.owner_ids, len(overlap.partner_ids), mode).to_bytes()
    response = owner.process_request(PsiRequest.from_bytes(request)).to_bytes()
    outcome = partner.finish(PsiSetup.from_bytes(setup), PsiResponse.from_bytes(response))
    return Transcript(setup, request, response, outcome)


def request_elements(request: bytes) -> list[bytes]:
    proto = Request()
    proto.ParseFromString(PsiRequest.from_bytes(request).payload)
    return list(proto.encrypted_elements)


def test_cardinality_mode_tells_the_partner_how_many_and_the_owner_set_size(
    overlap: Overlap, limits: PsiLimits
) -> None:
    outcome = run(overlap, limits, CARDINALITY).outcome
    assert outcome.intersection_size == len(overlap.common) == 150
    assert outcome.owner_set_size == 600
    assert outcome.matched_rows is None


def test_intersection_mode_names_exactly_the_partner_rows_that_match(
    overlap: Overlap, limits: PsiLimits
) -> None:
    rows = run(overlap, limits, INTERSECTION).outcome.matched_rows
    assert rows is not None
    assert {overlap.partner_ids[i] for i in rows} == overlap.common


def test_the_owner_never_sees_a_partner_identifier(overlap: Overlap, limits: PsiLimits) -> None:
    request = run(overlap, limits, INTERSECTION).request
    for identifier in overlap.partner_ids:
        assert identifier.encode() not in request
        assert identifier.removeprefix("+86").encode() not in request


def test_two_requests_for_the_same_list_look_unrelated(overlap: Overlap, limits: PsiLimits) -> None:
    first = request_elements(run(overlap, limits, CARDINALITY).request)
    second = request_elements(run(overlap, limits, CARDINALITY).request)
    # Blinded under a fresh partner key each run: nothing deterministic of an identifier.
    assert len(first) == len(second) == 400
    assert not set(first) & set(second)


def test_cardinality_response_is_sorted_so_answers_do_not_line_up_with_the_request(
    overlap: Overlap, limits: PsiLimits
) -> None:
    response = run(overlap, limits, CARDINALITY).response
    proto = Response()
    proto.ParseFromString(PsiResponse.from_bytes(response).payload)
    elements = list(proto.encrypted_elements)
    assert elements == sorted(elements)


def test_a_cardinality_partner_cannot_forge_an_intersection_request(
    overlap: Overlap, limits: PsiLimits
) -> None:
    # The contract allows cardinality only; the partner's client is honest about its
    # mode label but a forged request asks the library for an ordered answer.
    only_cardinality = PsiLimits(100, 20, 5_000, frozenset({CARDINALITY}))
    engine = OpenMinedEngine()
    sneaky = engine.partner_session("s", INTERSECTION, limits)
    forged = sneaky.create_request(overlap.partner_ids)
    owner = engine.owner_session("s", only_cardinality)
    owner.setup(overlap.owner_ids, len(overlap.partner_ids), CARDINALITY)
    relabelled = PsiRequest(forged.session_id, CARDINALITY, forged.size, forged.payload)
    with pytest.raises(MalformedMessage, match="reveal mode is not the session's"):
        owner.process_request(relabelled)


def test_intersection_mode_is_refused_when_the_contract_allows_only_cardinality(
    overlap: Overlap,
) -> None:
    only_cardinality = PsiLimits(100, 20, 5_000, frozenset({CARDINALITY}))
    owner = OpenMinedEngine().owner_session("s", only_cardinality)
    with pytest.raises(ModeNotAllowed, match="cardinality mode only, not intersection"):
        owner.setup(overlap.owner_ids, 400, INTERSECTION)


def test_a_second_request_against_the_same_owner_key_is_refused_as_a_replay(
    overlap: Overlap, limits: PsiLimits
) -> None:
    engine = OpenMinedEngine()
    partner = engine.partner_session("s", CARDINALITY, limits)
    owner = engine.owner_session("s", limits)
    request = partner.create_request(overlap.partner_ids)
    owner.setup(overlap.owner_ids, request.size, CARDINALITY)
    owner.process_request(request)
    with pytest.raises(MessageReplayed, match="request step of this session was already"):
        owner.process_request(request)


def test_a_request_from_another_session_is_refused(overlap: Overlap, limits: PsiLimits) -> None:
    engine = OpenMinedEngine()
    request = engine.partner_session("other", CARDINALITY, limits).create_request(
        overlap.partner_ids
    )
    owner = engine.owner_session("s", limits)
    owner.setup(overlap.owner_ids, request.size, CARDINALITY)
    with pytest.raises(SessionMismatch):
        owner.process_request(request)


def test_a_request_larger_than_announced_is_refused(overlap: Overlap, limits: PsiLimits) -> None:
    engine = OpenMinedEngine()
    request = engine.partner_session("s", CARDINALITY, limits).create_request(overlap.partner_ids)
    owner = engine.owner_session("s", limits)
    owner.setup(overlap.owner_ids, 150, CARDINALITY)
    with pytest.raises(MalformedMessage, match="holds 400 identifiers, not the announced 150"):
        owner.process_request(request)


def test_a_tiny_partner_set_is_refused_on_both_sides(overlap: Overlap, limits: PsiLimits) -> None:
    engine = OpenMinedEngine()
    with pytest.raises(PartnerSetTooSmall, match="has 3 identifiers and the contract needs"):
        engine.partner_session("s", CARDINALITY, limits).create_request(overlap.partner_ids[:3])
    with pytest.raises(PartnerSetTooSmall):
        engine.owner_session("s", limits).setup(overlap.owner_ids, 3, CARDINALITY)


def test_a_small_intersection_is_withheld_and_the_session_ends(overlap: Overlap) -> None:
    strict = PsiLimits(100, 151, 5_000, frozenset({CARDINALITY}))
    engine = OpenMinedEngine()
    partner = engine.partner_session("s", CARDINALITY, strict)
    owner = engine.owner_session("s", strict)
    request = partner.create_request(overlap.partner_ids)
    setup = owner.setup(overlap.owner_ids, request.size, CARDINALITY)
    response = owner.process_request(request)
    with pytest.raises(IntersectionTooSmall, match="result is withheld"):
        partner.finish(setup, response)
    with pytest.raises(ProtocolAborted):
        partner.finish(setup, response)


def test_a_truncated_message_is_refused_as_malformed(overlap: Overlap, limits: PsiLimits) -> None:
    request = run(overlap, limits, CARDINALITY).request
    with pytest.raises(MalformedMessage, match="length does not match"):
        PsiRequest.from_bytes(request[:-10])


def test_an_owner_session_aborted_mid_protocol_answers_nothing(
    overlap: Overlap, limits: PsiLimits
) -> None:
    engine = OpenMinedEngine()
    partner = engine.partner_session("s", CARDINALITY, limits)
    owner = engine.owner_session("s", limits)
    request = partner.create_request(overlap.partner_ids)
    owner.setup(overlap.owner_ids, request.size, CARDINALITY)
    owner.abort()  # the partner went away after the setup; the job times out
    with pytest.raises(ProtocolAborted, match="nothing from it is released"):
        owner.process_request(request)


def test_garbage_points_in_a_request_or_response_are_refused_as_malformed(
    overlap: Overlap, limits: PsiLimits
) -> None:
    engine = OpenMinedEngine()
    partner = engine.partner_session("s", CARDINALITY, limits)
    owner = engine.owner_session("s", limits)
    garbage = Request()
    garbage.reveal_intersection = False
    garbage.encrypted_elements.extend([b"\x02" + b"\xff" * 32] * 400)
    owner.setup(overlap.owner_ids, 400, CARDINALITY)
    with pytest.raises(MalformedMessage, match="not a curve point"):
        owner.process_request(PsiRequest("s", CARDINALITY, 400, garbage.SerializeToString()))

    other_owner = engine.owner_session("s", limits)
    setup = other_owner.setup(overlap.owner_ids, 400, CARDINALITY)
    partner.create_request(overlap.partner_ids)
    fake = Response()
    fake.encrypted_elements.extend([b"\x02" + b"\xff" * 32] * 400)
    with pytest.raises(MalformedMessage, match="not a curve point"):
        partner.finish(setup, PsiResponse("s", fake.SerializeToString()))
