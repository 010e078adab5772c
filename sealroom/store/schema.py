"""Imports every module that defines tables, so ``Base.metadata`` holds the whole schema."""

from sealroom.store import contract_records, models

__all__ = ["contract_records", "models"]
