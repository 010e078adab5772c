"""Does one value look like a mobile number, a resident ID, a card number, ...?

Each predicate looks at one value as text and nothing else; ``classify`` turns the
share of matching values in a column into a level and a confidence. Predicates that
have a checksum verify it, so a column of random digits is not mistaken for IDs.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from enum import StrEnum

import phonenumbers
from stdnum import luhn

from jobs import is_resident_id
from sealroom.datasets.surnames import COMPOUND_SURNAMES, SINGLE_SURNAMES


class DetectorName(StrEnum):
    MOBILE_CN = "mobile_cn"
    RESIDENT_ID_CN = "resident_id_cn"
    BANK_CARD = "bank_card"
    EMAIL = "email"
    PERSON_NAME_ZH = "person_name_zh"
    ADDRESS_ZH = "address_zh"
    BIRTH_DATE = "birth_date"


# People write numbers with spaces, hyphens and brackets: 138-1234-5678, (+86) 138 ...
_SEPARATORS = re.compile(r"[\s\-()\uff08\uff09]")  # and full-width brackets
# Digits are ASCII on purpose: str.isdigit() and \d also accept full-width and
# other scripts' digits, which no issuer prints on an ID card.
_MOBILE = re.compile(r"(?:\+86|0086|86)?(1[3-9][0-9]{9})")
_CARD = re.compile(r"[1-9][0-9]{15,18}")
_EMAIL = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
)
_HAN_NAME = re.compile(r"[\u4e00-\u9fff]{2,4}")
# A two-to-four character string ending like a place or an organisation is not a
# person, whatever its first character: 周口市, 武汉路, 高新区.
_NOT_A_NAME_ENDING = (*"市省区县镇乡村路街道号州", "公司", "银行", "集团")
_HAN = re.compile(r"[\u4e00-\u9fff]")
_ADMIN_MARKER = re.compile(r"省|自治区|特别行政区|市|区|县|旗|盟|州")
_STREET_MARKER = re.compile(r"路|街|道|巷|弄|胡同|号|栋|幢|单元|室|座|楼|村|组|小区|大厦|花园|公寓")
_DATE_FORMS = (
    re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})(?:[ T]00:00(?::00)?)?"),
    re.compile(r"([0-9]{4})/([0-9]{1,2})/([0-9]{1,2})"),
    re.compile(r"([0-9]{4})\.([0-9]{1,2})\.([0-9]{1,2})"),
    re.compile(r"([0-9]{4})([0-9]{2})([0-9]{2})"),
    re.compile(r"([0-9]{4})年([0-9]{1,2})月([0-9]{1,2})日?"),
)
# No clock in pure code: "plausible" is a fixed window wide enough for any living
# person and any record that will be registered in this system's lifetime.
_FIRST_BIRTH_YEAR = 1900
_LAST_BIRTH_YEAR = 2099


def compact_number(value: str) -> str:
    """The value without separators, and without the ``.0`` a float column appends."""
    compact = _SEPARATORS.sub("", value)
    # Spreadsheets and pandas turn an integer column with a gap into floats, so a
    # mobile number arrives as "13812345678.0".
    if compact.endswith(".0") and compact[:-2].isascii() and compact[:-2].isdigit():
        compact = compact[:-2]
    return compact


def is_mobile_cn(value: str) -> bool:
    """A mainland China mobile number, with or without +86, valid per libphonenumber."""
    match = _MOBILE.fullmatch(compact_number(value))
    if match is None:
        return False
    number = phonenumbers.parse("+86" + match.group(1), None)
    kinds = (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)
    return bool(phonenumbers.is_valid_number(number)) and phonenumbers.number_type(number) in kinds


def is_resident_id_cn(value: str) -> bool:
    """An 18-digit resident ID (居民身份证号码) whose check digit, birth date and province hold."""
    # Checked on its province, never its county: issuing offices postdate many births.
    return is_resident_id(compact_number(value).upper())


def is_bank_card(value: str) -> bool:
    """A 16-19 digit card number passing Luhn that is not a mobile number or resident ID.

    One random 16-digit number in ten passes Luhn, which is why ``classify`` decides on
    the share of a column that matches, not on single values.
    """
    compact = compact_number(value)
    if _CARD.fullmatch(compact) is None or len(set(compact)) == 1:
        return False
    return bool(luhn.is_valid(compact)) and not is_resident_id_cn(compact)


def is_email(value: str) -> bool:
    return len(value) <= 254 and _EMAIL.fullmatch(value.strip()) is not None


def is_person_name_zh(value: str) -> bool:
    """Two to four Han characters starting with a common surname: 王芳, 欧阳娜娜."""
    name = value.strip()
    if _HAN_NAME.fullmatch(name) is None or name.endswith(_NOT_A_NAME_ENDING):
        return False
    if name[:2] in COMPOUND_SURNAMES:
        return len(name) >= 3
    return name[0] in SINGLE_SURNAMES


def is_address_zh(value: str) -> bool:
    """A Chinese postal address: an administrative unit and a street-level part.

    A bare city or district (上海市, 朝阳区) is not an address: it is shared by
    millions of people and is general data unless combined with more.
    """
    text = value.strip()
    if len(text) > 200 or len(_HAN.findall(text)) < 5:
        return False
    admin = _ADMIN_MARKER.search(text)
    return admin is not None and _STREET_MARKER.search(text, admin.end()) is not None


def is_plausible_birth_date(value: str) -> bool:
    """A calendar date between 1900 and 2099 in a common written form."""
    text = value.strip()
    for form in _DATE_FORMS:
        match = form.fullmatch(text)
        if match is None:
            continue
        year, month, day = (int(part) for part in match.groups())
        try:
            dt.date(year, month, day)
        except ValueError:
            return False
        return _FIRST_BIRTH_YEAR <= year <= _LAST_BIRTH_YEAR
    return False


def header_tokens(column_name: str) -> list[str]:
    """The ASCII words of a column name: ``customerIdNumber`` -> customer, id, number."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", column_name)
    return [token for token in re.split(r"[^0-9a-z]+", spaced.lower()) if token]


def header_mentions(column_name: str, hints: Sequence[str]) -> bool:
    """Whether the column name carries one of the hints.

    An ASCII hint is a run of whole words (``id_number`` matches ``customer_id_number``
    but ``tel`` does not match ``hotel``); a Chinese hint is a substring (身份证 in
    客户身份证号), since Chinese names have no word separators.
    """
    tokens = header_tokens(column_name)
    for hint in hints:
        if not hint.isascii():
            if hint in column_name:
                return True
            continue
        wanted = header_tokens(hint)
        width = len(wanted)
        if any(tokens[i : i + width] == wanted for i in range(len(tokens) - width + 1)):
            return True
    return False
