"""Dataset and column names in any script, each with exactly one spelling."""

from __future__ import annotations

import pytest
from pydantic import TypeAdapter, ValidationError

from contracts import ContractInvalid, load_contract
from contracts.names import ColumnName, ColumnRef, DatasetName
from tests.unit.contracts.conftest import replace_once

COLUMN = TypeAdapter(ColumnName)
DATASET = TypeAdapter(DatasetName)
REF = TypeAdapter(ColumnRef)


@pytest.mark.parametrize(
    "name", ["客户编号", "手机号", "消费金额", "城市", "spend_cny", "_private", "年龄_2024", "วันที่"]
)
def test_chinese_and_other_scripts_name_columns(name: str) -> None:
    assert COLUMN.validate_python(name) == name


@pytest.mark.parametrize("name", ["客户_2024", "customers_2024", "customer-insights", "2024_订单"])
def test_dataset_names_take_underscores_hyphens_and_cjk(name: str) -> None:
    assert DATASET.validate_python(name) == name


def test_a_reference_joins_a_chinese_dataset_and_column() -> None:
    assert REF.validate_python("客户_2024.手机号") == "客户_2024.手机号"


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("手\u200b机号", "ZERO WIDTH SPACE"),
        ("手\u200d机号", "ZERO WIDTH JOINER"),
        ("\u202e号机手", "RIGHT-TO-LEFT OVERRIDE"),
        ("手机\u2066号", "LEFT-TO-RIGHT ISOLATE"),
        ("手机\x1b[31m号", r"U\+001B a Cc character"),
        ("手机\t号", r"U\+0009 a Cc character"),
        ("手机 号", "SPACE"),
        ("手机\u3000号", "IDEOGRAPHIC SPACE"),
        ("\ufeff手机号", "ZERO WIDTH NO-BREAK SPACE"),
        ("mobile.no", "FULL STOP"),
    ],
)
def test_invisible_control_and_spacing_characters_are_refused(name: str, why: str) -> None:
    with pytest.raises(ValidationError, match=why):
        COLUMN.validate_python(name)
    with pytest.raises(ValidationError, match=why):
        DATASET.validate_python(name)


@pytest.mark.parametrize(
    "name",
    [
        "".join(chr(ord(c) + 0xFEE0) for c in "mobile"),  # full-width Latin
        "mobile\uff12",  # full-width 2
        "\ufb01le",  # the fi ligature
        "客户\uff49\uff44",  # full-width id
    ],
)
def test_full_width_and_compatibility_spellings_are_refused(name: str) -> None:
    with pytest.raises(ValidationError, match="compatibility characters"):
        COLUMN.validate_python(name)


@pytest.mark.parametrize(
    "name",
    ["mobil\u0435", "\u0441ity", "spend_\u03bdalue"],  # Cyrillic e, Cyrillic es, Greek nu
)
def test_latin_mixed_with_look_alike_cyrillic_or_greek_is_refused(name: str) -> None:
    with pytest.raises(ValidationError, match="letters, which look alike"):
        COLUMN.validate_python(name)
    with pytest.raises(ValidationError, match="letters, which look alike"):
        DATASET.validate_python(name)


def test_one_script_or_latin_beside_han_is_a_name() -> None:
    for name in ("\u0433\u043e\u0440\u043e\u0434", "\u03c0\u03cc\u03bb\u03b7", "客户id"):
        assert COLUMN.validate_python(name) == name


def test_a_decomposed_spelling_is_not_a_second_name() -> None:
    decomposed = "cafe\u0301"  # e + combining acute, reads as café
    with pytest.raises(ValidationError, match="NFC"):
        COLUMN.validate_python(decomposed)
    assert COLUMN.validate_python("caf\u00e9") == "caf\u00e9"


def test_upper_case_dataset_names_are_refused_so_case_never_makes_two() -> None:
    with pytest.raises(ValidationError, match="upper-case"):
        DATASET.validate_python("Customers")


@pytest.mark.parametrize("name", ["", "1st", "-x", "客" * 129])
def test_empty_digit_first_or_overlong_column_names_are_refused(name: str) -> None:
    with pytest.raises(ValidationError):
        COLUMN.validate_python(name)


def test_a_dataset_name_fits_one_file_name_whatever_its_script() -> None:
    assert DATASET.validate_python("客" * 63)
    with pytest.raises(ValidationError):
        DATASET.validate_python("客" * 64)
    with pytest.raises(ValidationError, match="bytes"):
        DATASET.validate_python("\U00020000" * 60)  # 4 bytes each in UTF-8


def test_a_contract_names_chinese_columns(example_text: str) -> None:
    text = replace_once("- name: mobile\n", "- name: 手机号\n")(example_text)
    text = text.replace("customers.mobile", "customers.手机号")
    contract = load_contract(text, "chinese.yaml")
    assert "手机号" in [c.name for d in contract.datasets for c in d.columns]


def test_a_contract_with_a_zero_width_column_name_is_refused(example_text: str) -> None:
    text = replace_once("- name: mobile\n", "- name: mob\u200bile\n")(example_text)
    with pytest.raises(ContractInvalid, match="ZERO WIDTH SPACE"):
        load_contract(text, "hidden.yaml")
