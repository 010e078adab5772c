"""Valid and almost-valid identity numbers, built with their check digits."""

from __future__ import annotations

from stdnum import luhn
from stdnum.cn import ric


def resident_id(region: str = "110105", born: str = "19800101", sequence: str = "123") -> str:
    """An 18-digit resident ID with the right check digit (Beijing Chaoyang by default)."""
    body = region + born + sequence
    return body + ric.calc_check_digit(body + "0")


def with_wrong_last_digit(number: str) -> str:
    """The same number with a check digit that cannot be the right one."""
    last = number[-1]
    wrong = "0" if last in "X123456789" else "1"
    return number[:-1] + wrong


def card_number(prefix: str = "622202", length: int = 16, body: str = "") -> str:
    """A card number of ``length`` digits that passes Luhn."""
    digits = (prefix + body + "3141592653589793238")[: length - 1]
    return digits + luhn.calc_check_digit(digits)
