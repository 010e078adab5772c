"""The contract: one document binding parties, datasets and rules, signed by hash."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, ValidationInfo, model_validator

from contracts.consistency import consistency_issues
from contracts.datasets import Column, Dataset
from contracts.export import ExportRules, Placement
from contracts.job_kinds import JobKinds
from contracts.masking import DebugSample
from contracts.names import ContractId, PositiveInt, Text, split_column_ref
from contracts.outputs import OutputRules
from contracts.parties import Party, Role
from contracts.review import ReviewRules
from contracts.section import Section
from contracts.validity import Validity

CONTRACT_FORMAT = "sealroom.contract/v1"

#: Validation context key: the loader runs the cross-field checks itself so it can
#: report each one at its own line instead of at the top of the document.
DEFER_CONSISTENCY = "sealroom.defer_consistency"


class Contract(Section):
    format: Literal["sealroom.contract/v1"] = Field(
        description="Document format; changes only with an incompatible schema."
    )
    id: ContractId = Field(description="Stable across versions, e.g. c-12.")
    version: PositiveInt = Field(description="Every edit is a new version, approved again.")
    title: Text
    purpose: Text = Field(description="Why the data is used; shown in the ledger and report.")
    parties: Annotated[tuple[Party, ...], Field(min_length=1)]
    validity: Validity
    datasets: Annotated[tuple[Dataset, ...], Field(min_length=1)]
    job_kinds: JobKinds
    debug_sample: DebugSample = Field(default_factory=DebugSample)
    output: OutputRules = Field(default_factory=OutputRules)
    review: ReviewRules
    export: ExportRules
    placement: Placement

    @model_validator(mode="after")
    def _consistent(self, info: ValidationInfo) -> Contract:
        context: Any = info.context
        if isinstance(context, dict) and context.get(DEFER_CONSISTENCY):
            return self
        issues = consistency_issues(self)
        if issues:
            raise ValueError("; ".join(f"{'.'.join(map(str, p))}: {m}" for p, m in issues))
        return self

    # Lookups used by the checks and the policy functions.

    @property
    def ref(self) -> str:
        """How people name this contract: ``contract c-12 v3``."""
        return f"contract {self.id} v{self.version}"

    def party(self, name: str) -> Party | None:
        return next((p for p in self.parties if p.name == name), None)

    def holders(self, role: Role) -> tuple[str, ...]:
        return tuple(p.name for p in self.parties if role in p.roles)

    def dataset(self, name: str) -> Dataset | None:
        return next((d for d in self.datasets if d.name == name), None)

    def column(self, ref: str) -> Column | None:
        dataset_name, column_name = split_column_ref(ref)
        dataset = self.dataset(dataset_name)
        return dataset.column(column_name) if dataset is not None else None

    def required_approvers(self) -> tuple[str, ...]:
        """Dual authorisation: every owner and the platform."""
        return tuple(p.name for p in self.parties if {Role.OWNER, Role.PLATFORM} & set(p.roles))
