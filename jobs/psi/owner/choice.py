"""Which owner engine a contract's rules call for: the one place that looks at kind and engine."""

from __future__ import annotations

from contracts import Contract, JobKind, JobKindNotAllowed, PsiEngineKind, PsiRules, PsiSumRules
from jobs.psi.owner.openmined import OpenMinedOwner
from jobs.psi.owner.psi_sum import PsiSumOwnerEngine
from jobs.psi.owner.run import OwnerEngine
from jobs.psi.owner.secretflow import SecretflowOwner


def owner_engine(contract: Contract, kind: JobKind) -> OwnerEngine:
    """The owner's engine for ``kind`` runs under ``contract``; refused if it allows none."""
    rules = contract.job_kinds.rules_for(kind)
    if isinstance(rules, PsiSumRules):
        return PsiSumOwnerEngine(contract, rules)
    if isinstance(rules, PsiRules):
        if rules.engine is PsiEngineKind.SECRETFLOW:
            return SecretflowOwner(contract, rules)
        return OpenMinedOwner(contract, rules)
    raise JobKindNotAllowed(
        f"{contract.ref} does not allow {kind.value} runs: ask the owner "
        "to propose a version that does"
    )
