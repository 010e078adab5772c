"""Imports every module that defines tables, so ``Base.metadata`` holds the whole schema."""

from sealroom.audit import records as audit_records
from sealroom.store import (
    contract_key_records,
    contract_records,
    job_records,
    leakage_records,
    models,
    token_records,
)

__all__ = [
    "audit_records",
    "contract_key_records",
    "contract_records",
    "job_records",
    "leakage_records",
    "models",
    "token_records",
]
