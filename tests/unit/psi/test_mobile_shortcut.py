"""The fast path for mainland mobiles gives exactly phonenumbers' answer, valid or not."""

from __future__ import annotations

import random

import pytest

from jobs.psi import normalise
from jobs.psi.normalise import IdentifierKind, normalise_identifier

SPELLINGS = (
    "{d}",
    "+86{d}",
    "+86 {a}-{b}-{c}",
    "0086{d}",
    "86{d}",
    "{a} {b} {c}",
    " {d} ",
    "{a}\t{b}\t{c}",
    "{a}\u00a0{b}\u3000{c}",
    "+86-{a}--{b} {c}\n",
)
# Digits of other scripts: phonenumbers reads them as ASCII digits, and so must we.
FULLWIDTH = str.maketrans("0123456789", "".join(chr(0xFF10 + d) for d in range(10)))
ARABIC_INDIC = str.maketrans("0123456789", "".join(chr(0x0660 + d) for d in range(10)))


def numbers(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        # Every leading pair from 10 to 19: valid blocks, unassigned ones and non-mobiles.
        digits = f"1{rng.randrange(10)}" + "".join(rng.choice("0123456789") for _ in range(9))
        spelling = rng.choice(SPELLINGS)
        text = spelling.format(d=digits, a=digits[:3], b=digits[3:7], c=digits[7:])
        if rng.random() < 0.1:
            # A few digits in another script, at a random place.
            cut = rng.randrange(len(text))
            text = text[:cut] + text[cut:].translate(rng.choice((FULLWIDTH, ARABIC_INDIC)))
        out.append(text)
    return out


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_shortcut_agrees_with_the_full_parse(seed: int) -> None:
    for text in numbers(3000, seed):
        expected = normalise._parsed_mobile(text.strip())
        assert normalise_identifier(text, IdentifierKind.MOBILE) == expected, text


def test_a_shortcut_number_is_e164() -> None:
    assert normalise_identifier("138 0013 8000", IdentifierKind.MOBILE) == "+8613800138000"
    assert normalise_identifier("+86 138-0013-8000", IdentifierKind.MOBILE) == "+8613800138000"


def test_digits_of_other_scripts_become_ascii() -> None:
    mixed = "13" + "800138000".translate(FULLWIDTH)
    assert normalise_identifier(mixed, IdentifierKind.MOBILE) == "+8613800138000"


def test_numbers_outside_the_mobile_plan_are_still_refused() -> None:
    assert normalise_identifier("12000000000", IdentifierKind.MOBILE) is None
    assert normalise_identifier("1380013800", IdentifierKind.MOBILE) is None  # ten digits
