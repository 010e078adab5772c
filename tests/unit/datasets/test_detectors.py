"""Each detector recognises its kind of value and refuses its look-alikes."""

from __future__ import annotations

import pytest

from sealroom.datasets.detectors import (
    header_mentions,
    is_address_zh,
    is_bank_card,
    is_email,
    is_mobile_cn,
    is_person_name_zh,
    is_plausible_birth_date,
    is_resident_id_cn,
)
from tests.unit.datasets.numbers import card_number, resident_id, with_wrong_last_digit


@pytest.mark.parametrize(
    "value",
    ["13812345678", "+8613812345678", "+86 138-1234-5678", "0086 19912345678", "13812345678.0"],
)
def test_mainland_mobile_numbers_are_recognised_in_the_ways_people_write_them(value: str) -> None:
    assert is_mobile_cn(value)


@pytest.mark.parametrize(
    "value",
    [
        "12812345678",  # no mobile network starts with 12
        "1381234567",  # ten digits
        "138123456789",  # twelve digits
        "010-12345678",  # a Beijing landline
        "+1 415 555 0100",  # not mainland China
        "１３８１２３４５６７８",  # noqa: RUF001 (full-width digits are not how numbers are stored)
    ],
)
def test_numbers_that_are_not_mainland_mobiles_are_refused(value: str) -> None:
    assert not is_mobile_cn(value)


def test_a_resident_id_with_its_check_digit_is_recognised() -> None:
    assert is_resident_id_cn(resident_id())
    assert is_resident_id_cn(resident_id(sequence="002", born="19491231"))  # check digit X


def test_an_18_digit_number_with_a_wrong_check_digit_is_not_a_resident_id() -> None:
    assert not is_resident_id_cn(with_wrong_last_digit(resident_id()))


def test_a_resident_id_with_an_impossible_birth_date_is_refused() -> None:
    assert not is_resident_id_cn(resident_id(born="19800230"))


def test_a_resident_id_is_recognised_whatever_the_age_of_its_region_code() -> None:
    # 620201 (Jiayuguan) and 110116 (Huairou district, created 2001) postdate a 1980
    # birth; python-stdnum refuses both, the issuer printed both.
    assert is_resident_id_cn(resident_id(region="620201"))
    assert is_resident_id_cn(resident_id(region="110116"))


def test_a_resident_id_from_an_unknown_province_is_refused() -> None:
    assert not is_resident_id_cn(resident_id(region="990101"))
    assert not is_resident_id_cn(resident_id(region="200101"))


def test_a_card_number_passing_luhn_is_a_bank_card() -> None:
    assert is_bank_card(card_number(length=16))
    assert is_bank_card(card_number(length=19))
    assert is_bank_card("6222 0212 3456 7894")


def test_a_16_digit_number_failing_luhn_is_not_a_card() -> None:
    assert not is_bank_card(with_wrong_last_digit(card_number(length=16)))


@pytest.mark.parametrize("length", [15, 20])
def test_luhn_valid_numbers_of_the_wrong_length_are_not_cards(length: int) -> None:
    assert not is_bank_card(card_number(length=length))


def test_a_valid_resident_id_that_also_passes_luhn_counts_as_an_id_not_a_card() -> None:
    luhn_valid_id = next(
        number
        for sequence in range(1000)
        if is_resident_id_cn(number := resident_id(sequence=f"{sequence:03d}"))
        and number[-1] != "X"
        and _luhn(number)
    )
    assert not is_bank_card(luhn_valid_id)


def test_a_run_of_one_digit_is_not_a_card_even_though_it_passes_luhn() -> None:
    assert _luhn("0" * 16)
    assert not is_bank_card("0" * 16)


@pytest.mark.parametrize("value", ["zhang.san@example.com", "li+tag@mail.example.cn"])
def test_email_addresses_are_recognised(value: str) -> None:
    assert is_email(value)


@pytest.mark.parametrize("value", ["zhang.san@", "@example.com", "zhang san@example.com", "张三"])
def test_strings_that_are_not_email_addresses_are_refused(value: str) -> None:
    assert not is_email(value)


@pytest.mark.parametrize("value", ["王芳", "李建国", "欧阳娜娜", "诸葛亮"])
def test_chinese_names_with_common_surnames_are_recognised(value: str) -> None:
    assert is_person_name_zh(value)


@pytest.mark.parametrize(
    "value",
    [
        "北京",  # 北 is not a common surname
        "周口市",  # starts like a name, ends like a city
        "高新区",
        "王",  # a surname alone
        "王小明明明",  # five characters
        "Wang Fang",
        "欧阳",  # a compound surname alone
    ],
)
def test_han_strings_that_are_not_names_are_refused(value: str) -> None:
    assert not is_person_name_zh(value)


@pytest.mark.parametrize(
    "value",
    [
        "广东省深圳市南山区科技园路1号",
        "北京市朝阳区建国路88号3栋1201室",
        "上海市浦东新区张江镇祖冲之路",
    ],
)
def test_postal_addresses_are_recognised(value: str) -> None:
    assert is_address_zh(value)


@pytest.mark.parametrize("value", ["北京市朝阳区", "上海市", "南京路", "123 Main Street"])
def test_a_city_or_street_alone_is_not_an_address(value: str) -> None:
    assert not is_address_zh(value)


@pytest.mark.parametrize(
    "value", ["1990-03-07", "1990/3/7", "19900307", "1990年3月7日", "1990-03-07 00:00:00"]
)
def test_dates_are_plausible_birth_dates_in_common_forms(value: str) -> None:
    assert is_plausible_birth_date(value)


@pytest.mark.parametrize("value", ["1990-02-30", "1850-01-01", "2023-13-01", "yesterday", "0307"])
def test_impossible_or_implausible_dates_are_not_birth_dates(value: str) -> None:
    assert not is_plausible_birth_date(value)


def test_header_hints_match_whole_words_and_chinese_substrings() -> None:
    assert header_mentions("customer_id_number", ["id_number"])
    assert header_mentions("customerIdNumber", ["id_number"])
    assert header_mentions("客户身份证号", ["身份证"])
    assert not header_mentions("hotel", ["tel"])
    assert not header_mentions("idle_number", ["id_number"])


def _luhn(number: str) -> bool:
    from stdnum import luhn

    return bool(luhn.is_valid(number))
