"""The legal basis on which results leave the country, and where jobs may run."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import Field, StringConstraints

from contracts.names import CountryCode
from contracts.section import Section


class LegalBasis(StrEnum):
    """The path under the 2024 cross-border data rules that a release relies on."""

    # Aggregates that pass the output checks contain no personal information.
    EXEMPT_NO_PERSONAL_INFORMATION = "exempt_no_personal_information"
    EXEMPT_BELOW_THRESHOLD = "exempt_below_threshold"  # under 100,000 people, none sensitive
    STANDARD_CONTRACT = "standard_contract"  # CAC standard contract, filed
    CERTIFICATION = "certification"  # personal information protection certification
    SECURITY_ASSESSMENT = "security_assessment"  # CAC security assessment (important data)


ApprovalNumber = Annotated[str, StringConstraints(strict=True, strip_whitespace=True, min_length=3)]


class ExportRules(Section):
    legal_basis: LegalBasis
    security_assessment_approval: ApprovalNumber | None = Field(
        default=None,
        description="CAC approval number; required when the basis is a security assessment.",
    )
    destination_countries: tuple[CountryCode, ...] = Field(
        default=(), description="Where recipients receive results (ISO 3166-1 alpha-2)."
    )


LabelKey = Annotated[str, StringConstraints(strict=True, pattern=r"^[A-Za-z0-9_./-]{1,63}$")]
LabelValue = Annotated[str, StringConstraints(strict=True, max_length=63)]


class Placement(Section):
    # Jobs read the raw data, so they must run where the data may be: usually CN only.
    jurisdictions: Annotated[tuple[CountryCode, ...], Field(min_length=1)]
    node_labels: dict[LabelKey, LabelValue] = Field(
        default_factory=dict, description="Labels a worker node must carry to run these jobs."
    )
