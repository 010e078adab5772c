"""Who reviews what: code review and the k-of-n quorum per class of output."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import Field, StrictBool

from contracts.names import PartyName, PositiveInt
from contracts.section import Section


class OutputClass(StrEnum):
    """What kind of result is up for release; each may have its own quorum."""

    TABLE = "table"  # tabular results of a script job
    FILE = "file"  # any other file a script job writes (plots, models)
    PSI_CARDINALITY = "psi_cardinality"
    PSI_INTERSECTION = "psi_intersection"
    AGGREGATE = "aggregate"  # psi_sum and he_aggregate totals


class QuorumRule(Section):
    reviewers: Annotated[tuple[PartyName, ...], Field(min_length=1)] = Field(
        description="The n parties who may review."
    )
    required: PositiveInt = Field(description="k: how many of them must approve.")


class ReviewRules(Section):
    code_review_required: StrictBool = Field(
        description="Whether a script's code hash must be approved before a real run."
    )
    default: QuorumRule = Field(description="Quorum for output classes not listed below.")
    by_output_class: dict[OutputClass, QuorumRule] = Field(default_factory=dict)

    def quorum_for(self, output_class: OutputClass) -> QuorumRule:
        return self.by_output_class.get(output_class, self.default)
