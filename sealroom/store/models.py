"""Tables for parties, data keys and datasets.

Values never live here: a dataset row holds its schema, classification and the id
of its wrapped data key; the data itself is an encrypted blob beside the database.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from sealroom.store.base import Base, UtcDateTime


class PartyRecord(Base):
    """An organisation or a person acting for one, with its public keys."""

    __tablename__ = "parties"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # "organisation" | "person"
    organisation: Mapped[str | None] = mapped_column(
        ForeignKey("parties.name"), nullable=True, default=None
    )
    display_name: Mapped[str] = mapped_column(String(200), default="")
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    x25519_public: Mapped[bytes] = mapped_column(LargeBinary(32))
    ed25519_public: Mapped[bytes] = mapped_column(LargeBinary(32))
    # "issued": the platform generated the pair and handed the private half out once;
    # "registered": the party generated it and only the public half ever arrived.
    key_origin: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ServiceKeyRecord(Base):
    """The private keys the service itself must hold (the platform's tree-head signing key).

    Stored only wrapped under the master key, like every data key.
    """

    __tablename__ = "service_keys"

    party: Mapped[str] = mapped_column(ForeignKey("parties.name"), primary_key=True)
    master_key_id: Mapped[str] = mapped_column(String(64))
    wrapped_private: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class DataKeyRecord(Base):
    """A data key (DEK), only ever stored wrapped under a master key."""

    __tablename__ = "data_keys"

    key_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    master_key_id: Mapped[str] = mapped_column(String(64), index=True)
    algorithm: Mapped[str] = mapped_column(String(16))
    wrapped: Mapped[bytes] = mapped_column(LargeBinary)
    # what the wrap is bound to, so a wrapped key moved onto another dataset will not open
    context: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    rewrapped_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class DatasetRecord(Base):
    __tablename__ = "datasets"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    owner: Mapped[str] = mapped_column(ForeignKey("parties.name"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    versions: Mapped[list[DatasetVersionRecord]] = relationship(
        back_populates="dataset", order_by="DatasetVersionRecord.version"
    )


class DatasetVersionRecord(Base):
    """One registered upload of a dataset: immutable once committed."""

    __tablename__ = "dataset_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    dataset_name: Mapped[str] = mapped_column(ForeignKey("datasets.name"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    source_name: Mapped[str] = mapped_column(String(255))
    source_format: Mapped[str] = mapped_column(String(16))
    source_encoding: Mapped[str | None] = mapped_column(String(32), nullable=True)
    source_bytes: Mapped[int] = mapped_column(BigInteger)
    stored_bytes: Mapped[int] = mapped_column(BigInteger)  # the canonical Parquet, plaintext
    row_count: Mapped[int] = mapped_column(BigInteger)
    columns: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    content_sha256: Mapped[str] = mapped_column(String(64))
    blob_name: Mapped[str] = mapped_column(String(128), unique=True)
    data_key_id: Mapped[str] = mapped_column(ForeignKey("data_keys.key_id"))
    registered_by: Mapped[str] = mapped_column(ForeignKey("parties.name"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    dataset: Mapped[DatasetRecord] = relationship(back_populates="versions")
