"""The job kinds a contract allows, each with its own parameters and quota.

A kind that is absent from ``job_kinds`` is not allowed. ``max_runs`` counts
real runs over the contract's whole life; ``None`` means no quota.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import Field

from contracts.names import ColumnRef, PositiveInt
from contracts.parties import Role
from contracts.section import Section


class JobKind(StrEnum):
    SCRIPT = "script"  # Python analysis in the sandbox
    PSI = "psi"  # private set intersection: cardinality or the intersection itself
    PSI_SUM = "psi_sum"  # sum/count/mean of an owner column over the intersection
    HE_AGGREGATE = "he_aggregate"  # homomorphic aggregation across owners


class PsiRevealMode(StrEnum):
    CARDINALITY = "cardinality"  # the partner learns how many of its identifiers match
    INTERSECTION = "intersection"  # the partner learns which of its identifiers match


class PsiEngineKind(StrEnum):
    OPENMINED = "openmined"  # openmined-psi: messages through the API, the light client
    SECRETFLOW = "secretflow"  # spu: RR22/KKRT/ECDH over a direct TLS link, its own env


class SecretflowProtocol(StrEnum):
    RR22 = "rr22"  # fastest (VOLE-based OPRF)
    KKRT = "kkrt"  # OT-extension OPRF
    ECDH = "ecdh"  # Diffie-Hellman on curve 25519, the least traffic-efficient


class Statistic(StrEnum):
    SUM = "sum"
    COUNT = "count"
    MEAN = "mean"


Roles = Annotated[tuple[Role, ...], Field(min_length=1)]
ColumnRefs = Annotated[tuple[ColumnRef, ...], Field(min_length=1)]
Statistics = Annotated[tuple[Statistic, ...], Field(min_length=1)]


class ScriptRules(Section):
    submitters: Roles = Field(
        default=(Role.SCIENTIST,), description="Roles whose holders may submit this kind."
    )
    max_runs: PositiveInt | None = Field(default=None, description="Real runs allowed.")
    max_debug_runs: PositiveInt | None = Field(
        default=None, description="Debug runs (masked sample) allowed."
    )


# The most identifiers a partner may send in one run: it bounds the owner's work and
# memory per run, and a list far beyond any real customer base is a probe. The PSI
# cores refuse more than 2 million per set whatever a contract says.
DEFAULT_PARTNER_SET_CAP = 1_000_000
PartnerSetCap = Annotated[
    int,
    Field(
        gt=0,
        le=2_000_000,
        description="The most identifiers the partner may send in one run (at most 2 million).",
    ),
]


class PsiRules(Section):
    submitters: Roles = (Role.RECIPIENT,)
    reveal: Annotated[tuple[PsiRevealMode, ...], Field(min_length=1)] = Field(
        description="Reveal modes the partner may ask for."
    )
    key_columns: ColumnRefs = Field(
        description="Owner columns matched against the partner's identifiers."
    )
    # Tiny sets turn PSI into a membership query about single people.
    min_partner_set_size: PositiveInt
    min_intersection_size: PositiveInt
    max_partner_set_size: PartnerSetCap = DEFAULT_PARTNER_SET_CAP
    max_runs: PositiveInt | None = None
    engine: PsiEngineKind = Field(
        default=PsiEngineKind.OPENMINED,
        description="The PSI engine both sides run; secretflow allows only the intersection "
        "reveal mode, because spu hands the partner the intersection itself.",
    )
    protocol: SecretflowProtocol | None = Field(
        default=None, description="The secretflow engine's protocol (rr22 when not given)."
    )

    @property
    def secretflow_protocol(self) -> SecretflowProtocol:
        return self.protocol or SecretflowProtocol.RR22


class PsiSumRules(Section):
    submitters: Roles = (Role.RECIPIENT,)
    key_columns: ColumnRefs
    value_columns: ColumnRefs = Field(description="Owner columns summed over the intersection.")
    statistics: Statistics = (Statistic.SUM, Statistic.COUNT, Statistic.MEAN)
    min_partner_set_size: PositiveInt
    min_intersection_size: PositiveInt
    max_partner_set_size: PartnerSetCap = DEFAULT_PARTNER_SET_CAP
    max_runs: PositiveInt | None = None


class HeAggregateRules(Section):
    submitters: Roles = (Role.SCIENTIST, Role.RECIPIENT)
    value_columns: ColumnRefs
    statistics: Statistics = (Statistic.SUM, Statistic.COUNT, Statistic.MEAN)
    min_contributors: PositiveInt = Field(
        default=1, description="Owners that must contribute before a total is decrypted."
    )
    max_runs: PositiveInt | None = None


KindRules = ScriptRules | PsiRules | PsiSumRules | HeAggregateRules


class JobKinds(Section):
    script: ScriptRules | None = None
    psi: PsiRules | None = None
    psi_sum: PsiSumRules | None = None
    he_aggregate: HeAggregateRules | None = None

    def rules_for(self, kind: JobKind) -> KindRules | None:
        rules: KindRules | None = getattr(self, kind.value)
        return rules

    def allowed(self) -> tuple[JobKind, ...]:
        return tuple(kind for kind in JobKind if self.rules_for(kind) is not None)
