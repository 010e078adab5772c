"""The masked debug sample: real shape, no real personal values.

A debug run executes the scientist's code in the same sandbox, on this sample
instead of the data, and its outputs go straight back (DESIGN.md, story 1), so
the sample is all that stands between the scientist and the records. It keeps
what code depends on (the schema and dtypes, roughly the null rates, every
category of a low-cardinality column) and masks values per the contract's
``debug_sample`` rules.

Whatever the rules say, a column that is not ``general`` never appears in clear:
``keep`` and ``shuffle`` (which shows real values, only in other rows) are
raised to the classification's default. As a last line, any string in the
sample that equals a protected value of the sampled rows is replaced, which
catches a truncation that kept a whole value or a fake that hit a real one.

Deterministic: the same table, rules and ``seed`` give the same sample, so it is
made once per dataset version and contract, and stored encrypted by the caller.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from faker import Faker

from contracts import Classification, Contract, MaskingMethod, masking_for
from contracts.masking import (
    DatePrecision,
    Fake,
    Generalise,
    Keep,
    Masking,
    Redact,
    SaltedHash,
    Shuffle,
    Truncate,
    default_masking,
)
from jobs.categories import CATEGORY_LIMIT, decoded, distinct_up_to
from jobs.errors import SampleRulesMismatch

REDACTED = "[redacted]"
# Classifications whose values may not appear even in a general column; None is a
# column the contract does not classify.
_STRICT = frozenset({Classification.IDENTIFIER, Classification.SENSITIVE_PERSONAL, None})
FAKER_LOCALE = "zh_CN"
_MIN_SEED_BYTES = 16

# Providers guessed from a column's name when the rule names none (Faker zh_CN).
_PROVIDER_BY_NAME: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"mobile|phone|tel|手机|电话", re.IGNORECASE), "phone_number"),
    (re.compile(r"e_?mail|邮箱|电子邮件", re.IGNORECASE), "email"),
    (re.compile(r"id_?(card|number|no)|ric|ssn|身份证", re.IGNORECASE), "ssn"),
    (re.compile(r"address|addr|地址|住址", re.IGNORECASE), "address"),
    (re.compile(r"company|employer|公司|单位", re.IGNORECASE), "company"),
    (re.compile(r"city|城市", re.IGNORECASE), "city"),
    (re.compile(r"name|姓名|名字", re.IGNORECASE), "name"),
)


@dataclass(frozen=True)
class MaskedSample:
    dataset: str
    table: pa.Table
    methods: dict[str, MaskingMethod]  # column -> masking applied
    notes: tuple[str, ...]  # where the rules were strengthened, for the owner to read


def masked_sample(
    contract: Contract, dataset: str, table: pa.Table, *, seed: bytes
) -> MaskedSample:
    """The debug sample of ``dataset`` (its full ``table``) under ``contract``'s rules."""
    if len(seed) < _MIN_SEED_BYTES:
        raise ValueError("the sample seed must be at least 16 random bytes")
    declared = contract.dataset(dataset)
    if declared is None:
        raise SampleRulesMismatch(
            f"{contract.ref} names no dataset {dataset}, so it has no sample rules for it: "
            "sample a dataset the contract lists."
        )
    rng = np.random.default_rng(int.from_bytes(_derive(seed, "rows")[:8], "big"))
    rows = choose_rows(table, contract.debug_sample.rows, rng)
    picked = table.take(pa.array(rows, type=pa.int64()))
    notes: list[str] = []
    methods: dict[str, MaskingMethod] = {}
    # Values that may not appear in the sample: every protected value of the sampled
    # rows in the masked columns; in the general columns (kept in clear by contract)
    # only identifiers and sensitive values, so a shared category (a home town that is
    # also a store city) does not vanish from a general column.
    protected_values: set[str] = set()
    strict_values: set[str] = set()
    arrays = []
    for field in table.schema:
        column = declared.column(field.name)
        classification = column.classification if column is not None else None
        masking = _effective_masking(contract, dataset, field.name, classification, notes)
        methods[field.name] = MaskingMethod(masking.method)
        values = decoded(picked.column(field.name)).to_pylist()
        if classification is not Classification.GENERAL:
            texts = {v for v in values if isinstance(v, str) and v}
            protected_values |= texts
            if classification in _STRICT:
                strict_values |= texts
        masker = _Masker(seed, f"{dataset}.{field.name}", field.name)
        arrays.append((field, masker.apply(masking, values, _plain_type(field.type))))
    scrubbed = []
    for field, values in arrays:
        column = declared.column(field.name)
        general = column is not None and column.classification is Classification.GENERAL
        forbidden = strict_values if general else protected_values
        scrubbed.append(_rebuild(field, _scrub(values, forbidden, field)))
    masked = pa.Table.from_arrays(scrubbed, schema=table.schema)
    return MaskedSample(dataset, masked, methods, tuple(notes))


def choose_rows(table: pa.Table, wanted: int, rng: np.random.Generator) -> list[int]:
    """Row positions: first one row per category of every low-cardinality column (so
    code grouping by it meets every group), then random rows, ``wanted`` in all."""
    total = table.num_rows
    count = min(wanted, total)
    order = rng.permutation(total)
    chosen: dict[int, None] = {}
    for name in table.column_names:
        column = decoded(table.column(name))
        if distinct_up_to(column, min(CATEGORY_LIMIT, count), count_nulls=True) is None:
            if column.null_count:  # code must meet a null in every column that has them
                nulls = pc.is_null(column.take(order)).to_numpy(zero_copy_only=False)
                chosen.setdefault(int(order[int(np.argmax(nulls))]), None)
            continue
        in_order = column.take(order).to_pandas()
        for position in in_order.drop_duplicates().index:
            chosen.setdefault(int(order[position]), None)
    for row in order:
        if len(chosen) >= count:
            break
        chosen.setdefault(int(row), None)
    return sorted(list(chosen)[:count])


def _effective_masking(
    contract: Contract,
    dataset: str,
    column: str,
    classification: Classification | None,
    notes: list[str],
) -> Masking:
    ref = f"{dataset}.{column}"
    if classification is None:
        notes.append(f"{ref} is not classified in {contract.ref}; it is redacted.")
        return Redact()
    masking = masking_for(contract, ref)
    if classification is not Classification.GENERAL and isinstance(masking, Keep | Shuffle):
        stronger = default_masking(classification)
        notes.append(
            f"{ref} is {classification.value}, so it may not appear in clear: "
            f"{masking.method} was raised to {stronger.method}."
        )
        return stronger
    return masking


def _derive(seed: bytes, label: str) -> bytes:
    return hmac.new(seed, label.encode("utf-8"), hashlib.sha256).digest()


def _plain_type(data_type: pa.DataType) -> pa.DataType:
    return data_type.value_type if pa.types.is_dictionary(data_type) else data_type


def _rebuild(field: pa.Field[Any], values: list[Any]) -> pa.Array[Any]:
    return pa.array(values, type=_plain_type(field.type)).cast(field.type)


def _scrub(values: list[Any], protected: set[str], field: pa.Field[Any]) -> list[Any]:
    if not pa.types.is_string(_plain_type(field.type)) and not pa.types.is_large_string(
        _plain_type(field.type)
    ):
        return values
    return [REDACTED if isinstance(v, str) and v in protected else v for v in values]


class _Masker:
    """Masks one column's sampled values; every random choice derives from the seed."""

    def __init__(self, seed: bytes, ref: str, name: str) -> None:
        self.ref = ref
        self.name = name
        # One salt for every column: a customer id hashes alike in every dataset, so
        # code that joins datasets on it finds its matches in the sample too.
        self.salt = _derive(seed, "salt")
        self.rng = np.random.default_rng(int.from_bytes(_derive(seed, f"rng:{ref}")[:8], "big"))
        self.faker_seed = int.from_bytes(_derive(seed, f"faker:{ref}")[:8], "big")

    def apply(self, masking: Masking, values: list[Any], data_type: pa.DataType) -> list[Any]:
        if isinstance(masking, Keep):
            return values
        if isinstance(masking, Redact):
            return self.redact(values, data_type)
        if isinstance(masking, SaltedHash):
            return self.hashed(values, data_type, masking.length)
        if isinstance(masking, Truncate):
            if not _is_text(data_type):
                return self.redact(values, data_type)
            return [None if v is None else v[: masking.keep] for v in values]
        if isinstance(masking, Generalise):
            return self.generalised(masking, values, data_type)
        if isinstance(masking, Shuffle):
            return self.shuffled(values)
        return self.faked(masking, values, data_type)

    def redact(self, values: list[Any], data_type: pa.DataType) -> list[Any]:
        blank = _blank(data_type)
        # A type with no neutral value loses its values to nulls rather than keep them.
        return [None if v is None else blank for v in values]

    def hashed(self, values: list[Any], data_type: pa.DataType, length: int) -> list[Any]:
        def digest(value: Any) -> bytes:
            return hmac.new(self.salt, str(value).encode("utf-8"), hashlib.sha256).digest()

        if _is_text(data_type):
            return [None if v is None else digest(v).hex()[:length] for v in values]
        if pa.types.is_integer(data_type):
            bits = data_type.bit_width - (1 if pa.types.is_signed_integer(data_type) else 0)
            return [
                None if v is None else int.from_bytes(digest(v), "big") % (1 << bits)
                for v in values
            ]
        return self.redact(values, data_type)

    def generalised(self, rule: Generalise, values: list[Any], data_type: pa.DataType) -> list[Any]:
        if rule.date_to is not None and (
            pa.types.is_date(data_type) or pa.types.is_timestamp(data_type)
        ):
            return [None if v is None else _coarser_date(v, rule.date_to) for v in values]
        if rule.bucket_width is not None and _is_number(data_type):
            width = rule.bucket_width
            return [None if v is None else _bucket(v, width) for v in values]
        return self.redact(values, data_type)

    def shuffled(self, values: list[Any]) -> list[Any]:
        # Values move between the rows that have one: null positions stay put.
        positions = [i for i, v in enumerate(values) if v is not None]
        permuted = self.rng.permutation(len(positions))
        result = list(values)
        for target, source in zip(positions, permuted, strict=True):
            result[target] = values[positions[int(source)]]
        return result

    def faked(self, rule: Fake, values: list[Any], data_type: pa.DataType) -> list[Any]:
        if not _is_text(data_type):
            return self.hashed(values, data_type, SaltedHash().length)
        make = self._provider(rule.provider)
        faker_for: dict[Any, str] = {}
        # One fake per distinct value, so the sample keeps the column's category count.
        for value in sorted({v for v in values if v is not None}, key=str):
            faker_for[value] = str(make())
        return [None if v is None else faker_for[v] for v in values]

    def _provider(self, named: str | None) -> Callable[[], Any]:
        faker = Faker(FAKER_LOCALE)
        faker.seed_instance(self.faker_seed)
        provider = named or _guess_provider(self.name)
        make = getattr(faker, provider, None)
        if not callable(make):
            raise SampleRulesMismatch(
                f"The sample rule for {self.ref} names the Faker provider {provider!r}, which "
                "does not exist: use one such as name, phone_number, email, ssn or address."
            )
        return make  # type: ignore[no-any-return]


def _guess_provider(column: str) -> str:
    for pattern, provider in _PROVIDER_BY_NAME:
        if pattern.search(column):
            return provider
    return "pystr"


def _is_text(data_type: pa.DataType) -> bool:
    return pa.types.is_string(data_type) or pa.types.is_large_string(data_type)


def _is_number(data_type: pa.DataType) -> bool:
    return (
        pa.types.is_integer(data_type)
        or pa.types.is_floating(data_type)
        or pa.types.is_decimal(data_type)
    )


def _blank(data_type: pa.DataType) -> Any:
    if _is_text(data_type):
        return REDACTED
    if pa.types.is_boolean(data_type):
        return False
    if pa.types.is_integer(data_type):
        return 0
    if pa.types.is_floating(data_type):
        return 0.0
    if pa.types.is_decimal(data_type):
        return Decimal(0)
    if pa.types.is_date(data_type):
        return dt.date(1970, 1, 1)
    if pa.types.is_timestamp(data_type):
        tz = dt.UTC if data_type.tz else None
        return dt.datetime(1970, 1, 1, tzinfo=tz)
    return None


def _coarser_date(value: dt.date, precision: DatePrecision) -> dt.date:
    month = 1 if precision is DatePrecision.YEAR else value.month
    if isinstance(value, dt.datetime):
        return value.replace(month=month, day=1, hour=0, minute=0, second=0, microsecond=0)
    return value.replace(month=month, day=1)


def _bucket(value: float | int | Decimal, width: int) -> float | int | Decimal:
    if isinstance(value, int):
        return (value // width) * width
    if isinstance(value, Decimal):
        return (value // width) * width
    return float((value // width) * width)
