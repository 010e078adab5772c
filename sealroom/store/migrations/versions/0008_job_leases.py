"""job leases: which process holds a running job, until when

Revision ID: 0008
Revises: 0006
Create Date: 2026-12-08 00:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import sealroom.store.base

revision = '0008'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('jobs') as batch:
        batch.add_column(sa.Column('lease_owner', sa.String(length=96), nullable=True))
        batch.add_column(
            sa.Column(
                'lease_expires_at', sealroom.store.base.UtcDateTime(timezone=True), nullable=True
            )
        )


def downgrade() -> None:
    with op.batch_alter_table('jobs') as batch:
        batch.drop_column('lease_expires_at')
        batch.drop_column('lease_owner')
