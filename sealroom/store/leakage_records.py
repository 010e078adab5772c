"""The leakage ledger's table: what each release of a contract showed, and spent.

One row per released group (a table row's key, count and statistics, or a PSI
run's set and intersection sizes) and one row per differential-privacy spend,
written in the transaction that releases, so the ledger and the releases never
disagree.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Float, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from sealroom.store.base import Base, UtcDateTime


class LeakageEntryRecord(Base):
    __tablename__ = "leakage_ledger"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    contract_id: Mapped[str] = mapped_column(String(64), index=True)
    contract_version: Mapped[int] = mapped_column(Integer)
    release_id: Mapped[str] = mapped_column(String(32), index=True)  # the released job
    released_at: Mapped[datetime] = mapped_column(UtcDateTime())
    entry: Mapped[str] = mapped_column(String(16))  # "group" | "psi" | "dp_spend"
    file: Mapped[str] = mapped_column(String(255), default="")
    key: Mapped[list[list[str]]] = mapped_column(JSON, default=list)  # [[column, value], ...]
    count: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    statistics: Mapped[dict[str, float]] = mapped_column(JSON, default=dict)
    noised: Mapped[bool] = mapped_column(default=False)
    epsilon: Mapped[float | None] = mapped_column(Float, nullable=True)
    delta: Mapped[float | None] = mapped_column(Float, nullable=True)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
