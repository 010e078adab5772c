"""Columns get the level their values call for, and the owner's word is recorded."""

from __future__ import annotations

import pytest

from sealroom.datasets import (
    ColumnLevel,
    DecidedBy,
    DetectorName,
    apply_overrides,
    classify_column,
    parse_overrides,
)
from sealroom.datasets.classify import DETECTION_THRESHOLD
from sealroom.datasets.errors import MalformedOverride, UnknownColumn, UnknownLevel
from tests.unit.datasets.numbers import card_number, resident_id, with_wrong_last_digit

MOBILES = [f"139{n:08d}" for n in range(10_000_000, 10_000_010)]
IDS = [resident_id(sequence=f"{n:03d}") for n in range(100, 110)]
CARDS = [card_number(body=f"{n:04d}") for n in range(10)]


def test_a_column_of_mobile_numbers_is_an_identifier() -> None:
    result = classify_column("contact", MOBILES)

    assert result.level is ColumnLevel.IDENTIFIER
    assert result.detector is DetectorName.MOBILE_CN
    assert (result.matched, result.sampled, result.confidence) == (10, 10, 1.0)
    assert result.decided_by is DecidedBy.DETECTOR


def test_resident_ids_are_sensitive_personal() -> None:
    result = classify_column("证件", IDS)

    assert result.level is ColumnLevel.SENSITIVE_PERSONAL
    assert result.detector is DetectorName.RESIDENT_ID_CN


def test_ids_with_wrong_check_digits_are_not_counted_as_ids() -> None:
    broken = [with_wrong_last_digit(number) for number in IDS]

    result = classify_column("some_number", broken)

    assert result.detector is not DetectorName.RESIDENT_ID_CN
    assert DetectorName.RESIDENT_ID_CN not in result.evidence


def test_card_numbers_are_sensitive_personal() -> None:
    result = classify_column("pay_with", CARDS)

    assert result.level is ColumnLevel.SENSITIVE_PERSONAL
    assert result.detector is DetectorName.BANK_CARD


def test_order_numbers_that_only_sometimes_pass_luhn_stay_general() -> None:
    # Consecutive 16-digit numbers: exactly one in ten passes Luhn.
    orders = [str(4_000_000_000_000_000 + n) for n in range(100)]

    result = classify_column("order_no", orders)

    assert result.evidence == {DetectorName.BANK_CARD: 10}
    assert result.level is ColumnLevel.GENERAL
    assert result.confidence == pytest.approx(0.9)


def test_emails_are_identifiers_and_names_addresses_are_personal() -> None:
    assert classify_column("x", ["a@example.com", "b@example.org"]).level is ColumnLevel.IDENTIFIER
    assert classify_column("x", ["王芳", "李建国", "张伟"]).level is ColumnLevel.PERSONAL
    addresses = ["北京市朝阳区建国路88号", "广东省深圳市南山区科技园路1号"]
    assert classify_column("x", addresses).detector is DetectorName.ADDRESS_ZH


def test_dates_are_birth_dates_only_under_a_birth_date_header() -> None:
    dates = ["1990-03-07", "1985-11-30", "2001-01-01"]

    assert classify_column("出生日期", dates).detector is DetectorName.BIRTH_DATE
    assert classify_column("dob", dates).level is ColumnLevel.PERSONAL
    assert classify_column("order_date", dates).level is ColumnLevel.GENERAL


def test_a_telling_header_carries_a_column_with_some_malformed_values() -> None:
    half_valid = [*MOBILES[:5], "n/a", "unknown", "-", "0", "?"]
    assert DETECTION_THRESHOLD > 0.5

    without_hint = classify_column("col_7", half_valid)
    with_hint = classify_column("手机号", half_valid)

    assert without_hint.level is ColumnLevel.GENERAL
    assert with_hint.level is ColumnLevel.IDENTIFIER
    assert with_hint.header_hint
    assert with_hint.confidence == pytest.approx(0.65)


def test_a_header_alone_never_classifies_a_column() -> None:
    result = classify_column("mobile", ["unknown", "n/a", "ask the branch"])

    assert result.level is ColumnLevel.GENERAL
    assert result.evidence == {}


def test_a_column_with_no_values_is_general_with_no_confidence() -> None:
    result = classify_column("notes", ["", "  "])

    assert result.level is ColumnLevel.GENERAL
    assert (result.sampled, result.confidence) == (0, 0.0)


def test_important_is_never_guessed() -> None:
    every_kind = [*MOBILES, *IDS, *CARDS, "王芳", "a@example.com"]
    for name in ("important", "重要数据", "secret"):
        assert classify_column(name, every_kind).level is not ColumnLevel.IMPORTANT


def test_equal_evidence_goes_to_the_stricter_level() -> None:
    # Half ID numbers, half mobiles: the column protects the IDs.
    result = classify_column("mixed", IDS[:5] + MOBILES[:5])

    assert result.evidence == {DetectorName.RESIDENT_ID_CN: 5, DetectorName.MOBILE_CN: 5}
    assert result.level is ColumnLevel.GENERAL  # 0.5 each, below the threshold
    hinted = classify_column("身份证或手机", IDS[:5] + MOBILES[:5])
    assert hinted.level is ColumnLevel.SENSITIVE_PERSONAL


def test_owner_overrides_are_recorded_with_the_detectors_proposal() -> None:
    proposals = [classify_column("mobile", MOBILES), classify_column("region_code", ["31", "44"])]

    decided = apply_overrides(proposals, {"mobile": "personal", "region_code": "important"})

    mobile, region = decided
    assert (mobile.level, mobile.detected_level) == (ColumnLevel.PERSONAL, ColumnLevel.IDENTIFIER)
    assert mobile.decided_by is DecidedBy.OWNER
    assert mobile.downgraded
    assert (region.level, region.decided_by) == (ColumnLevel.IMPORTANT, DecidedBy.OWNER)
    assert not region.downgraded


def test_confirming_a_proposal_records_the_owner_as_the_decider() -> None:
    proposals = [classify_column("mobile", MOBILES), classify_column("note", ["hello"])]

    decided = apply_overrides(proposals, {"mobile": "Identifier"})

    assert decided[0].level is ColumnLevel.IDENTIFIER
    assert decided[0].decided_by is DecidedBy.OWNER
    assert decided[1] == proposals[1]


def test_an_override_for_an_unknown_column_names_the_columns_there_are() -> None:
    proposals = [classify_column("mobile", MOBILES), classify_column("name", ["王芳"])]

    with pytest.raises(UnknownColumn) as caught:
        apply_overrides(proposals, {"name": "personal", "mobil": "identifier"})

    assert str(caught.value) == (
        "the table has no column named 'mobil' to classify: use one of mobile, name"
    )


def test_an_unknown_level_is_rejected_listing_the_levels() -> None:
    proposals = [classify_column("mobile", MOBILES)]

    with pytest.raises(UnknownLevel, match="'secret' is not a classification level") as caught:
        apply_overrides(proposals, {"mobile": "secret"})

    assert caught.value.message.endswith(
        "use one of identifier, personal, sensitive_personal, important, general"
    )


def test_classify_arguments_are_parsed_at_the_last_equals_sign() -> None:
    assert parse_overrides(["mobile=identifier", "a=b=sensitive-personal"]) == {
        "mobile": "identifier",
        "a=b": "sensitive-personal",
    }


@pytest.mark.parametrize("text", ["mobile", "=identifier", "mobile="])
def test_a_classify_argument_without_column_and_level_is_rejected(text: str) -> None:
    with pytest.raises(MalformedOverride, match="write it as COLUMN=LEVEL"):
        parse_overrides([text])


def test_the_same_column_classified_two_ways_is_rejected() -> None:
    with pytest.raises(MalformedOverride, match="column 'mobile' is classified twice"):
        parse_overrides(["mobile=identifier", "mobile=general"])
