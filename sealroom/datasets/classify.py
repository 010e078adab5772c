"""Which classification level each column of an upload gets, and how sure we are.

For each column, every detector counts how many sampled values it recognises; the
share that matches, raised a little when the column's name says the same thing,
is the confidence. The most confident detector at or above the threshold decides
the level; with none, the column is ``general``. The owner then confirms or
overrides each column (``apply_overrides``) and both decisions are kept.

Pure: no files, no clock. See docs/classification.md for the reasoning in prose.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from sealroom.datasets import detectors
from sealroom.datasets.detectors import DetectorName, header_mentions
from sealroom.datasets.errors import MalformedOverride, UnknownColumn, UnknownLevel
from sealroom.datasets.levels import LEVEL_NAMES, ColumnLevel, strictness
from sealroom.datasets.profile import TableProfile

# A column is classified when at least this share of its sampled values match.
# Below it, stray matches are noise: one random 16-digit number in ten passes Luhn.
DETECTION_THRESHOLD = 0.6
# How much a telling column name (手机, id_number, 邮箱...) adds to the share: enough
# to carry a column where a third of the values are malformed, never enough to
# classify a column on its name alone (a hint counts only when some values match).
HEADER_HINT_BONUS = 0.15


class DecidedBy(StrEnum):
    DETECTOR = "detector"
    OWNER = "owner"


@dataclass(frozen=True)
class Detector:
    name: DetectorName
    level: ColumnLevel
    matches: Callable[[str], bool]
    header_hints: tuple[str, ...]
    # Some values are only personal because of what the column says they are: a
    # date is a birth date only in a birth-date column.
    needs_header_hint: bool = False


def _hints(words: str) -> tuple[str, ...]:
    return tuple(words.split())


# The level each detector assigns, and why. "Annex A/B" are the informative annexes
# of GB/T 35273-2020 (Information security technology, personal information security
# specification): Annex A lists examples of personal information, Annex B of
# sensitive personal information. PIPL is the Personal Information Protection Law.
DETECTORS: tuple[Detector, ...] = (
    # Resident ID number: PIPL art. 28 names "specific identities" as sensitive, and
    # Annex B (个人身份信息: 身份证...) lists the ID card number as sensitive.
    Detector(
        DetectorName.RESIDENT_ID_CN,
        ColumnLevel.SENSITIVE_PERSONAL,
        detectors.is_resident_id_cn,
        _hints("id_number id_no id_card idcard idno national_id citizen_id sfzh 身份证 证件号"),
    ),
    # Bank card number: PIPL art. 28 names "financial accounts" as sensitive, and
    # Annex B (个人财产信息: 银行账户...) lists bank accounts as sensitive.
    Detector(
        DetectorName.BANK_CARD,
        ColumnLevel.SENSITIVE_PERSONAL,
        detectors.is_bank_card,
        _hints("card card_no card_number bank_card account acct pan 银行卡 卡号 账号 帐号 账户"),
    ),
    # Mobile number: personal information (Annex A, 个人基本资料: 个人电话号码) that
    # on its own reaches and singles out one person, a direct identifier in the sense
    # of GB/T 37964-2019 (de-identification guide); it is also the usual PSI join key.
    Detector(
        DetectorName.MOBILE_CN,
        ColumnLevel.IDENTIFIER,
        detectors.is_mobile_cn,
        _hints("phone mobile cell cellphone tel telephone msisdn 手机 电话 联系方式"),
    ),
    # E-mail address: Annex A (个人基本资料: 电子邮件地址); a direct identifier for
    # the same reason as a mobile number.
    Detector(
        DetectorName.EMAIL,
        ColumnLevel.IDENTIFIER,
        detectors.is_email,
        _hints("email e_mail mail 邮箱 电子邮件 邮件"),
    ),
    # Personal name: Annex A (个人基本资料: 个人姓名); personal, not sensitive.
    Detector(
        DetectorName.PERSON_NAME_ZH,
        ColumnLevel.PERSONAL,
        detectors.is_person_name_zh,
        _hints("name full_name customer_name 姓名 名字 客户名 联系人"),
    ),
    # Home address: Annex A (个人基本资料: 住址); personal. A precise location would
    # be sensitive under Annex B (精准定位信息), but a postal address is not a
    # location track, so personal is the level the annexes give it.
    Detector(
        DetectorName.ADDRESS_ZH,
        ColumnLevel.PERSONAL,
        detectors.is_address_zh,
        _hints("address addr street 地址 住址 居住地"),
    ),
    # Date of birth: Annex A (个人基本资料: 生日); personal. It becomes sensitive
    # only with other facts (PIPL art. 28: minors under 14), which the owner sees.
    Detector(
        DetectorName.BIRTH_DATE,
        ColumnLevel.PERSONAL,
        detectors.is_plausible_birth_date,
        _hints("birth birthday birthdate birth_date dob born 出生 生日"),
        needs_header_hint=True,
    ),
)
# ``important`` (Data Security Law art. 21) is deliberately absent: important data is
# defined by sector catalogues and the authorities' notices, not by what its values
# look like, so only the owner assigns it, through an override.


@dataclass(frozen=True)
class ColumnClassification:
    """The level of one column, who decided it, and the evidence the detectors saw.

    ``detected_level`` keeps what the detectors proposed after the owner overrides
    it, so the record shows both the suggestion and the decision.
    """

    column: str
    level: ColumnLevel
    detector: DetectorName | None
    confidence: float
    matched: int
    sampled: int
    header_hint: bool
    detected_level: ColumnLevel
    decided_by: DecidedBy = DecidedBy.DETECTOR
    # Values each detector recognised, for every detector that recognised any.
    evidence: Mapping[DetectorName, int] = field(default_factory=dict)

    @property
    def downgraded(self) -> bool:
        """The owner chose a less protected level than the detectors proposed."""
        return strictness(self.level) > strictness(self.detected_level)


def classify_column(name: str, samples: Sequence[str]) -> ColumnClassification:
    """The level the detectors propose for one column from a sample of its values."""
    values = [value for value in samples if value.strip()]
    evidence: dict[DetectorName, int] = {}
    best: tuple[float, int, Detector, int, bool] | None = None
    for detector in DETECTORS:
        hinted = header_mentions(name, detector.header_hints)
        if detector.needs_header_hint and not hinted:
            continue
        matched = sum(1 for value in values if detector.matches(value))
        if matched == 0:
            continue
        evidence[detector.name] = matched
        share = matched / len(values)
        confidence = min(1.0, share + (HEADER_HINT_BONUS if hinted else 0.0))
        # Equal confidence goes to the stricter level (lower strictness number).
        candidate = (confidence, -strictness(detector.level), detector, matched, hinted)
        if best is None or candidate[:2] > best[:2]:
            best = candidate
    if best is not None and best[0] >= DETECTION_THRESHOLD:
        confidence, _, detector, matched, hinted = best
        return ColumnClassification(
            column=name,
            level=detector.level,
            detector=detector.name,
            confidence=round(confidence, 3),
            matched=matched,
            sampled=len(values),
            header_hint=hinted,
            detected_level=detector.level,
            evidence=evidence,
        )
    # Nothing recognised: as sure of "general" as the best detector was unsure of
    # its own level, and not sure at all about a column with no values to look at.
    best_confidence = best[0] if best is not None else 0.0
    general_confidence = 1.0 - best_confidence if values else 0.0
    return ColumnClassification(
        column=name,
        level=ColumnLevel.GENERAL,
        detector=None,
        confidence=round(general_confidence, 3),
        matched=0,
        sampled=len(values),
        header_hint=False,
        detected_level=ColumnLevel.GENERAL,
        evidence=evidence,
    )


def classify_table(profile: TableProfile) -> list[ColumnClassification]:
    """One proposal per column, in the table's column order."""
    return [classify_column(column.name, column.samples) for column in profile.columns]


def parse_level(text: str, column: str) -> ColumnLevel:
    """A level from how people type it: ``Sensitive-Personal`` means sensitive_personal."""
    normalised = text.strip().lower().replace("-", "_")
    if normalised not in LEVEL_NAMES:
        raise UnknownLevel(text, column, LEVEL_NAMES)
    return ColumnLevel(normalised)


def parse_overrides(items: Iterable[str]) -> dict[str, str]:
    """``--classify`` arguments (``COLUMN=LEVEL``) as a column -> level mapping.

    Splits at the last ``=`` because levels never contain one and column names may.
    """
    overrides: dict[str, str] = {}
    for item in items:
        column, separator, level = item.rpartition("=")
        column, level = column.strip(), level.strip()
        if not separator or not column or not level:
            raise MalformedOverride.not_an_assignment(item)
        earlier = overrides.get(column)
        if earlier is not None and earlier != level:
            raise MalformedOverride.conflicting(column, earlier, level)
        overrides[column] = level
    return overrides


def apply_overrides(
    classifications: Sequence[ColumnClassification], overrides: Mapping[str, str]
) -> list[ColumnClassification]:
    """The classifications with the owner's decisions applied and marked as the owner's.

    Every override is checked before any is applied, so a typo in one leaves none
    half-applied. Overriding a column with the level it already has still records
    that the owner confirmed it.
    """
    columns = [classification.column for classification in classifications]
    decided: dict[str, ColumnLevel] = {}
    for column, level in overrides.items():
        if column not in columns:
            raise UnknownColumn(column, columns)
        decided[column] = parse_level(level, column)
    return [
        dataclasses.replace(
            classification, level=decided[classification.column], decided_by=DecidedBy.OWNER
        )
        if classification.column in decided
        else classification
        for classification in classifications
    ]
