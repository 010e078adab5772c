"""Signed decisions: one canonical message, and a signature that binds every field of it."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from jobs import (
    CodeIdentity,
    Decider,
    DecisionKind,
    DecisionSignatureInvalid,
    DecisionSubject,
    SignedDecision,
    decision_message,
    output_digest_pairs,
    sign_decision,
    verify_decision,
)
from kms import generate_party_keys

NOW = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)
OWNER = generate_party_keys()
SUBJECT = DecisionSubject(
    kind=DecisionKind.RELEASE_VOTE,
    contract_id="c-12",
    contract_version=1,
    contract_hash="ab" * 32,
    job_id="j-7",
    code=CodeIdentity("sha256:" + "cd" * 32, "python", "analysis.py"),
    outputs=output_digest_pairs({"by_segment.csv": b"segment,n\ngold,120\n"}),
)
DECIDER = Decider("acme-cn", "acme-cn", "acme-cn")


def signed() -> SignedDecision:
    return sign_decision(SUBJECT, "approve", "", DECIDER, OWNER, NOW)


def test_the_message_is_versioned_domain_separated_canonical_json() -> None:
    message = decision_message(SUBJECT, "approve", "", DECIDER, NOW)
    assert message.startswith(b"sealroom/decision/v1\x00{")
    assert b'"format":"sealroom.decision/v1"' in message
    assert b'"interpreter":"python"' in message and b'"entry":"analysis.py"' in message
    # Same meaning, same bytes: the time is normalised to UTC.
    shanghai = NOW.astimezone(dt.timezone(dt.timedelta(hours=8)))
    assert decision_message(SUBJECT, "approve", "", DECIDER, shanghai) == message


def test_a_genuine_decision_verifies_and_round_trips_through_json() -> None:
    decision = signed()
    verify_decision(decision, OWNER.public.ed25519)
    again = SignedDecision.from_json(decision.to_json())
    assert again == decision
    verify_decision(again, OWNER.public.ed25519)


@pytest.mark.parametrize(
    "altered",
    [
        replace(SUBJECT, outputs=(("by_segment.csv", "0" * 64),)),
        replace(SUBJECT, code=replace(SUBJECT.code, interpreter="sh")),
        replace(SUBJECT, code=replace(SUBJECT.code, entry="analysis.sh")),
        replace(SUBJECT, code=replace(SUBJECT.code, sha256="sha256:" + "00" * 32)),
        replace(SUBJECT, contract_hash="ff" * 32),
        replace(SUBJECT, contract_version=2),
        replace(SUBJECT, job_id="j-8"),
        replace(SUBJECT, kind=DecisionKind.CODE_APPROVAL),
    ],
)
def test_a_signature_does_not_carry_over_to_anything_else(altered: DecisionSubject) -> None:
    moved = replace(signed(), subject=altered)
    with pytest.raises(DecisionSignatureInvalid, match="does not verify"):
        verify_decision(moved, OWNER.public.ed25519)


def test_an_approval_does_not_become_a_rejection_or_another_seat() -> None:
    with pytest.raises(DecisionSignatureInvalid):
        verify_decision(replace(signed(), decision="reject"), OWNER.public.ed25519)
    other_seat = replace(signed(), decider=Decider("platform", "acme-cn", "acme-cn"))
    with pytest.raises(DecisionSignatureInvalid):
        verify_decision(other_seat, OWNER.public.ed25519)


def test_a_decision_signed_by_another_key_is_refused_whatever_key_it_names() -> None:
    impostor = sign_decision(SUBJECT, "approve", "", DECIDER, generate_party_keys(), NOW)
    verify_decision(impostor)  # self-consistent: it names its own key
    with pytest.raises(DecisionSignatureInvalid, match="not acme-cn's registered or pinned key"):
        verify_decision(impostor, OWNER.public.ed25519)


def test_a_malformed_decision_is_refused_with_a_message() -> None:
    document = signed().to_json()
    del document["outputs"]
    with pytest.raises(DecisionSignatureInvalid, match=r"is not a sealroom\.decision/v1 decision"):
        SignedDecision.from_json(document)


def test_the_audit_log_carries_who_decided_and_a_digest_never_the_outputs() -> None:
    decision = signed()
    logged = str(decision.as_logged())
    for output in SUBJECT.outputs:
        assert str(output[0]) not in logged and str(output[1]) not in logged
    assert decision.to_json()["signature"] not in logged
    assert decision.as_logged()["seat"] == DECIDER.seat
