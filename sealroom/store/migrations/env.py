"""Alembic environment: migrations run against the engine Sealroom hands over."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

import sealroom.store.schema  # noqa: F401  (registers every table on Base.metadata)
from sealroom.store.base import Base

engine = context.config.attributes.get("engine")
if not isinstance(engine, Engine):
    raise RuntimeError("run migrations through sealroom.store.database.migrate")

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()
