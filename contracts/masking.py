"""Debug sample rules: how many rows a debug run sees and how each column is masked.

A debug run executes the same code in the same sandbox but on a masked sample,
and its outputs come straight back to the scientist, so masking is the only
thing between the scientist and the raw values.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, model_validator

from contracts.datasets import Classification
from contracts.names import ColumnRef, NonNegativeInt, PositiveInt, Text
from contracts.section import Section


class MaskingMethod(StrEnum):
    KEEP = "keep"  # unchanged: allowed for general columns only
    REDACT = "redact"
    SALTED_HASH = "salted_hash"  # salt is per job and never leaves the sandbox
    TRUNCATE = "truncate"
    GENERALISE = "generalise"
    SHUFFLE = "shuffle"  # real values, permuted across rows: breaks row linkage
    FAKE = "fake"


class Keep(Section):
    method: Literal["keep"] = "keep"


class Redact(Section):
    method: Literal["redact"] = "redact"


class SaltedHash(Section):
    method: Literal["salted_hash"] = "salted_hash"
    length: Annotated[int, Field(strict=True, ge=8, le=64)] = Field(
        default=16, description="Hex characters of the digest kept."
    )


class Truncate(Section):
    method: Literal["truncate"] = "truncate"
    keep: NonNegativeInt = Field(description="Leading characters kept; the rest is dropped.")


class DatePrecision(StrEnum):
    YEAR = "year"
    MONTH = "month"


class Generalise(Section):
    """Dates to a coarser precision, or numbers to buckets: exactly one of the two."""

    method: Literal["generalise"] = "generalise"
    date_to: DatePrecision | None = None
    bucket_width: PositiveInt | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Generalise:
        if (self.date_to is None) == (self.bucket_width is None):
            raise ValueError("generalise needs exactly one of date_to or bucket_width")
        return self


class Shuffle(Section):
    method: Literal["shuffle"] = "shuffle"


class Fake(Section):
    method: Literal["fake"] = "fake"
    provider: Text | None = Field(
        default=None, description="Faker provider (name, phone_number, ...); inferred if absent."
    )


Masking = Annotated[
    Keep | Redact | SaltedHash | Truncate | Generalise | Shuffle | Fake,
    Field(discriminator="method"),
]

#: What an unlisted column gets: the strongest masking that keeps the column usable.
DEFAULT_MASKING: dict[Classification, MaskingMethod] = {
    Classification.IDENTIFIER: MaskingMethod.SALTED_HASH,
    Classification.PERSONAL: MaskingMethod.FAKE,
    Classification.SENSITIVE_PERSONAL: MaskingMethod.REDACT,
    Classification.IMPORTANT: MaskingMethod.REDACT,
    Classification.GENERAL: MaskingMethod.KEEP,
}

MAX_SAMPLE_ROWS = 10_000


def _shorthand(value: Any) -> Any:
    # ``name: fake`` is the same as ``name: {method: fake}``.
    return {"method": value} if isinstance(value, str) else value


#: A masking rule as written: a full mapping, or just the method's name.
MaskingRule = Annotated[
    Masking, BeforeValidator(_shorthand, json_schema_input_type=MaskingMethod | Masking)
]


class DebugSample(Section):
    rows: Annotated[int, Field(strict=True, gt=0, le=MAX_SAMPLE_ROWS)] = 100
    masking: dict[ColumnRef, MaskingRule] = Field(
        default_factory=dict,
        description=(
            "Masking per column (``dataset.column``); a bare method name is shorthand. "
            "Unlisted columns get the default for their classification."
        ),
    )


def default_masking(classification: Classification) -> Keep | Redact | SaltedHash | Fake:
    method = DEFAULT_MASKING[classification]
    if method is MaskingMethod.SALTED_HASH:
        return SaltedHash()
    if method is MaskingMethod.FAKE:
        return Fake()
    if method is MaskingMethod.REDACT:
        return Redact()
    return Keep()
