"""Resident ID numbers (居民身份证号码, GB 11643-1999), checked as the issuer sets them.

A number is 6 digits of region, 8 of birth date, 3 of sequence and one ISO 7064
MOD 11-2 check character (0-9 or X). The region is the code of the office that
issued the number, and offices were created, merged and renamed long after
their residents were born: a person born in 1985 may hold a code first listed
in 2016. So only the province (the first two digits, which GB/T 2260 has kept
stable) is checked against a list, never the county against a table of its
validity years; such a table (python-stdnum's) rejects real numbers.
"""

from __future__ import annotations

import datetime as dt
import re

# GB/T 2260 provinces, plus 71 Taiwan, 81 Hong Kong, 82 Macau and 83 (the
# residence permits of Taiwan residents, which carry GB 11643 numbers).
PROVINCE_CODES = frozenset(
    {
        *(str(code) for code in range(11, 16)),
        *(str(code) for code in range(21, 24)),
        *(str(code) for code in range(31, 38)),
        *(str(code) for code in range(41, 47)),
        *(str(code) for code in range(50, 55)),
        *(str(code) for code in range(61, 66)),
        "71",
        "81",
        "82",
        "83",
    }
)
FIRST_BIRTH = dt.date(1900, 1, 1)

# ASCII digits only: \d and str.isdigit() also take full-width and other scripts'
# digits, which no issuer prints.
_SHAPE = re.compile(r"[0-9]{17}[0-9X]")
_WEIGHTS = tuple(pow(2, 17 - position, 11) for position in range(17))
_CHECK_CHARACTERS = "10X98765432"


def check_character(first_17_digits: str) -> str:
    """The ISO 7064 MOD 11-2 check character of the 17 leading digits."""
    total = sum(int(d) * w for d, w in zip(first_17_digits, _WEIGHTS, strict=True))
    return _CHECK_CHARACTERS[total % 11]


def birth_date(number: str) -> dt.date | None:
    """The birth date a number carries, or None when it is no calendar date."""
    try:
        return dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return None


def is_resident_id(value: str, *, today: dt.date | None = None) -> bool:
    """18 characters, a known province, a birth date from 1900 to ``today``, a valid check.

    ``value`` is taken as written, upper-case X included; callers strip separators.
    ``today`` defaults to the local date: a birth after it is no birth.
    """
    if _SHAPE.fullmatch(value) is None or value[:2] not in PROVINCE_CODES:
        return False
    born = birth_date(value)
    latest = today or dt.date.today()
    if born is None or not FIRST_BIRTH <= born <= latest:
        return False
    return check_character(value[:17]) == value[17]
