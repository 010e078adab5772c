"""Tables for contracts and their signed lifecycle steps.

A contract version is stored as the exact document that was proposed (with the
parties' keys pinned) and its hash; its state is never stored, it is replayed
from the signed steps, so a row edited behind the service's back cannot make a
contract active.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKeyConstraint, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sealroom.store.base import Base, UtcDateTime


class ContractRecord(Base):
    __tablename__ = "contracts"

    contract_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    document: Mapped[str] = mapped_column(Text)
    contract_hash: Mapped[str] = mapped_column(String(64))
    proposed_by: Mapped[str] = mapped_column(String(64))
    proposed_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ContractStepRecord(Base):
    """One signed step (approve, accept, revoke), kept exactly as signed."""

    __tablename__ = "contract_steps"
    __table_args__ = (
        ForeignKeyConstraint(
            ["contract_id", "version"], ["contracts.contract_id", "contracts.version"]
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    contract_id: Mapped[str] = mapped_column(String(64), index=True)
    version: Mapped[int] = mapped_column(Integer)
    party: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(16))
    signed_at: Mapped[datetime] = mapped_column(UtcDateTime())
    signature: Mapped[str] = mapped_column(String(128))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime())
