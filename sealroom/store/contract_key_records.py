"""Grants: a dataset's data key wrapped once more under one contract's KEK.

A contract's real runs open their inputs through its grants, never through the
dataset's master-wrapped key, so destroying the contract's key-encryption key
(revocation, expiry) takes away that contract's access, and only that one: the
dataset and the other contracts' grants are untouched.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from sealroom.store.base import Base, UtcDateTime


class ContractKeyGrantRecord(Base):
    __tablename__ = "contract_key_grants"

    kek_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    data_key_id: Mapped[str] = mapped_column(ForeignKey("data_keys.key_id"), primary_key=True)
    contract_id: Mapped[str] = mapped_column(String(64), index=True)
    contract_version: Mapped[int] = mapped_column(Integer)
    algorithm: Mapped[str] = mapped_column(String(16))
    wrapped: Mapped[bytes] = mapped_column(LargeBinary)
    # what the grant's wrap is bound to: the contract version and the dataset key
    context: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
