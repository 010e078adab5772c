"""Messages arrive from the other party as bytes: anything malformed is refused, never a crash."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contracts import PsiRevealMode
from jobs.psi import (
    MalformedMessage,
    MaskedSums,
    MaskedTotals,
    OwnerReply,
    PartnerHello,
    PsiRequest,
    PsiResponse,
    PsiSetup,
)

SAMPLES = [
    PsiSetup("s", "openmined", PsiRevealMode.CARDINALITY, 600, 400, b"\x01" * 40),
    PsiRequest("s", PsiRevealMode.INTERSECTION, 2, b"\x02" * 70),
    PsiResponse("s", b"\x03" * 70),
    PartnerHello("s", (b"\x04" * 32, b"\x05" * 32)),
    OwnerReply("s", 2**2047 + 1, 2, ("spend",), (b"\x06" * 32,), (b"\x07" * 32,), ((12345,),)),
    MaskedSums("s", 10, (99,)),
    MaskedTotals("s", (7, 8)),
]


@pytest.mark.parametrize("message", SAMPLES, ids=lambda m: type(m).__name__)
def test_every_message_survives_its_byte_form(message: object) -> None:
    cls = type(message)
    assert cls.from_bytes(message.to_bytes()) == message  # type: ignore[attr-defined]


@pytest.mark.parametrize("message", SAMPLES, ids=lambda m: type(m).__name__)
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_a_damaged_message_is_refused_as_malformed(message: object, data: st.DataObject) -> None:
    raw = bytearray(message.to_bytes())  # type: ignore[attr-defined]
    cut = data.draw(st.integers(0, len(raw) - 1))
    flip = data.draw(st.integers(0, len(raw) - 1))
    raw[flip] ^= data.draw(st.integers(1, 255))
    for damaged in (bytes(raw[:cut]), bytes(raw)):
        # Refused as malformed, or (a flipped payload byte) parsed: any other error fails.
        with contextlib.suppress(MalformedMessage):
            type(message).from_bytes(damaged)  # type: ignore[attr-defined]


def test_a_message_of_another_kind_is_refused() -> None:
    with pytest.raises(MalformedMessage, match="different kind of message"):
        MaskedSums.from_bytes(MaskedTotals("s", (1,)).to_bytes())
