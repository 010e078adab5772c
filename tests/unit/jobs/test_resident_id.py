"""Resident ID numbers are valid by checksum, birth date and province, not county age."""

from __future__ import annotations

import datetime as dt

import pytest

from jobs import is_resident_id
from jobs.resident_id import check_character

TODAY = dt.date(2026, 6, 1)


def numbered(region: str, born: str, sequence: str = "123") -> str:
    body = region + born + sequence
    return body + check_character(body)


def test_the_standards_own_example_is_valid() -> None:
    # GB 11643-1999's example: Beijing Chaoyang, born 1949-12-31, check character X.
    assert is_resident_id("11010519491231002X", today=TODAY)


@pytest.mark.parametrize(
    "region",
    [
        "460400",  # Danzhou became a prefecture-level city in 2015
        "110116",  # Huairou district, created from Huairou county in 2001
        "500118",  # Yongchuan district, 2006
        "331083",  # Yuhuan city, 2017
        "620201",  # Jiayuguan, where python-stdnum raises KeyError
    ],
)
def test_a_region_code_newer_than_the_birth_date_is_still_a_resident_id(region: str) -> None:
    assert is_resident_id(numbered(region, "19800101"), today=TODAY)


def test_a_wrong_check_character_is_not_a_resident_id() -> None:
    good = numbered("110105", "19800101")
    for wrong in "0123456789X":
        if wrong != good[-1]:
            assert not is_resident_id(good[:-1] + wrong, today=TODAY)


@pytest.mark.parametrize("born", ["19800230", "19801301", "18991231", "20260602", "00000000"])
def test_an_impossible_or_implausible_birth_date_is_not_a_resident_id(born: str) -> None:
    assert not is_resident_id(numbered("110105", born), today=TODAY)


def test_a_birth_on_today_is_plausible() -> None:
    assert is_resident_id(numbered("110105", "20260601"), today=TODAY)


@pytest.mark.parametrize("province", ["00", "10", "16", "20", "24", "47", "55", "70", "84", "99"])
def test_an_unknown_province_is_not_a_resident_id(province: str) -> None:
    assert not is_resident_id(numbered(province + "0101", "19800101"), today=TODAY)


@pytest.mark.parametrize("province", ["11", "15", "23", "37", "46", "54", "65", "71", "81", "82"])
def test_every_listed_province_is_known(province: str) -> None:
    assert is_resident_id(numbered(province + "0101", "19800101"), today=TODAY)


@pytest.mark.parametrize(
    "value",
    [
        "11010519491231002x",  # callers upper-case first
        "1101051949123100\uff12X",  # full-width digit
        "11010519491231002",
        "110105194912310021X",
        "A1010519491231002X",
    ],
)
def test_anything_not_18_ascii_characters_is_not_a_resident_id(value: str) -> None:
    assert not is_resident_id(value, today=TODAY)
