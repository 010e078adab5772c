"""The fast path for mainland mobiles gives exactly phonenumbers' answer, valid or not."""

from __future__ import annotations

import pytest

from jobs.psi import normalise
from jobs.psi.normalise import IdentifierKind, normalise_identifier

from .mobile_numbers import FULLWIDTH, numbers


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
